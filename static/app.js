// The page: one state object, and the DOM as a function of it. Pure logic lives in js/*
// (the state and its changes, timeline, chain rule, formatting, i18n, share links, layout);
// this file wires events: they write into the state, and render functions read it.
import { Ahead } from "./js/ahead.js";
import * as api from "./js/api.js";
import { displayName, explain, forkInfo, outputName, topName } from "./js/chain-rule.js";
import { collapse, groupsOf } from "./js/collapse.js";
import { formatNumber, formatShape, formatValue, toNumber } from "./js/format.js";
import { GraphView, READABLE_SCALE } from "./js/graph-view.js";
import { detectLang, t } from "./js/i18n.js";
import { layoutBounds, layoutGraph } from "./js/layout.js";
import { layoutOptions } from "./js/node-sizes.js";
import { decodeState, encodeState } from "./js/share.js";
import {
  initialState, linkedExample, requestOf, shareStateOf, valueText, valuesOf, withExample,
  withExpression, withLink, withValues, withVariables,
} from "./js/store.js";
import { keyToAction, prepare, reduceAction, stateAt, withoutConstantSteps } from "./js/timeline.js";
import { sameValues } from "./js/train-model.js";
import { TrainPanel } from "./js/train-panel.js";
import * as practice from "./js/practice.js";
import { differences, pairedStep, requestBeside } from "./js/compare.js";
import { renderExercise, renderScore } from "./js/practice-view.js";

const $ = (id) => document.getElementById(id);

/** A new element with text content (never HTML) and an optional class. */
function el(tag, text = "", className = "") {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}
const BASE_DELAY_MS = 700; // one step at 1× speed

// Everything the page shows is read from here; events write here (js/store.js's changes).
const state = initialState();

// Run's answer, asked for while the user pauses (js/ahead.js), after the same pause in
// typing /api/parse waits for.
const ahead = new Ahead(api.evaluateAhead);
const SETTLE_MS = 200;

const view = new GraphView($("graph"), { onHover: showTooltip, onSelect: selectNode });
// Side by side: the pane beside (each pane whole, however small).
const beside = new GraphView($("graph2"), { minScale: 0, legendTestid: "heat-legend-beside" });
const trainPanel = new TrainPanel($("train-panel"), {
  getProblem: () => {
    const { values, error } = valuesOf(state);
    return error ? { error } : { expression: state.expression, values, variables: state.variables };
  },
  applyParams: async (params) => {
    const texts = Object.entries(params).map(([name, value]) => [name, valueText(value)]);
    Object.assign(state, withValues(state, texts));
    renderValuesEditor();
    await run({ step: state.graph?.steps.length ?? 0 });
  },
  t: (key, params) => tr(key, params),
  onParams: (names) => view.setParams(names), // the graph marks what training changes
});

// ------------------------------------------------------------------ language and theme

function tr(key, params) {
  return t(state.lang, key, params);
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = tr(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-title]")) {
    el.title = tr(el.dataset.i18nTitle);
    el.setAttribute("aria-label", tr(el.dataset.i18nTitle));
  }
  for (const el of document.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", tr(el.dataset.i18nAria));
  }
  $("lang-toggle").textContent = tr("lang.toggle");
  $("expression").placeholder = tr("expr.placeholder");
  renderExamplesMenu();
  renderMistakeMenu();
  renderMistake();
  renderCompareForm();
  markDifferences();
  renderExplanation();
  renderError();
  renderShareError();
  renderGradcheck();
  renderTimeline();
  renderGroupToggle();
  updatePlayButton();
  trainPanel.setLanguage();
}

function setTheme(theme) {
  state.theme = theme;
  document.documentElement.dataset.theme = theme;
  localStorage.setItem("bpv-theme", theme);
}

// ------------------------------------------------------------------ examples

function renderExamplesMenu() {
  const select = $("examples");
  select.replaceChildren();
  const placeholder = new Option(tr("examples.choose"), "");
  select.append(placeholder);
  for (const section of state.sections) {
    const group = document.createElement("optgroup");
    // Numbered like the tutorial's headings ("4) 연쇄법칙과 계산 그래프").
    const title = section.title[state.lang] ?? section.title.en;
    group.label = section.tutorial ? `${section.tutorial}) ${title}` : title;
    for (const ex of state.examples.filter((e) => e.section === section.id)) {
      group.append(new Option(ex.title[state.lang] ?? ex.title.en, ex.id));
    }
    if (group.children.length) select.append(group);
  }
  const loose = state.examples.filter((e) => !state.sections.some((s) => s.id === e.section));
  for (const ex of loose) select.append(new Option(ex.title[state.lang], ex.id));
  select.value = state.example?.id ?? "";
}

function renderExplanation() {
  const ex = state.example;
  $("explanation").hidden = !ex;
  if (ex) $("explanation-text").textContent = ex.explanation[state.lang] ?? ex.explanation.en;
}

async function loadExample(id) {
  const ex = state.examples.find((e) => e.id === id);
  if (!ex) return;
  Object.assign(state, withExample(ex));
  renderInputs();
  renderValuesEditor();
  renderExplanation();
  trainPanel.setPreset(ex.train ?? null);
  await run();
}

// ------------------------------------------------------------------ expression and values

/** The inputs the page itself fills in (a preset, a link, the defaults) show the state. */
function renderInputs() {
  $("examples").value = state.example?.id ?? "";
  $("expression").value = state.expression;
  $("output-grad").value = state.outputGrad;
  $("expand").checked = state.expand;
  $("show-constants").checked = state.showConstants;
  $("precision").value = String(state.digits);
  $("speed").value = String(state.speed);
}

function onExpressionInput(text) {
  Object.assign(state, withExpression(state, text));
  $("output-grad").value = state.outputGrad;
  renderShareError();
  renderExamplesMenu();
  renderMistakeMenu();
  renderMistake();
  renderCompareForm();
  markDifferences();
  renderExplanation();
  renderError();
  clearTimeout(state.parseTimer);
  unsettle(); // the parse asks ahead once the variables are known
  state.parseTimer = setTimeout(refreshVariables, SETTLE_MS);
}

/** Parse what was typed and list its variables; then ask Run's answer ahead, unless Run is
 * what is waiting (`ahead: false`: it asks itself). */
