// The training lab's controls, built once: the parameter list, the optimizer and its
// hyperparameters (added when GET /api/optimizers answers), L2, batch and steps, the
// buttons, the chart's box, and the boxes the panel fills (status, update arithmetic,
// landscape, scaling experiment). Only DOM building: what the controls do is the panel's
// (static/js/train-panel.js), passed in as `on`.
import { el, svgEl } from "./dom.js";
import { CHART } from "./loss-chart.js";
import { allHyperparameters, inLanguage } from "./train-rules.js";

const SCALE_FACTORS = [1, 10, 100, 1000];
export const DEFAULTS = { l2: 0, steps: 100 }; // the panel's starting choices (not rules)

/** A labelled input: the label's text (a span, `label`) above it. */
function field(id, label, input) {
  const node = el("label", "tp-field");
  node.htmlFor = id;
  input.id = id;
  node.append(label, input);
  return node;
}

/** A number field; Enter in it calls `onEnter` (trains). */
function numberInput(testid, onEnter, { min, step = "any" } = {}) {
  const input = el("input", "", { type: "number", step, inputMode: "decimal", autocomplete: "off" });
  input.dataset.testid = testid;
  if (min !== undefined) input.min = String(min);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); onEnter(); }
  });
  input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
  return input;
}

/** The panel's controls in `root`: {node name -> element, texts: [{node, key}] (the static
 * labels, translated again on a language switch), hyper: Map (filled by addHyperInputs)}.
 * `on`: {train, pause, step, reset, clear, optimizer, log, scaleApply, standardise}. */
export function buildForm(root, on) {
  const texts = [];
  const text = (node, key) => {
    texts.push({ node, key });
    return node;
  };
  const labelled = (id, key, input) => field(id, text(el("span"), key), input);
  const button = (id, key, className = "") => text(el("button", className, { type: "button", id }), key);
  const f = { texts, hyper: new Map() }; // hyper: key -> {input, field, label, h}
  root.classList.add("tp");
  root.replaceChildren();

  // Parameters
  const paramsBox = el("fieldset", "tp-params");
  f.paramsList = el("div", "tp-param-list");
  f.paramsHint = el("p", "hint");
  paramsBox.append(text(el("legend"), "train.params"), f.paramsList, f.paramsHint);

  // Optimizer and hyperparameters: their inputs come with the rules (addHyperInputs).
  f.optimizer = el("select", "", { dataset: { testid: "train-optimizer" } });
  f.optimizer.addEventListener("change", on.optimizer);
  f.l2 = numberInput("train-l2", on.train, { min: 0 });
  f.batch = numberInput("train-batch", on.train, { min: 1, step: "1" });
  f.steps = numberInput("train-steps", on.train, { min: 1, step: "1" });
  f.l2.value = String(DEFAULTS.l2);
  f.steps.value = String(DEFAULTS.steps);
  const grid = el("div", "tp-grid");
  grid.append(labelled("train-optimizer", "train.optimizer", f.optimizer));
  const numbers = el("div", "tp-grid tp-grid-3");
  numbers.append(labelled("train-l2", "train.l2", f.l2),
                 labelled("train-batch", "train.batch", f.batch),
                 labelled("train-steps", "train.steps", f.steps));
  f.hyperGrids = { common: grid, others: numbers };

  // Actions
  f.trainButton = button("train-run", "train.train", "primary");
  f.trainButton.dataset.testid = "train-button";
  f.pauseButton = button("train-pause", "train.pause");
  f.stepButton = button("train-step", "train.step");
  f.resetButton = button("train-reset", "train.reset");
  f.clearButton = button("train-clear", "train.clear");
  f.trainButton.addEventListener("click", on.train);
  f.pauseButton.addEventListener("click", on.pause);
  f.stepButton.addEventListener("click", on.step);
  f.resetButton.addEventListener("click", on.reset);
  f.clearButton.addEventListener("click", on.clear);
  const actions = el("div", "tp-actions");
  actions.append(f.trainButton, f.pauseButton, f.stepButton, f.resetButton);

  f.statusEl = el("p", "tp-status", { dataset: { testid: "train-status" } });
  f.statusEl.setAttribute("role", "status");
  f.statusEl.setAttribute("aria-live", "polite");

  // Loss chart
  f.logBox = el("input", "", { type: "checkbox", id: "train-log" });
  f.logBox.addEventListener("change", on.log);
  const logLabel = el("label", "check tp-log");
  logLabel.append(f.logBox, text(el("span"), "train.log"));
  f.chartSvg = svgEl("svg", { "data-testid": "loss-chart", role: "img", class: "tp-chart",
                              width: CHART.width, height: CHART.height });
  f.legend = el("ul", "tp-legend", { dataset: { testid: "train-legend" } });
  f.currentEl = el("div", "tp-current", { dataset: { testid: "train-current" } });

  // Single update arithmetic
  f.updateEl = el("section", "tp-update", { dataset: { testid: "update-arithmetic" } });
  f.updateEl.hidden = true;
  f.updateEl.setAttribute("aria-live", "polite");

  // Landscape
  f.landscapeEl = el("section", "tp-landscape");
  f.landscapeEl.hidden = true;
  f.landscapeSvg = svgEl("svg", { "data-testid": "landscape", role: "img", class: "tp-contour" });
  f.landscapeHint = el("p", "hint");
  f.landscapeEl.append(text(el("h3"), "train.landscape.title"), f.landscapeSvg, f.landscapeHint);

  // Input scaling experiment
  // A disclosure button rather than <details>: the page's timeline keys take Space
  // everywhere except on buttons and form fields.
  const scaleEl = el("section", "tp-scale");
  const scaleToggle = el("button", "tp-disclosure", { type: "button", id: "train-scale-toggle" });
  scaleToggle.setAttribute("aria-expanded", "false");
  scaleToggle.setAttribute("aria-controls", "train-scale-body");
  scaleToggle.append(el("span", "tp-caret", { text: "▸" }), text(el("span"), "train.scale.title"));
  const scaleBody = el("div", "tp-scale-body", { id: "train-scale-body" });
  scaleBody.hidden = true;
  scaleToggle.addEventListener("click", () => {
    const open = scaleBody.hidden;
    scaleBody.hidden = !open;
    scaleToggle.setAttribute("aria-expanded", String(open));
  });
  f.scaleVar = el("select", "", { dataset: { testid: "train-scale-var" } });
  f.scaleK = el("select", "", { dataset: { testid: "train-scale-k" } });
  for (const k of SCALE_FACTORS) f.scaleK.append(el("option", "", { value: String(k), text: `×${k}` }));
  f.scaleApply = button("train-scale-apply", "train.scale.apply");
  f.standardiseButton = button("train-standardise", "train.scale.standardise");
  f.scaleApply.addEventListener("click", on.scaleApply);
  f.standardiseButton.addEventListener("click", on.standardise);
  const scaleRow = el("div", "tp-grid");
  scaleRow.append(labelled("train-scale-var", "train.scale.input", f.scaleVar),
                  labelled("train-scale-k", "train.scale.factor", f.scaleK));
  const scaleActions = el("div", "tp-actions");
  scaleActions.append(f.scaleApply, f.standardiseButton);
  f.scaleResultEl = el("div", "tp-scale-result", { dataset: { testid: "train-scale-result" } });
  f.scaleResultEl.setAttribute("aria-live", "polite");
  scaleBody.append(text(el("p", "hint"), "train.scale.explain"), scaleRow, scaleActions, f.scaleResultEl);
  scaleEl.append(scaleToggle, scaleBody);

  const chartBox = el("div", "tp-chart-box");
  f.runsHint = text(el("p", "hint"), "train.runs_hint");
  const chartHead = el("div", "tp-chart-head");
  chartHead.append(f.clearButton, logLabel);
  chartBox.append(chartHead, f.chartSvg, f.legend, f.runsHint);
  root.append(paramsBox, grid, numbers, actions, f.statusEl, chartBox, f.currentEl, f.updateEl,
              f.landscapeEl, scaleEl);
  return f;
}