async function refreshVariables({ ahead: askAfter = true } = {}) {
  state.parseTimer = null;
  const serial = ++state.parseSerial;
  const result = await api.parseExpression(state.expression);
  if (serial !== state.parseSerial) return; // a newer edit is on its way
  if (result.ok) {
    Object.assign(state, withVariables(state, result.data.variables));
    if (state.error) setError(null); // what was wrong may be fixed; Run checks again
    renderValuesEditor();
    if (askAfter) askAhead();
  } else if (result.status === 422) {
    setError(api.firstError(result));
  }
}

function renderValuesEditor() {
  const editor = $("values-editor");
  const focused = document.activeElement?.dataset?.name;
  editor.replaceChildren();
  if (!state.variables.length) {
    editor.append(el("p", tr("values.empty"), "hint"));
    return;
  }
  for (const name of state.variables) {
    const text = state.values.get(name);
    const row = document.createElement("div");
    row.className = "value-row";
    const label = el("label", name);
    label.htmlFor = `value-${name}`;
    const input = document.createElement("textarea");
    input.id = `value-${name}`;
    input.dataset.testid = `value-input-${name}`;
    input.dataset.name = name;
    input.rows = Math.min(6, Math.max(1, (text.match(/\],/g) || []).length + 1));
    input.spellcheck = false;
    input.value = text;
    input.addEventListener("input", () => {
      Object.assign(state, withValues(state, [[name, input.value]]));
      settle();
    });
    input.addEventListener("keydown", runOnEnter);
    row.append(label, input);
    editor.append(row);
    if (name === focused) input.focus();
  }
}

function runOnEnter(event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    run();
  }
}

// ------------------------------------------------------------------ running

async function run({ step = 0 } = {}) {
  if (state.parseTimer !== null) {
    // The variables of what was just typed are not known yet: parse first.
    clearTimeout(state.parseTimer);
    await refreshVariables({ ahead: false });
  }
  const { request, error } = requestOf(state);
  if (error) return setError(error);
  stopPlaying();
  const serial = ++state.runSerial;
  $("run").disabled = true;
  // The click always asks the server, and its answer is the one kept. When the same
  // request was asked ahead and laid out (askAhead), that is drawn at once: the click's
  // answer then only confirms it (an answer changes only if the server did, e.g. was
  // upgraded in between).
  const early = ahead.ready(request);
  const drawnEarly = early?.showConstants === state.showConstants && early.canvas === view.canvas;
  if (drawnEarly) show(early, request, step);
  else view.stage(null); // made for other inputs (a preset, a toggle), or another canvas
  const result = await api.evaluateGraph(request);
  $("run").disabled = false;
  if (serial !== state.runSerial) return;
  if (!result.ok && !drawnEarly) {
    setError(failureOf(result));
    return;
  }
  if (result.ok && !(drawnEarly && sameValues(result.data, early.data))) {
    const made = laidOut(result.data);
    ahead.keep(request, made);
    show(made, request, step);
  }
  if (state.compare.on) await runBeside();
}

/** Show an answer as laidOut() made it, the timeline at `step`. */
function show(made, request, step) {
  const { data, graph, groups, closed } = made;
  setError(null);
  state.response = data;
  state.graph = graph;
  state.request = request;
  state.gradcheck = null;
  state.selected = null;
  renderGradcheck();
  $("details-card").hidden = true;
  state.entry = [0, 0];
  resetPractice();
  state.groups = groups;
  state.closed = new Set(closed); // opening a box changes it; a prepared closing stays as made
  drawGraph(made);
  made.drawing = null; // its elements are on the page now: a drawing is shown once
  renderMistake();
  renderWarnings();
  renderSeedNote();
  setStep(step);
}

/** What Run draws of an answer: the graph as shown, its boxes, and the closing and layout
 * it opens with (for the canvas as it is now); `drawing` too, painted at the first step,
 * when asked (at idle). */
function laidOut(data, { drawn = false } = {}) {
  const graph = state.showConstants ? data : withoutConstantSteps(data);
  const groups = boxable(graph);
  const { closed, collapsed, layout } = readableClosing(graph, groups);
  const drawing = drawn ? view.draw(collapsed.graph, layout) : null;
  // Run opens at the first step: painted now, the click's update() finds nothing to change.
  if (drawing) view.prepaint(drawing, stateAt(graph, 0), { digits: state.digits });
  return { data, showConstants: state.showConstants, canvas: view.canvas, graph, groups, closed,
           collapsed, layout, drawing };
}

/** Ask ahead once the inputs have stayed unchanged for SETTLE_MS. */
function settle() {
  unsettle();
  state.aheadTimer = setTimeout(askAhead, SETTLE_MS);
}

/** An input changed: what was asked ahead (or about to be) is no longer what Run sends. */
function unsettle() {
  clearTimeout(state.aheadTimer);
  delete document.body.dataset.ahead;
  view.stage(null);
}

/** Ask for what Run would send now, and lay its answer out when the page is idle, so that
 * the click only draws (js/ahead.js); the drawing waits on the page, unseen, so that the
 * browser lays it out now and not in the click's frame (GraphView.stage). `body[data-ahead]`
 * says how far it got: "asking", then "ready" once laid out (a hook for tests and the page
 * benchmark). */
function askAhead() {
  clearTimeout(state.aheadTimer);
  if (state.parseTimer !== null) return; // refreshVariables asks once the variables are known
  const { request, error } = requestOf(state);
  if (!error && sameValues(request, state.request)) {
    // Shown already (the inputs settled after a Run, or an edit was undone): nothing to make.
    view.stage(null);
    document.body.dataset.ahead = "ready";
    return;
  }
  const answer = error ? null : ahead.want(request);
  if (!answer) {
    delete document.body.dataset.ahead;
    return;
  }
  const drawing = ahead.prepared?.drawing;
  if (drawing) { // asked and laid out already (an edit undone, a value typed again)
    view.stage(drawing);
    document.body.dataset.ahead = "ready";
    return;
  }
  document.body.dataset.ahead = "asking";
  answer.then((result) => {
    if (!result.ok || !result.data) return; // refused (204): the click asks and shows why
    whenIdle(() => {
      // Only for what is typed now: the inputs may have changed while the answer was on its
      // way (unsettle() took the page's word back), or a Run may have shown it meanwhile.
      if (ahead.answer !== answer || ahead.prepared?.drawing
          || !sameValues(requestOf(state).request, request)) return;
      if (!sameValues(request, state.request)) {
        const made = laidOut(result.data, { drawn: true });
        ahead.keep(request, made);
        view.stage(made.drawing);
      }
      document.body.dataset.ahead = "ready";
    });
  });
}

const whenIdle = (fn) => (globalThis.requestIdleCallback ? requestIdleCallback(fn, { timeout: 500 }) : setTimeout(fn, 0));

// The groups worth a box: at least two ops inside (`x1000 = 1000 * x1` in a box would hide
// the very "1000 ×" it shows, and save nothing), and not the output's own stage (`f = …`
// boxed is the whole computation in one box).
function boxable(graph) {
  const kind = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  return groupsOf(graph).filter((g) => !(g.kind === "stage" && g.output === graph.output)
    && g.members.filter((id) => kind.get(id) === "op").length >= 2);
}

function layoutOf(graph) {
  return layoutGraph(graph, layoutOptions(graph));
}

// A big graph opens readable (text at least 11 px, READABLE_SCALE): its named stages are
// closed first, then its expanded blocks too (they exist only when the user asked to see
// the gates), until the whole fits the canvas; when no closing makes it readable, the one
// drawn largest (the fewer boxes when within 2 %) opens at the readable scale on the
// output's end. A graph of a few hundred nodes or more skips the tries and opens with every
// group closed. Each try is a layout; a try whose layers alone (layoutBounds, ~1 ms) show it
// can neither be readable nor win is not laid out.
const TRY_LIMIT = 300;

function readableClosing(graph, groups) {
  const stages = groups.filter((g) => g.kind === "stage").map((g) => g.id);
  const levels = [[], stages, groups.map((g) => g.id)]
    .filter((ids, i, all) => i === 0 || ids.length > all[i - 1].length);
  const tries = (graph.nodes.length > TRY_LIMIT ? levels.slice(-1) : levels).map((ids) => {
    const collapsed = collapse(graph, new Set(ids), groups);
    const shown = collapsed.graph;
    const bound = view.fitScale(layoutBounds(shown, layoutOptions(shown)), shown) ?? Infinity;
    return { closed: new Set(ids), collapsed, shown, bound };
  });
  const laid = (t) => {
    t.layout ??= layoutOf(t.shown);
    t.scale ??= view.fitScale(t.layout, t.shown) ?? Infinity;
    return t;
  };
  const last = tries[tries.length - 1];
  const readable = tries.find((t) => (t === last || t.bound >= READABLE_SCALE)
    && laid(t).scale >= READABLE_SCALE);
  if (readable) return readable;
  // None is (so every try's layout is known or bounded): the largest, the earliest within 2 %.
  const largest = Math.max(...tries.map((t) => (t.bound * 1.02 < last.scale ? 0 : laid(t).scale)));
  return tries.find((t) => t.scale !== undefined && t.scale * 1.02 >= largest);
}

/** Draw the graph as the closed groups say; `made` (laidOut's) has the closing, layout and
 * maybe the drawing already made for exactly that. */
function drawGraph(made = null) {
  state.shown = made?.collapsed ?? collapse(state.graph, state.closed, state.groups);
  view.show(made?.drawing ?? view.draw(state.shown.graph, made?.layout ?? layoutOf(state.shown.graph)));
  view.setParams(trainPanel.params());
  view.setMistake(state.response?.mistake ?? null);
  renderGroupToggle();
}

// A box opens on click (or Enter); the corner button opens or closes them all.
function openGroup(id, focusNode) {
  state.closed.delete(id);
  drawGraph();
  renderTimeline();
  view.focus(focusNode);
}

function toggleGroups() {
  state.closed = state.closed.size ? new Set() : new Set(state.groups.map((g) => g.id));
  drawGraph();
  renderTimeline();
}

function renderGroupToggle() {
  const button = $("group-toggle");
  button.hidden = !state.groups.length;
  button.textContent = tr(state.closed.size ? "groups.open_all" : "groups.close_all");
}

/** The timeline's state as drawn: a step inside a closed box lights up the box. */
function shownTimeline(tl) {
  if (!state.closed.size) return tl;
  const { owner, edgeOwner } = state.shown;
  const activeNodes = new Set([...tl.activeNodes].map((id) => owner.get(id) ?? id));
  const activeEdges = new Set();
  for (const id of tl.activeEdges) {
    const shown = edgeOwner.get(id);
    if (shown && "node" in shown) activeNodes.add(shown.node);
    else if (shown) activeEdges.add(shown.edge);
  }
  return { ...tl, activeNodes, activeEdges };
}

// ------------------------------------------------------------------ side by side

// Two panes on one timeline (js/compare.js): the pane beside shows the same expression
// expanded, one input ×1000, or the learner's own; it steps with the main one, and the
// variables whose value or gradient differ are marked in both.
function setCompare(on) {
  const c = state.compare;
  c.on = on;
  $("graph-wrap").classList.toggle("split", on);
  $("pane-compare").hidden = !on;
  for (const pane of [$("pane-main"), $("pane-compare")]) {
    if (on) pane.dataset.testid = "compare-pane"; else delete pane.dataset.testid;
  }
  renderCompareForm();
  // Two half panes show each graph whole, however small.
  view.minScale = on ? 0 : READABLE_SCALE;
  view.fit();
  if (on) runBeside();
  else view.setDiffers(new Set());
}

function renderCompareForm() {
  const c = state.compare;
  $("compare-mode").value = c.mode;
  $("compare-mode").options[0].textContent = tr(state.expand ? "compare.collapse" : "compare.expand");
  const select = $("compare-var");
  select.hidden = c.mode !== "scale";
  if (!state.variables.includes(c.name)) {
    const params = new Set(trainPanel.params());
    c.name = state.variables.find((v) => !params.has(v)) ?? state.variables[0] ?? null;
  }
  select.replaceChildren(...state.variables.map((v) => new Option(`${v} ×1000`, v)));
  select.value = c.name ?? "";
  for (const id of ["compare-expression", "compare-values", "compare-run"]) $(id).hidden = c.mode !== "custom";
  $("compare-expression").placeholder = state.expression;
  $("compare-values").placeholder = tr("compare.values");
}