/** One option per optimizer of `rules` and one input per hyperparameter of any of them:
 * those every optimizer has (the learning rate) beside the optimizer, the others with L2
 * and steps. Their labels are set by translateForm. */
export function addHyperInputs(f, rules, onEnter) {
  const optimizers = rules.optimizers;
  f.optimizer.replaceChildren(...optimizers.map((o) => el("option", "", { value: o.name })));
  const common = (key) => optimizers.every((o) => o.hyperparameters.some((h) => h.key === key));
  const others = [];
  for (const h of allHyperparameters(rules)) {
    const id = `train-${h.key}`;
    const input = numberInput(id, onEnter, { min: h.min ?? undefined });
    input.value = String(h.suggested);
    const label = el("span");
    const node = field(id, label, input);
    f.hyper.set(h.key, { input, field: node, label, h });
    if (common(h.key)) f.hyperGrids.common.append(node);
    else others.push(node);
  }
  f.hyperGrids.others.prepend(...others);
}

/** Every static label, optimizer name and hyperparameter label in the page's language. */
export function translateForm(f, t, optimizerTitle) {
  for (const { node, key } of f.texts) node.textContent = t(key);
  const lang = document.documentElement.lang;
  for (const option of f.optimizer.options) option.textContent = optimizerTitle(option.value);
  for (const { label, input, h } of f.hyper.values()) {
    label.textContent = inLanguage(h.label, lang);
    input.title = inLanguage(h.description, lang);
  }
}

/** Only the chosen optimizer's hyperparameters are shown (`optimizer`: its rules entry). */
export function showHyper(f, optimizer) {
  const keys = new Set(optimizer?.hyperparameters.map((h) => h.key));
  for (const [key, { field: node }] of f.hyper) node.hidden = !keys.has(key);
}