async function runBeside() {
  const c = state.compare;
  if (!c.on || !state.request) return;
  const made = requestBeside(c.mode, state.request,
    { name: c.name, expression: $("compare-expression").value, valuesText: $("compare-values").value });
  $("compare-error").textContent = made.error ? tr(made.error) : "";
  if (made.error) return;
  const serial = ++c.serial;
  const result = await api.evaluateGraph(made.request);
  if (serial !== c.serial || !c.on) return;
  if (!result.ok) {
    const error = api.firstError(result);
    $("compare-error").textContent = error ? (state.lang === "ko" ? error.msg_ko : error.msg) : tr("error.server");
    return;
  }
  c.response = result.data;
  c.graph = state.showConstants ? result.data : withoutConstantSteps(result.data);
  beside.setGraph(c.graph, layoutOf(c.graph));
  markDifferences();
  renderTimeline();
}

function markDifferences() {
  const c = state.compare;
  if (!c.on || !c.response || !state.response) return; // (a language switch calls it too)
  const { names, output } = differences(state.response, c.response);
  const ids = (r) => new Set(r.nodes.filter((n) => (n.kind === "variable" && names.includes(n.name))
    || (output && n.id === r.output)).map((n) => n.id));
  view.setDiffers(ids(state.response));
  beside.setDiffers(ids(c.response));
  const summary = $("compare-summary");
  summary.textContent = names.length ? tr("compare.differ", { names: names.join(", ") }) : tr("compare.same");
  summary.classList.toggle("differ", names.length > 0);
}

// ------------------------------------------------------------------ classic mistakes

// "What if…": the backward pass with one classic mistake, computed by the engine; the card
// beside the chain rule lists each variable's gradient from this pass and the right one.
function renderMistakeMenu() {
  const select = $("mistake");
  const first = select.options[0];
  select.replaceChildren(first, ...state.mistakes.map((m) => new Option(m.title[state.lang] ?? m.title.en, m.name)));
  first.textContent = tr("mistake.none");
  select.value = state.mistake;
}

function renderMistake() {
  const info = state.response?.mistake;
  const card = $("mistake-card");
  card.hidden = !info;
  if (!info) return;
  const entry = state.mistakes.find((m) => m.name === info.name);
  $("mistake-title").textContent = entry?.title[state.lang] ?? info.name;
  $("mistake-description").textContent = entry?.description[state.lang] ?? "";
  const wrong = new Set(info.wrong_nodes);
  const table = $("mistake-table");
  table.replaceChildren(row([tr("mistake.variable"), tr("mistake.wrong"), tr("mistake.right")], true));
  for (const node of state.response.nodes.filter((n) => n.kind === "variable")) {
    const cells = [node.name, formatValue(node.grad, state.digits), formatValue(info.right_gradients[node.name], state.digits)];
    const tr_ = row(cells);
    if (wrong.has(node.id)) tr_.className = "fail";
    table.append(tr_);
  }
}

function setError(error) {
  state.error = error;
  renderError();
}

// "Unknown function … See the list of functions": the list is right under the message.
function renderFunctionList(show) {
  $("functions-list").hidden = !show;
  if (!show) return;
  $("functions-items").replaceChildren(...state.ops.filter((op) => op.kind !== "internal").map((op) => {
    const item = el("li");
    item.append(el("code", op.syntax), document.createTextNode(` — ${op.description[state.lang] ?? op.description.en}`));
    return item;
  }));
}

function renderError() {
  const error = state.error;
  $("error-message").textContent = error ? (state.lang === "ko" ? error.msg_ko : error.msg) : "";
  renderFunctionList(error?.type === "unknown_function");
  const mirror = $("expression-mirror");
  const text = state.expression;
  mirror.replaceChildren();
  for (const el of document.querySelectorAll(".value-row textarea")) el.removeAttribute("aria-invalid");
  if (!error) return;
  if (error.loc?.[1] === "values" && error.loc[2]) {
    $(`value-${error.loc[2]}`)?.setAttribute("aria-invalid", "true");
  }
  if (typeof error.start !== "number" || error.loc?.[1] !== "expression") return;
  // The mirror sits under the textarea with the same text; only the span is underlined.
  // Spans count code points (Python's str), JS strings count UTF-16 units: split by code point.
  const chars = Array.from(text);
  const mark = document.createElement("mark");
  mark.textContent = chars.slice(error.start, error.end).join("");
  if (error.end <= error.start || !mark.textContent.trim()) {
    mark.className = "eol";
    mark.textContent = " ";
  }
  mirror.append(document.createTextNode(chars.slice(0, error.start).join("")), mark,
                document.createTextNode(chars.slice(Math.max(error.end, error.start)).join("")));
}

// The message about a share link that did not open stays until the user moves on (edits
// the expression or picks an example): setError's message would vanish with the next good
// run, such as the example loaded instead. Made here, so the HTML needs no slot for it.
const shareNotice = el("p", "", "error");
shareNotice.id = "share-notice";
shareNotice.dataset.testid = "share-notice";
shareNotice.setAttribute("role", "alert");
shareNotice.hidden = true;
$("expr-label").before(shareNotice);

function setShareError(reason) {
  state.shareError = reason;
  renderShareError();
}

function renderShareError() {
  shareNotice.hidden = !state.shareError;
  shareNotice.textContent = state.shareError ? tr("share.invalid") : "";
  shareNotice.dataset.reason = state.shareError ?? "";
}

// A given upstream gradient changes every number on the graph: it is said on the graph.
function renderSeedNote() {
  const note = $("seed-note");
  const seed = state.graph?.steps.find((s) => s.kind === "seed");
  const given = Boolean(seed) && state.request?.output_grad !== undefined;
  note.hidden = !given;
  note.textContent = given ? tr("seed.given", {
    name: `∂${topName(state.graph)}/∂${outputName(state.graph)}`,
    value: formatValue(seed.grad, state.digits, { maxItems: 4, maxRows: 2 }),
  }) : "";
}

function renderWarnings() {
  const list = $("warnings");
  list.replaceChildren();
  const warnings = state.graph?.warnings ?? [];
  $("warnings-card").hidden = !warnings.length;
  for (const w of warnings) {
    list.append(el("li", `${nodeName(w.node)}: ${state.lang === "ko" ? w.msg_ko : w.msg}`));
  }
}

// ------------------------------------------------------------------ timeline

function setStep(k) {
  const n = state.graph?.steps.length ?? 0;
  state.k = Math.max(0, Math.min(n, k));
  renderTimeline();
  scheduleUrlUpdate();
}

function renderTimeline() {
  const graph = state.graph;
  const n = graph?.steps.length ?? 0;
  $("scrub").max = String(n);
  $("scrub").value = String(state.k);
  $("step-counter").textContent = tr("timeline.counter", { k: state.k, n });
  if (!graph) {
    renderChainRule(null);
    return;
  }
  const tl = stateAt(graph, state.k);
  $("phase").textContent = tr(`phase.${tl.phase}`);
  const question = practiceQuestion();
  const hidden = question && !state.practice.answers.has(question.k);
  // An unanswered question: the graph stops just before the step (its number not shown),
  // with the step's wire and nodes lit.
  const drawn = hidden ? { ...stateAt(graph, state.k - 1), activeNodes: tl.activeNodes,
    activeEdges: tl.activeEdges, current: null } : tl;
  view.update(shownTimeline(drawn), { digits: state.digits });
  const other = state.compare.on && state.compare.graph;
  if (other) beside.update(stateAt(other, pairedStep(state.k, graph, other)), { digits: state.digits });
  const event = tl.current;
  if (event && tl.phase !== "end") {
    const id = event.kind === "edge" ? event.source : event.node ?? event.target;
    view.reveal(state.shown.owner.get(id) ?? id);
  }
  renderChainRule(hidden ? null : explainNow(), question);
}

function explainNow() {
  return explain(state.graph, state.k, state.lang, { digits: state.digits, ops: state.ops, entry: state.entry });
}

function renderChainRule(explanation, question = null) {
  const box = $("chain-rule");
  box.replaceChildren();
  renderPracticeScore();
  if (question) renderPractice(box, question);
  if (question && !explanation) return;
  if (!explanation || explanation.kind === "idle") {
    box.append(el("p", tr("chain.idle"), "idle"));
    return;
  }
  for (const line of explanation.lines) {
    box.append(el("p", line));
    if (line === explanation.entry?.line) box.append(entryWalk(explanation.entry));
  }
  if (explanation.latex) box.append(formula(explanation.latex));
  if (explanation.gate) box.append(el("p", explanation.gate, "gate"));
}

// ------------------------------------------------------------------ practice

// Practice mode (js/practice.js): each backward step (and forward step, if asked) is a
// question; its number is hidden until the learner answers. The score counts first tries
// and the best one is kept per preset in localStorage.
function practiceQuestion() {
  const p = state.practice;
  return p.on && state.graph ? practice.questionAt(state.graph, state.k, { forward: p.forward }) : null;
}

function practiceKey() {
  return practice.scoreKey(state.example?.id ?? state.expression);
}

function resetPractice() {
  Object.assign(state.practice, { answers: new Map(), hints: new Map(), error: null,
    score: practice.newScore(), retrying: false });
}

function renderPractice(box, question) {
  const p = state.practice;
  const answer = p.answers.get(question.k) ?? null;
  const all = practice.hints(state.graph, question.k, state.lang, { digits: state.digits, ops: state.ops });
  // After a wrong answer the numbers that give the right one are shown (the last hint).
  const shown = answer && !answer.result.correct ? all : all.slice(0, p.hints.get(question.k) ?? 0);
  const focus = renderExercise(box, {
    prompt: practice.promptText(question, state.lang),
    answer: answer && { ...answer, text: practice.feedback(answer.result, state.lang) },
    hints: shown, moreHints: shown.length < all.length, error: p.error, t: tr,
  }, {
    check: (typed) => checkPractice(question, typed),
    hint: () => {
      p.hints.set(question.k, (p.hints.get(question.k) ?? 0) + 1);
      renderTimeline();
    },
    next: () => act("next"),
  });
  if (p.focusNext) {
    p.focusNext = false;
    focus.focus();
  }
}

function checkPractice(question, typed) {
  const p = state.practice;
  const result = practice.checkAnswer(question, typed, state.digits);
  if (!result.attempt) {
    p.error = practice.feedback(result, state.lang); // cannot be read: not a try
    renderTimeline();
    return;
  }
  p.error = null;
  p.answers.set(question.k, { typed, result });
  p.score = practice.record(p.score, question.k, result.correct, !p.retrying);
  saveBest();
  p.focusNext = true; // → and Enter now go on
  renderTimeline();
}

function saveBest() {
  const key = practiceKey();
  const best = practice.bestOf(practice.deserialize(localStorage.getItem(key)), state.practice.score);
  if (best) localStorage.setItem(key, practice.serialize(best));
}

function renderPracticeScore() {
  const p = state.practice;
  const root = $("practice-score");
  $("practice-forward-label").hidden = !p.on;
  root.hidden = !p.on;
  if (!p.on || !p.score) return;
  const { right, asked } = practice.tally(p.score);
  const stored = practice.deserialize(localStorage.getItem(practiceKey()));
  const best = stored && practice.tally(stored);
  const wrong = practice.wrongSteps(p.score).filter((k) => p.answers.get(k) && !p.answers.get(k).result.correct);
  renderScore(root, { right, asked, best: best?.asked ? best : null, wrong: wrong.length, t: tr }, () => {
    // Again, the steps got wrong: their answers cleared, the first one shown; these tries
    // do not change the score (it counts first tries).
    for (const k of wrong) p.answers.delete(k);
    p.retrying = true;
    setStep(wrong[0]);
  });
}

// A tensor step is worked out one entry at a time: ‹ (i, j) › goes through the entries of
// the gradient sent back, row by row (the line above shows the chosen entry's arithmetic).
function entryWalk({ index: [i, j], rows, cols }) {
  const walk = el("div", "", "entry-walk");
  walk.setAttribute("role", "group");
  walk.setAttribute("aria-label", tr("chain.entry_walk"));
  walk.dataset.testid = "entry-walk";
  const at = i * cols + j;
  const button = (text, key, to) => {
    const b = el("button", text);
    b.type = "button";
    b.title = tr(key);
    b.setAttribute("aria-label", tr(key));
    b.disabled = to < 0 || to >= rows * cols;
    b.addEventListener("click", () => {
      state.entry = [Math.floor(to / cols), to % cols];
      renderChainRule(explainNow());
      $("chain-rule").querySelector(`.entry-walk button[data-step="${key}"]`)?.focus();
    });
    b.dataset.step = key;
    return b;
  };
  walk.append(button("‹", "chain.entry_prev", at - 1),
    el("output", `(${i + 1}, ${j + 1})`), button("›", "chain.entry_next", at + 1));
  return walk;
}

// The registry's LaTeX of a local derivative, typeset by the vendored KaTeX (as text if
// KaTeX is missing or refuses it).
function formula(latex) {
  const div = el("div", "", "formula");
  try {
    globalThis.katex.render(latex, div, { throwOnError: true, output: "html" });
  } catch {
    div.textContent = latex;
  }
  return div;
}

function act(action) {
  if (!state.graph) return;
  if (action === "toggle") return state.playing ? stopPlaying() : startPlaying();
  stopPlaying();
  setStep(reduceAction(state.k, state.graph.steps.length, action, prepare(state.graph).starts));
}

function startPlaying() {
  if (!state.graph) return;
  if (state.k >= state.graph.steps.length) setStep(0);
  state.playing = true;
  updatePlayButton();
  const tick = () => {
    if (!state.playing) return;
    if (state.k >= state.graph.steps.length) return stopPlaying();
    setStep(state.k + 1);
    state.playTimer = setTimeout(tick, BASE_DELAY_MS / state.speed);
  };
  tick();
}

function stopPlaying() {
  state.playing = false;
  clearTimeout(state.playTimer);
  updatePlayButton();
}

function updatePlayButton() {
  const button = $("play");
  button.textContent = state.playing ? "||" : "▶";
  const label = tr(state.playing ? "timeline.pause" : "timeline.play");
  button.title = label;
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-pressed", String(state.playing));
}

// ------------------------------------------------------------------ node details

function nodeName(id) {
  return state.graph ? displayName(state.graph, id) : id;
}

function showTooltip(node, event) {
  const tip = $("tooltip");
  if (!node || !state.graph) {
    tip.hidden = true;
    return;
  }
  const tl = stateAt(state.graph, state.k);
  tip.replaceChildren();
  tip.append(el("strong", nodeName(node.id)));
  const rows = [
    [tr("node.kind." + node.kind), node.op ?? node.label],
    [tr("node.shape"), formatShape(node.shape)],
    [tr("node.value"), tl.values.has(node.id) ? formatValue(tl.values.get(node.id), 6) : "—"],
    [tr("node.grad"), tl.grads.has(node.id) ? formatValue(tl.grads.get(node.id), 6) : "—"],
  ];
  tip.append(...rows.map(([k, v]) => el("div", `${k}: ${v}`, "mono")));
  // The chain rule at this node: what each consumer sent back, summed at a fork.
  const info = forkInfo(state.graph, node.id);
  if (info?.contributions.length) {
    const terms = info.contributions.map((c) => formatValue(c.value, state.digits));
    const sum = terms.length > 1 ? ` = ${formatValue(info.sum, state.digits)}` : "";
    tip.append(el("div", `∂${topName(state.graph)}/∂${nodeName(node.id)} = ${terms.join(" + ")}${sum}`, "mono"));
  }
  const op = state.opsByName.get(node.op);
  for (const latex of op?.latex ?? []) tip.append(formula(latex));
  const wrap = $("graph").getBoundingClientRect();
  const box = event.target.getBoundingClientRect?.() ?? wrap;
  tip.style.left = `${Math.min(wrap.width - 260, Math.max(4, box.right - wrap.left + 8))}px`;
  tip.style.top = `${Math.max(4, box.top - wrap.top)}px`;
  tip.hidden = false;
}

function selectNode(node) {
  if (node.collapsed) return openGroup(node.collapsed.group, node.id);
  state.selected = node.id;
  const card = $("details-card");
  const details = $("details");
  $("details-title").textContent = nodeName(node.id);
  details.replaceChildren();
  const info = forkInfo(state.graph, node.id);
  if (info?.isFork) {
    const p = el("p", tr("fork.title", { name: nodeName(node.id), count: info.count }));
    const table = document.createElement("table");
    for (const c of info.contributions) {
      table.append(row([`→ ${nodeName(c.target)}`, formatValue(c.value, state.digits)]));
    }
    table.append(row([tr("fork.sum"), formatValue(info.sum, state.digits)], true));
    details.append(p, table);
  } else {
    const table = document.createElement("table");
    table.append(row([tr("node.value"), formatValue(node.value, state.digits)]));
    table.append(row([tr("node.grad"), formatValue(node.grad, state.digits)]));
    details.append(table);
  }
  card.hidden = false;
}

function row(cells, header = false) {
  const tr_ = document.createElement("tr");
  for (const cell of cells) {
    tr_.append(el(header ? "th" : "td", cell));
  }
  return tr_;
}

/** What went wrong with a request: the API's own error, or else that the server could not
 * be reached or could not answer (a 5xx without an error body). */
function failureOf(result) {
  const key = result.status ? "error.server" : "error.network";
  const params = { status: result.status };
  return api.firstError(result)
    ?? { type: "network", msg: t("en", key, params), msg_ko: t("ko", key, params) };
}

// ------------------------------------------------------------------ gradient check

async function runGradcheck() {
  if (!state.request) await run();
  if (!state.request) return;
  const result = await api.checkGradients(state.request);
  state.gradcheck = result.ok ? result.data : { error: failureOf(result) };
  renderGradcheck();
}

function renderGradcheck() {
  const box = $("gradcheck-result");
  box.replaceChildren();
  const report = state.gradcheck;
  if (!report) return;
  if (report.error) {
    box.append(el("p", state.lang === "ko" ? report.error?.msg_ko : report.error?.msg, "fail"));
    return;
  }
  const table = document.createElement("table");
  table.append(row([tr("gradcheck.variable"), tr("gradcheck.backprop"), tr("gradcheck.numeric"),
                    tr("gradcheck.rel_error")], true));
  for (const [name, v] of Object.entries(report.variables)) {
    const tr_ = row([name, formatValue(v.backprop, state.digits), formatValue(v.numeric, state.digits),
                     formatNumber(v.max_rel_error, 2)]);
    tr_.dataset.variable = name;
    table.append(tr_);
    if (v.checked < v.elements) {
      table.append(row(["", tr("gradcheck.sampled", { checked: v.checked, elements: v.elements })]));
    }
  }
  const ok = toNumber(report.max_rel_error) < 1e-5;
  box.append(table, el("p", tr(ok ? "gradcheck.pass" : "gradcheck.fail"), `verdict ${ok ? "pass" : "fail"}`),
             el("p", tr("gradcheck.cost", { evals: report.forward_evals }), "cost"));
}

// ------------------------------------------------------------------ share and export

// The link of the current state, or "" when the page could not open it again (a huge
// pasted matrix makes it too long): an address that cannot be reopened is worse than none.
function currentHash() {
  const hash = encodeState(shareStateOf(state));
  return decodeState(hash)?.ok ? hash : "";
}

function setHash(hash) {
  history.replaceState(null, "", hash || `${location.pathname}${location.search}`);
}

function scheduleUrlUpdate() {
  clearTimeout(state.urlTimer);
  state.urlTimer = setTimeout(() => {
    if (state.graph) setHash(currentHash());
  }, 150);
}

function flashShareButton(key) {
  $("share").textContent = tr(key);
  setTimeout(() => { $("share").textContent = tr("share.button"); }, 1500);
}

async function share() {
  const hash = currentHash();
  setHash(hash);
  if (!hash) return flashShareButton("share.too_long");
  const url = location.href;
  try {
    await navigator.clipboard.writeText(url);
  } catch {
    // No clipboard (insecure context, headless): the address bar has the link anyway.
  }
  flashShareButton("share.copied");
}

function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function svgForExport() {
  // A standalone copy: the page's computed colours inlined as one <style>, graph framed.
  const svg = $("graph").cloneNode(true);
  for (const staged of svg.querySelectorAll(".staged")) staged.remove(); // the next Run's, hidden
  const box = state.graph ? view.layout : { width: 400, height: 300 };
  svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  svg.setAttribute("viewBox", `-40 -60 ${box.width + 80} ${box.height + 120}`);
  svg.setAttribute("width", String(box.width + 80));
  svg.setAttribute("height", String(box.height + 120));
  svg.querySelector(".zoom-layer")?.removeAttribute("transform");
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  const style = document.createElementNS("http://www.w3.org/2000/svg", "style");
  style.textContent = `
    svg { background: ${v("--panel")}; font-family: monospace; }
    .wire { fill: none; stroke: ${v("--wire")}; stroke-width: 1.6; }
    .wire.done { stroke: ${v("--ink")}; stroke-opacity: .55; }
    .wire.active { stroke: ${v("--wire-active")}; stroke-width: 3; }
    .shape { fill: ${v("--node")}; stroke: ${v("--node-line")}; stroke-width: 1.5; }
    .op .shape { fill: ${v("--op")}; } .constant .shape { fill: ${v("--const")}; stroke-dasharray: 4 3; }
    .active .shape { stroke: ${v("--active")}; stroke-width: 3.5; }
    text { font-size: 12px; text-anchor: middle; fill: ${v("--ink")}; }
    .node .val, .node .grd { font-size: 12px; }
    .symbol { font-size: 15px; font-weight: 600; dominant-baseline: central; }
    .name { fill: ${v("--accent")}; font-weight: 600; }
    .wire-label { fill: ${v("--muted")}; font-size: 12px; }
    .pos { fill: ${v("--pos")}; } .neg { fill: ${v("--neg")}; } .zero { fill: ${v("--zero")}; }
    .nan { fill: ${v("--nan")}; } .pulse { display: none; }
    .block-box { fill: none; stroke: ${v("--accent")}; stroke-dasharray: 6 4; }
    .block-label { fill: ${v("--accent")}; text-anchor: start; font-size: 12px; }
    .param .shape { fill: ${v("--param")}; stroke: ${v("--accent")}; stroke-width: 2.5; }
    .symbol.small { font-size: 12px; }
    .grd, .wire-grad { font-weight: 700; font-style: italic; } .wire-grad { font-size: 12px; }
    .grd-mark { font-size: 12px; font-weight: 700; font-style: italic; fill: ${v("--muted")}; text-anchor: end; }
    .heat rect.cell { stroke: ${v("--panel")}; stroke-width: .5; }
    .heat .heat-frame { fill: none; stroke: ${v("--node-line")}; stroke-width: .75; }
    .heat-num { font-size: 12px; dominant-baseline: central; fill: ${v("--ink")}; }
    .heat-grad .heat-num { font-weight: 700; font-style: italic; }
    .heat .grd-mark { dominant-baseline: central; }
    .collapsed .shape, .stack { fill: ${v("--op")}; stroke: ${v("--accent")}; stroke-width: 2; }
    .wrong .shape { stroke: ${v("--nan")}; stroke-width: 3; stroke-dasharray: 5 3; }
    .edge.dropped path.wire { stroke: ${v("--nan")}; stroke-dasharray: 6 4; }
    .differs .shape { stroke: ${v("--focus")}; stroke-width: 3; }`;
  svg.prepend(style);
  return new XMLSerializer().serializeToString(svg);
}

function exportSvg() {
  download("backprop-graph.svg", new Blob([svgForExport()], { type: "image/svg+xml" }));
}

function exportPng() {
  const source = svgForExport();
  const image = new Image();
  const url = URL.createObjectURL(new Blob([source], { type: "image/svg+xml" }));
  image.onload = () => {
    const scale = 2;
    const canvas = document.createElement("canvas");
    canvas.width = image.width * scale;
    canvas.height = image.height * scale;
    const ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    ctx.drawImage(image, 0, 0);
    URL.revokeObjectURL(url);
    canvas.toBlob((blob) => blob && download("backprop-graph.png", blob));
  };
  image.src = url;
}

// The same expression and values as a PyTorch script (POST /api/export), to run and see the
// same gradients in the framework a learner uses next.
async function exportTorch() {
  if (!state.request) return;
  const { mistake, expand, ...request } = state.request; // PyTorch computes the right gradients
  const result = await api.exportScript({ ...request, to: "torch" });
  if (!result.ok) return setError(failureOf(result));
  download(result.data.filename, new Blob([result.data.script], { type: "text/x-python" }));
}

function exportJson() {
  if (!state.graph) return;
  download("backprop-graph.json",
           new Blob([JSON.stringify(state.response, null, 1)], { type: "application/json" }));
}

// ------------------------------------------------------------------ wiring

function wire() {
  $("run").addEventListener("click", () => run());
  $("expression").addEventListener("input", (e) => onExpressionInput(e.target.value));
  $("expression").addEventListener("keydown", runOnEnter);
  $("expression").addEventListener("scroll", () => {
    $("expression-mirror").scrollTop = $("expression").scrollTop;
  });
  $("output-grad").addEventListener("input", (e) => {
    state.outputGrad = e.target.value;
    settle();
  });
  $("output-grad").addEventListener("keydown", runOnEnter);
  $("expand").addEventListener("change", (e) => {
    state.expand = e.target.checked;
    if (state.graph) run();
  });
  $("show-constants").addEventListener("change", (e) => {
    state.showConstants = e.target.checked;
    if (state.graph) run();
  });
  $("precision").addEventListener("change", (e) => {
    state.digits = Number(e.target.value);
    renderTimeline();
    renderGradcheck();
  });
  $("speed").addEventListener("change", (e) => { state.speed = Number(e.target.value); });
  $("examples").addEventListener("change", (e) => {
    if (state.shareError) setShareError(null);
    if (e.target.value) loadExample(e.target.value);
  });
  $("step-prev").addEventListener("click", () => act("prev"));
  $("step-next").addEventListener("click", () => act("next"));
  $("step-reset").addEventListener("click", () => act("start"));
  $("step-end").addEventListener("click", () => act("end"));
  $("jump-forward").addEventListener("click", () => act("forward"));
  $("jump-backward").addEventListener("click", () => act("backward"));
  $("play").addEventListener("click", () => act("toggle"));
  $("scrub").addEventListener("input", (e) => { stopPlaying(); setStep(Number(e.target.value)); });
  $("zoom-in").addEventListener("click", () => view.zoomBy(1.3));
  $("zoom-out").addEventListener("click", () => view.zoomBy(1 / 1.3));
  $("zoom-fit").addEventListener("click", () => view.fit({ whole: true }));
  $("group-toggle").addEventListener("click", toggleGroups);
  $("compare-toggle").addEventListener("change", (e) => setCompare(e.target.checked));
  $("compare-mode").addEventListener("change", (e) => {
    state.compare.mode = e.target.value;
    renderCompareForm();
    if (e.target.value !== "custom") runBeside();
  });
  $("compare-var").addEventListener("change", (e) => {
    state.compare.name = e.target.value;
    runBeside();
  });
  $("compare-form").addEventListener("submit", (e) => {
    e.preventDefault();
    runBeside();
  });
  $("mistake").addEventListener("change", (e) => {
    state.mistake = e.target.value;
    if (state.graph) run();
  });
  $("practice-toggle").addEventListener("change", (e) => {
    state.practice.on = e.target.checked;
    resetPractice();
    renderTimeline();
  });
  $("practice-forward").addEventListener("change", (e) => {
    state.practice.forward = e.target.checked;
    renderTimeline();
  });
  $("gradcheck").addEventListener("click", runGradcheck);
  $("share").addEventListener("click", share);
  $("export-svg").addEventListener("click", exportSvg);
  $("export-png").addEventListener("click", exportPng);
  $("export-json").addEventListener("click", exportJson);
  $("export-torch").addEventListener("click", exportTorch);
  $("lang-toggle").addEventListener("click", () => {
    state.lang = state.lang === "ko" ? "en" : "ko";
    localStorage.setItem("bpv-lang", state.lang);
    applyLanguage();
    renderWarnings();
    renderSeedNote();
    scheduleUrlUpdate();
  });
  $("theme-toggle").addEventListener("click", () => {
    setTheme(state.theme === "dark" ? "light" : "dark");
  });
  document.addEventListener("keydown", (event) => {
    const action = keyToAction(event.key);
    if (!action || !keyIsForTimeline(event)) return;
    event.preventDefault();
    act(action);
  });
}

// The timeline's keys work whatever control was used last (after choosing a preset the
// arrows step, they do not pick the next preset), except while typing in a text field, on
// the scrubber (whose own arrows step it) and for Space / Enter on a button.
const UNTYPED_INPUTS = new Set(["checkbox", "radio", "button", "submit", "reset"]);

function keyIsForTimeline(event) {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey || target.isContentEditable) return false;
  if (target.tagName === "TEXTAREA") return false;
  if (target.tagName === "INPUT" && !UNTYPED_INPUTS.has(target.type)) return false;
  if (target.tagName === "SELECT") return event.key === "ArrowLeft" || event.key === "ArrowRight";
  return !(target.closest?.("button, summary, a, [role=button]") && (event.key === " " || event.key === "Enter"));
}

/** Put a decoded share link's state into the page and run it at its step. */
async function restore(link) {
  Object.assign(state, withLink(link), { example: linkedExample(link, state.examples) });
  renderInputs();
  renderExplanation();
  renderValuesEditor();
  await refreshVariables({ ahead: false });
  await run({ step: link.step ?? 0 });
}

async function init() {
  const shared = decodeState(location.hash); // null, {ok: true, state} or {ok: false, reason}
  const link = shared?.ok ? shared.state : null;
  state.shareError = shared?.ok === false ? shared.reason : null;
  state.lang = link?.lang ?? localStorage.getItem("bpv-lang") ?? detectLang(navigator.languages ?? []);
  try {
    setTheme(localStorage.getItem("bpv-theme")
             ?? (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
    wire();
    renderInputs();
    applyLanguage();
    const [ops, examples, mistakes] = await Promise.all([api.getOps(), api.getExamples(), api.getMistakes()]);
    if (mistakes.ok) state.mistakes = mistakes.data.mistakes;
    renderMistakeMenu();
    state.ops = Array.isArray(ops.data) ? ops.data : [];
    state.opsByName = new Map(state.ops.map((op) => [op.name, op]));
    state.examples = Array.isArray(examples.data) ? examples.data : [];
    // The menu's groups: each preset's section, in the order the presets come.
    const sections = new Map(state.examples.map((e) => [e.section, { id: e.section, title: e.section_title, tutorial: e.tutorial }]));
    state.sections = [...sections.values()];
    applyLanguage();
    if (link) {
      await restore(link);
    } else if (state.examples.length) {
      // The tutorial's first worked example; also what a broken link falls back to.
      await loadExample((state.examples.find((e) => e.default) ?? state.examples[0]).id);
    }
  } finally {
    // The page is usable whatever happened above; an unexpected error still surfaces.
    document.body.dataset.ready = "true";
  }
}

init();
