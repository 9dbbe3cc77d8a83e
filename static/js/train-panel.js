// The training lab: pick parameters and an optimizer, train (streamed NDJSON from
// /api/train), pause, replay from the same initial values, overlay runs on one loss chart,
// step single updates with their arithmetic, draw the loss landscape of two scalar
// parameters, and try the tutorial's input-scaling experiment.
//
// The panel never edits the page's state directly: it reads the problem through
// getProblem() and writes values through applyParams(), which re-runs the graph. The pure
// helpers live in train-model.js and are re-exported here (tests/js/train-panel.test.mjs).
//
// Names are the user's text: what is keyed by name is a Map, and objects from the page or
// the API are read with own(), so "constructor" never finds Object.prototype's member.
//
// The optimizers, their hyperparameters (defaults, bounds, labels) and the step limits are
// not written here: they come from GET /api/optimizers (the engine's table), and the
// inputs are built from that answer (train-rules.js). The NDJSON stream is api.js's.
import { firstError, getOptimizers, own, postJSON, splitLines, streamTrain } from "./api.js";
import { LandscapeView, landscapeBox } from "./contour.js";
import { formatNumber, formatValue } from "./format.js";
import { CHART, LossChart, runClasses } from "./loss-chart.js";
import { allHyperparameters, findOptimizer, inLanguage, inputRule, readNumber, startingValues }
  from "./train-rules.js";
import {
  absorb, allFinite, batchData, columns, defaultParams, isScalar, norm, sameValues, scaleValue, size,
  standardiseRows, updateLines,
} from "./train-model.js";

export { readNumber, splitLines };
export * from "./train-model.js";

const LIVE_APPLY_MS = 500; // while a long run streams, the graph follows at most this often
const SCALE_FACTORS = [1, 10, 100, 1000];
const DEFAULTS = { l2: 0, steps: 100 }; // the panel's starting choices (not rules)

// ------------------------------------------------------------------ DOM helpers

function el(tag, className = "", props = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "text") node.textContent = v;
    else node[k] = v;
  }
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** A page error for a failed call: the API's own message, or network / server. */
function failure(result) {
  return firstError(result) ?? (result.status ? { key: "error.server", params: { status: result.status } }
                                              : { key: "error.network" });
}

// ------------------------------------------------------------------ the panel

export class TrainPanel {
  constructor(root, { getProblem, applyParams, t }) {
    Object.assign(this, { root, getProblem, t });
    this.pageApply = applyParams;
    this.applied = new Map(); // name -> the value the panel last wrote into the page
    this.variables = [];
    this.values = {};
    this.selected = new Set();
    this.initial = null; // {expression, values: Map name -> value}: what Reset restores
    this.runs = [];
    this.nextRun = 1;
    this.busy = false;
    this.active = null; // the running action: {controller, generation}
    this.generation = 0; // bumped by Reset / Clear / a new preset: late answers of older work are dropped
    this.session = null; // single updates: {config, start, expected, count, run}
    this.update = null; // the last single update's arithmetic
    this.current = null; // {step, params, final}: the parameters shown under the chart
    this.status = null; // {key, params} | {error}
    this.scaleBase = new Map(); // name -> value at ×1
    this.scaleResult = null;
    this.landscapeSerial = 0; // only the newest /api/landscape answer is drawn
    this.landscapeDrawn = false;
    this.live = null; // the graph re-run that follows a long run
    this.frame = 0;
    this.texts = []; // {node, key}: the static labels, translated again on a language switch
    this.rules = null; // GET /api/optimizers: {optimizers, limits}
    this.pendingTrain = undefined; // a preset's training settings that came before the rules
    this.build();
    this.loadRules();
    this.observeValues();
    this.setLanguage();
  }

  // ---------------------------------------------------------------- building

  /** `node`, whose text is the translation of `key` in the page's language. */
  text(node, key) {
    this.texts.push({ node, key });
    return node;
  }

  /** A labelled input: the label's text above it. */
  field(id, key, input) {
    const label = el("label", "tp-field");
    label.htmlFor = id;
    input.id = id;
    label.append(this.text(el("span"), key), input);
    return label;
  }

  /** A number field; Enter in it trains. */
  numberInput(testid, { min, step = "any" } = {}) {
    const input = el("input", "", { type: "number", step, inputMode: "decimal", autocomplete: "off" });
    input.dataset.testid = testid;
    if (min !== undefined) input.min = String(min);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); this.train(); }
    });
    input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
    return input;
  }

  button(id, key, className = "") {
    return this.text(el("button", className, { type: "button", id }), key);
  }

  build() {
    const root = this.root;
    root.classList.add("tp");
    root.replaceChildren();

    // Parameters
    this.paramsBox = el("fieldset", "tp-params");
    this.paramsLegend = this.text(el("legend"), "train.params");
    this.paramsList = el("div", "tp-param-list");
    this.paramsHint = el("p", "hint");
    this.paramsBox.append(this.paramsLegend, this.paramsList, this.paramsHint);

    // Optimizer and hyperparameters: their inputs are built when the rules arrive
    // (buildHyper); until then Train and Step wait.
    this.optimizer = el("select", "", { dataset: { testid: "train-optimizer" } });
    this.optimizer.addEventListener("change", () => this.renderHyper());
    this.hyper = new Map(); // key -> {input, field, label, h}
    this.l2 = this.numberInput("train-l2", { min: 0 });
    this.batch = this.numberInput("train-batch", { min: 1, step: "1" });
    this.steps = this.numberInput("train-steps", { min: 1, step: "1" });
    this.l2.value = String(DEFAULTS.l2);
    this.steps.value = String(DEFAULTS.steps);
    const grid = el("div", "tp-grid");
    grid.append(this.field("train-optimizer", "train.optimizer", this.optimizer));
    const numbers = el("div", "tp-grid tp-grid-3");
    numbers.append(this.field("train-l2", "train.l2", this.l2),
                   this.field("train-batch", "train.batch", this.batch),
                   this.field("train-steps", "train.steps", this.steps));
    this.hyperGrids = { common: grid, others: numbers };

    // Actions
    this.trainButton = this.button("train-run", "train.train", "primary");
    this.trainButton.dataset.testid = "train-button";
    this.pauseButton = this.button("train-pause", "train.pause");
    this.stepButton = this.button("train-step", "train.step");
    this.resetButton = this.button("train-reset", "train.reset");
    this.clearButton = this.button("train-clear", "train.clear");
    this.trainButton.addEventListener("click", () => this.train());
    this.pauseButton.addEventListener("click", () => this.pause());
    this.stepButton.addEventListener("click", () => this.stepOnce());
    this.resetButton.addEventListener("click", () => this.reset());
    this.clearButton.addEventListener("click", () => this.clearRuns());
    const actions = el("div", "tp-actions");
    actions.append(this.trainButton, this.pauseButton, this.stepButton, this.resetButton);

    this.statusEl = el("p", "tp-status", { dataset: { testid: "train-status" } });
    this.statusEl.setAttribute("role", "status");
    this.statusEl.setAttribute("aria-live", "polite");

    // Loss chart
    this.logBox = el("input", "", { type: "checkbox", id: "train-log" });
    this.logBox.addEventListener("change", () => this.chart.draw(this.runs, { log: this.logBox.checked }));
    const logLabel = el("label", "check tp-log");
    logLabel.append(this.logBox, this.text(el("span"), "train.log"));
    const chartSvg = svgEl("svg", { "data-testid": "loss-chart", role: "img", class: "tp-chart",
                                    width: CHART.width, height: CHART.height });
    this.chartSvg = chartSvg;
    this.chart = new LossChart(chartSvg, (k, p) => this.t(k, p));
    this.legend = el("ul", "tp-legend", { dataset: { testid: "train-legend" } });
    this.currentEl = el("div", "tp-current", { dataset: { testid: "train-current" } });

    // Single update arithmetic
    this.updateEl = el("section", "tp-update", { dataset: { testid: "update-arithmetic" } });
    this.updateEl.hidden = true;
    this.updateEl.setAttribute("aria-live", "polite");

    // Landscape
    this.landscapeEl = el("section", "tp-landscape");
    this.landscapeEl.hidden = true;
    const landscapeSvg = svgEl("svg", { "data-testid": "landscape", role: "img", class: "tp-contour" });
    this.landscape = new LandscapeView(landscapeSvg, (k, p) => this.t(k, p));
    this.landscapeSvg = landscapeSvg;
    this.landscapeHint = el("p", "hint");
    this.landscapeEl.append(this.text(el("h3"), "train.landscape.title"), landscapeSvg, this.landscapeHint);

    // Input scaling experiment
    // A disclosure button rather than <details>: the page's timeline keys take Space
    // everywhere except on buttons and form fields.
    this.scaleEl = el("section", "tp-scale");
    this.scaleToggle = el("button", "tp-disclosure", { type: "button", id: "train-scale-toggle" });
    this.scaleToggle.setAttribute("aria-expanded", "false");
    this.scaleToggle.setAttribute("aria-controls", "train-scale-body");
    this.scaleToggle.append(el("span", "tp-caret", { text: "▸" }), this.text(el("span"), "train.scale.title"));
    this.scaleBody = el("div", "tp-scale-body", { id: "train-scale-body" });
    this.scaleBody.hidden = true;
    this.scaleToggle.addEventListener("click", () => {
      const open = this.scaleBody.hidden;
      this.scaleBody.hidden = !open;
      this.scaleToggle.setAttribute("aria-expanded", String(open));
    });
    this.scaleVar = el("select", "", { dataset: { testid: "train-scale-var" } });
    this.scaleK = el("select", "", { dataset: { testid: "train-scale-k" } });
    for (const k of SCALE_FACTORS) this.scaleK.append(el("option", "", { value: String(k), text: `×${k}` }));
    this.scaleApply = this.button("train-scale-apply", "train.scale.apply");
    this.standardiseButton = this.button("train-standardise", "train.scale.standardise");
    this.scaleApply.addEventListener("click", () => this.applyScale());
    this.standardiseButton.addEventListener("click", () => this.standardise());
    const scaleRow = el("div", "tp-grid");
    scaleRow.append(this.field("train-scale-var", "train.scale.input", this.scaleVar),
                    this.field("train-scale-k", "train.scale.factor", this.scaleK));
    const scaleActions = el("div", "tp-actions");
    scaleActions.append(this.scaleApply, this.standardiseButton);
    this.scaleResultEl = el("div", "tp-scale-result", { dataset: { testid: "train-scale-result" } });
    this.scaleResultEl.setAttribute("aria-live", "polite");
    this.scaleBody.append(this.text(el("p", "hint"), "train.scale.explain"), scaleRow, scaleActions,
                          this.scaleResultEl);
    this.scaleEl.append(this.scaleToggle, this.scaleBody);

    const chartBox = el("div", "tp-chart-box");
    this.runsHint = this.text(el("p", "hint"), "train.runs_hint");
    const chartHead = el("div", "tp-chart-head");
    chartHead.append(this.clearButton, logLabel);
    chartBox.append(chartHead, chartSvg, this.legend, this.runsHint);
    root.append(this.paramsBox, grid, numbers, actions, this.statusEl, chartBox, this.currentEl, this.updateEl,
                this.landscapeEl, this.scaleEl);
    this.renderHyper();
    this.renderButtons();
  }

  /** Fetch the rules (GET /api/optimizers) and build the optimizer's inputs from them. */
  async loadRules() {
    const result = await getOptimizers();
    if (!result.ok || !Array.isArray(result.data?.optimizers)) {
      this.setStatus({ error: failure(result) });
      return;
    }
    this.rules = result.data;
    this.buildHyper();
    this.loadTrain(this.pendingTrain);
    this.pendingTrain = undefined;
    this.renderHyper();
    this.setLanguage();
    this.renderButtons();
  }

  /** One option per optimizer and one input per hyperparameter of any of them: those every
   * optimizer has (the learning rate) beside the optimizer, the others with L2 and steps. */
  buildHyper() {
    const optimizers = this.rules.optimizers;
    this.optimizer.replaceChildren(...optimizers.map((o) => el("option", "", { value: o.name })));
    const common = (key) => optimizers.every((o) => o.hyperparameters.some((h) => h.key === key));
    const others = [];
    for (const h of allHyperparameters(this.rules)) {
      const id = `train-${h.key}`;
      const input = this.numberInput(id, { min: h.min ?? undefined });
      input.value = String(h.suggested);
      const field = el("label", "tp-field");
      field.htmlFor = id;
      input.id = id;
      const label = el("span");
      field.append(label, input);
      this.hyper.set(h.key, { input, field, label, h });
      if (common(h.key)) this.hyperGrids.common.append(field);
      else others.push(field);
    }
    this.hyperGrids.others.prepend(...others);
  }

  /** A preset's training settings (or, without them, the panel's current ones) into the
   * inputs; before the rules have arrived they wait for them. */
  loadTrain(train) {
    if (!this.rules) {
      this.pendingTrain = train;
      return;
    }
    if (!train) return;
    const o = train.optimizer ?? {};
    this.optimizer.value = findOptimizer(this.rules, o.name) ? o.name : this.rules.optimizers[0].name;
    for (const [key, value] of startingValues(this.rules, o)) this.hyper.get(key).input.value = String(value);
    this.l2.value = String(train.l2 ?? DEFAULTS.l2);
    this.steps.value = String(train.steps ?? DEFAULTS.steps);
    this.batch.value = train.batch?.size ? String(train.batch.size) : "";
  }

  /** The limits of /api/train (BPV_MAX_TRAIN_STEPS and the detail / track bounds). */
  get limits() {
    return this.rules?.limits ?? { max_train_steps: Infinity, detail_steps: 0, track_numbers: 0 };
  }

  /** The page rebuilds its values editor whenever the variables or values change: follow
   * it, so the parameter list matches the expression without a hook in the page. */
  observeValues() {
    const editor = document.querySelector("[data-testid=values-editor]");
    if (!editor || typeof MutationObserver === "undefined") return;
    let queued = false;
    new MutationObserver(() => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => { queued = false; this.sync(); });
    }).observe(editor, { childList: true });
    this.root.addEventListener("focusin", () => this.sync());
  }

  // ---------------------------------------------------------------- problem and settings

  /** Re-read the problem: new variables get their default tick; returns the problem (or
   * null when the values do not parse). */
  sync() {
    const problem = this.getProblem();
    if (!problem || problem.error) return null;
    const vars = [...(problem.variables ?? Object.keys(problem.values))];
    const changed = !sameValues(vars, this.variables);
    if (changed) {
      const known = new Set(this.variables);
      const defaults = new Set(defaultParams(vars));
      for (const name of vars) if (!known.has(name) && defaults.has(name)) this.selected.add(name);
      for (const name of [...this.selected]) if (!vars.includes(name)) this.selected.delete(name);
      this.variables = vars;
    }
    const shapesChanged = vars.some((v) => isScalar(own(this.values, v)) !== isScalar(own(problem.values, v))
                                           || columns(own(this.values, v)) !== columns(own(problem.values, v)));
    this.values = problem.values;
    if (changed || shapesChanged) this.renderProblem();
    return problem;
  }

  /** The problem for an action, with the initial values captured on first use. */
  problem() {
    const problem = this.getProblem();
    if (!problem || problem.error) {
      this.setStatus({ error: problem?.error ?? { key: "train.error.problem" } });
      return null;
    }
    this.sync();
    if (!this.initial || this.initial.expression !== problem.expression) this.initial = initialOf(problem);
    return problem;
  }

  params() {
    return this.variables.filter((name) => this.selected.has(name));
  }

  /** Write values into the page (which re-runs the graph), remembering what was written. */
  applyParams(values) {
    for (const [name, value] of Object.entries(values)) this.applied.set(name, structuredClone(value));
    return this.pageApply(values);
  }

  /** Where a run starts: every run from the same initial parameter values, so runs compare
   * fairly. A parameter the learner edited by hand (it differs from what the panel last
   * wrote) becomes the new initial value. */
  startValues(problem, params) {
    const initial = this.initial.values;
    for (const p of params) {
      const current = own(problem.values, p);
      const edited = !this.applied.has(p) || !sameValues(current, this.applied.get(p));
      if (edited || !initial.has(p)) initial.set(p, structuredClone(current));
    }
    return Object.fromEntries(params.map((p) => [p, structuredClone(initial.get(p))]));
  }

  /** Two scalar parameters selected: the case with a loss landscape. */
  pathNames(values = this.values) {
    const params = this.params();
    return params.length === 2 && params.every((p) => isScalar(own(values, p))) ? params : null;
  }

  /** The optimizer settings from the inputs, or null (the bad input is marked). */
  settings() {
    const name = this.optimizer.value;
    const optimizer = findOptimizer(this.rules, name);
    if (!optimizer) return null;
    const checks = [
      ...optimizer.hyperparameters.map((h) => [this.hyper.get(h.key).input, inputRule(h), h.key]),
      [this.l2, { min: 0, empty: 0 }],
      [this.steps, { min: 1, max: this.limits.max_train_steps, closed: true, integer: true }],
      [this.batch, { min: 1, integer: true, empty: null }],
    ];
    const read = new Map();
    const values = { name };
    for (const [input, rule, key] of checks) {
      const v = readNumber(input.value, rule);
      if (v === null && !(rule.empty === null && input.value.trim() === "")) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
        const label = input.closest("label")?.querySelector("span")?.textContent ?? "";
        this.setStatus({ key: "train.error.field", params: { field: label } });
        return null;
      }
      read.set(input, v);
      if (key) values[key] = v;
    }
    return { optimizer: values, l2: read.get(this.l2), steps: read.get(this.steps), batch: read.get(this.batch) };
  }

  /** The /api/train request for the current choices, or null (with the reason shown). */
  request(problem, settings) {
    const params = this.params();
    if (!params.length) {
      this.setStatus({ key: "train.error.no_params" });
      return null;
    }
    const request = { expression: problem.expression, values: problem.values, params,
                      optimizer: settings.optimizer, steps: settings.steps };
    if (settings.fromStart) request.values = { ...problem.values, ...this.startValues(problem, params) };
    if (settings.l2 > 0) request.l2 = settings.l2;
    const data = batchData(problem.values, params);
    if (settings.batch && data && settings.batch < data.columns) {
      request.batch = { size: settings.batch, data: data.data };
    }
    if (params.reduce((n, p) => n + size(own(problem.values, p)), 0) <= this.limits.track_numbers) request.track = true;
    return request;
  }

  newRun(kind, request, problem) {
    const pathNames = request.track ? this.pathNames(problem.values) : null;
    const dataValues = Object.fromEntries(Object.entries(problem.values)
      .filter(([name]) => !request.params.includes(name)));
    const run = {
      id: `run-${this.nextRun++}`, kind, optimizer: request.optimizer, l2: request.l2 ?? 0,
      batch: request.batch?.size ?? null, steps: request.steps, params: request.params,
      points: [], pathNames, path: pathNames ? [] : null, final: null, lastParams: null,
      stopped: null, error: null, state: "running", running: true,
      values: request.values, expression: problem.expression,
      landscapeKey: pathNames ? JSON.stringify([problem.expression, pathNames, dataValues]) : null,
    };
    this.runs.push(run);
    return run;
  }

  // ---------------------------------------------------------------- actions

  async train() {
    if (this.busy) return;
    const problem = this.problem();
    const settings = problem && this.settings();
    const request = settings && this.request(problem, { ...settings, fromStart: true });
    if (!request) return;
    this.session = null;
    const run = this.newRun("train", request, problem);
    const token = this.begin();
    const { controller } = token;
    this.setStatus({ key: "train.status.running", params: { step: 0, steps: request.steps, loss: "…" } });
    this.draw();
    let lastLive = performance.now();
    const result = await streamTrain(request, { signal: controller.signal, onMessages: (messages, done) => {
      for (const message of messages) absorb(run, message);
      if (run.points.length) {
        const last = run.points.at(-1);
        this.setStatus({ key: "train.status.running",
                         params: { step: last.step, steps: request.steps, loss: formatNumber(last.loss, 4) } });
        if (run.lastParams) this.current = { step: last.step, params: run.lastParams };
      }
      this.scheduleDraw();
      // The graph follows a long run now and then (one re-run at a time).
      if (run.lastParams && !this.live && !done && performance.now() - lastLive > LIVE_APPLY_MS
          && allFinite(run.lastParams)) {
        lastLive = performance.now();
        this.live = Promise.resolve(this.applyParams(run.lastParams)).finally(() => { this.live = null; });
      }
    } });
    if (result.status && !result.ok) run.error = failure(result);
    else if (!result.ok && !controller.signal.aborted) run.error = { key: "error.network" };
    // A stream that ends without its last line was cut off (server or network).
    else if (result.ok && !run.final && !run.error) run.error = { key: "error.network" };
    run.running = false;
    if (controller.signal.aborted && !run.error) run.state = "paused";
    else if (run.error) run.state = "error";
    else run.state = run.stopped ?? "done";
    await this.live;
    if (!this.stale(token)) await this.finishRun(run);
    this.end(token);
  }

  /** After a run: the status, the graph at the trained (or paused) params, the landscape. */
  async finishRun(run) {
    const last = run.points.at(-1);
    const first = run.points[0];
    const loss = (p) => (p ? formatNumber(p.loss, 4) : "—");
    if (run.state === "error" && !run.points.length) this.runs = this.runs.filter((r) => r !== run);
    if (run.state === "error") this.setStatus({ error: run.error });
    else if (run.state === "paused") this.setStatus({ key: "train.status.paused", params: { step: last?.step ?? 0 } });
    else if (run.state === "diverged") this.setStatus({ key: "train.status.diverged", params: { step: last?.step ?? 0 } });
    else if (run.state === "time_limit") this.setStatus({ key: "train.status.time_limit", params: { step: last?.step ?? 0 } });
    else this.setStatus({ key: "train.status.done", params: { steps: run.points.length, first: loss(first), last: loss(last) } });
    this.draw();
    const target = run.state === "paused" ? run.lastParams : run.final;
    if (target && allFinite(target)) {
      this.current = { step: run.state === "paused" ? last?.step ?? 0 : run.points.length, params: target, final: run.state !== "paused" };
      this.renderCurrent();
      await this.applyParams(target);
    } else {
      this.renderCurrent();
    }
    this.refreshLandscape();
  }

  pause() {
    this.active?.controller.abort();
  }

  /** Start an action: the panel is busy until end(token); Pause aborts its requests. */
  begin() {
    const token = { controller: new AbortController(), generation: this.generation };
    this.active = token;
    this.setBusy(true);
    return token;
  }

  end(token) {
    if (this.active !== token) return;
    this.active = null;
    this.setBusy(false);
  }

  stale(token) {
    return token.generation !== this.generation;
  }

  /** Drop whatever is running (its late answers are ignored). */
  cancel() {
    this.generation++;
    this.active?.controller.abort();
    this.active = null;
    this.setBusy(false);
  }

  /** One update of the optimizer, with its arithmetic. Consecutive single updates replay
   * from where the first started, so momentum's v and Adam's m, v carry over exactly. */
  async stepOnce() {
    if (this.busy) return;
    const problem = this.problem();
    const settings = problem && this.settings();
    const base = settings && this.request(problem, { ...settings, steps: 1 });
    if (!base) return;
    const config = JSON.stringify([base.expression, base.params, base.optimizer, base.l2 ?? 0,
                                   base.batch ?? null, base.track ?? false]);
    let session = this.session;
    const continues = session && session.config === config && sameValues(problem.values, session.expected)
      && this.runs.includes(session.run);
    const restarted = continues && session.count >= this.limits.detail_steps;
    if (!continues || restarted) {
      session = this.session = { config, start: structuredClone(problem.values), count: 0, expected: null,
                                 run: this.newRun("manual", { ...base, steps: 0 }, problem) };
      session.run.running = false;
    }
    const request = { ...base, values: session.start, steps: session.count + 1, detail: true };
    const token = this.begin();
    const result = await postJSON("/api/train", request, token.controller.signal);
    if (this.stale(token)) return;
    if (!result.ok) {
      if (session.count === 0) this.runs = this.runs.filter((r) => r !== session.run);
      if (!result.aborted) this.setStatus({ error: failure(result) });
      this.draw();
      return this.end(token);
    }
    const { history, params, stopped } = result.data;
    const run = session.run;
    session.count = history.length;
    run.points = [];
    run.path = run.pathNames ? [] : null;
    for (const entry of history) absorb(run, entry);
    absorb(run, { done: true, params, stopped });
    run.steps = history.length;
    run.state = stopped ?? "done";
    const entry = history.at(-1);
    this.update = { entry, prev: history.at(-2)?.update ?? null, optimizer: request.optimizer,
                    l2: request.l2 ?? 0, params: request.params, restarted };
    this.renderUpdate();
    this.setStatus(stopped === "diverged" ? { key: "train.status.diverged", params: { step: entry.step } }
                                          : { key: "train.status.stepped", params: { step: entry.step,
                                              loss: formatNumber(entry.loss, 4) } });
    this.draw();
    if (allFinite(params)) {
      session.expected = { ...problem.values, ...params };
      this.current = { step: entry.step, params, final: true };
      this.renderCurrent();
      await this.applyParams(params);
    }
    this.end(token);
    this.refreshLandscape();
  }

  /** Back to the values captured when the problem was set: the same start every time. */
  async reset() {
    this.cancel();
    this.runs = [];
    this.session = null;
    this.update = null;
    this.scaleResult = null;
    this.current = null;
    const scaled = [...this.scaleBase.keys()];
    this.scaleBase = new Map();
    this.renderUpdate();
    this.renderScaleResult();
    this.renderCurrent();
    this.clearLandscape();
    this.draw();
    await this.live;
    const problem = this.getProblem();
    if (this.initial && problem && !problem.error && problem.expression === this.initial.expression) {
      const names = [...new Set([...this.params(), ...scaled])].filter((n) => this.initial.values.has(n));
      const values = Object.fromEntries(names.map((n) => [n, structuredClone(this.initial.values.get(n))]));
      this.setStatus({ key: "train.status.reset" });
      if (names.length) await this.applyParams(values);
    } else {
      this.setStatus(null);
    }
  }

  clearRuns() {
    this.cancel();
    this.runs = [];
    this.session = null;
    this.clearLandscape();
    this.draw();
  }

  // ---------------------------------------------------------------- scaling experiment

  /** {norms: Map p -> ‖∇p‖} of every parameter at `values`, from one /api/graph, or
   * {error}. (Not one object of both: a parameter may well be called "error".) */
  async gradientNorms(problem, values) {
    const result = await postJSON("/api/graph", { expression: problem.expression, values });
    if (!result.ok) return { error: failure(result) };
    const gradients = result.data?.gradients;
    return { norms: new Map(this.params().map((p) => [p, norm(own(gradients, p) ?? 0)])) };
  }

  /** Show the gradients with input `name` at `value` next to those at ×1, then put
   * `value` into the page. Both are taken at the initial parameters, where every run
   * starts: that first gradient is what a fixed η has to cope with (and away from it a
   * trained model's near-zero gradient would make any ratio meaningless). */
  async scaleTo(problem, name, value, how, token) {
    const base = this.scaleBase.get(name) ?? structuredClone(own(problem.values, name));
    this.scaleBase.set(name, base);
    const params = this.params();
    const start = { ...problem.values, ...(params.length ? this.startValues(problem, params) : {}) };
    const [before, after] = await Promise.all([
      this.gradientNorms(problem, { ...start, [name]: base }),
      this.gradientNorms(problem, { ...start, [name]: value }),
    ]);
    if (this.stale(token)) return;
    const error = before.error ?? after.error;
    if (error) {
      this.setStatus({ error });
      return;
    }
    this.scaleResult = { name, how, rows: this.params().map((p) => ({ param: p, base: before.norms.get(p),
                                                                      now: after.norms.get(p) })) };
    this.renderScaleResult();
    await this.applyParams({ [name]: value });
  }

  async applyScale() {
    if (this.busy) return;
    const problem = this.problem();
    const name = this.scaleVar.value;
    if (!problem || !Object.hasOwn(problem.values, name)) return;
    const k = Number(this.scaleK.value);
    const base = this.scaleBase.get(name) ?? problem.values[name];
    const token = this.begin();
    await this.scaleTo(problem, name, scaleValue(base, k), { key: "train.scale.applied", params: { name, k } }, token);
    this.end(token);
  }

  async standardise() {
    if (this.busy) return;
    const problem = this.problem();
    const name = this.scaleVar.value;
    if (!problem || !Object.hasOwn(problem.values, name)) return;
    if (isScalar(problem.values[name])) {
      this.scaleResult = { name, how: { key: "train.scale.scalar" }, rows: [] };
      this.renderScaleResult();
      return;
    }
    const token = this.begin();
    await this.scaleTo(problem, name, standardiseRows(problem.values[name]),
                       { key: "train.scale.standardised", params: { name } }, token);
    this.end(token);
  }

  // ---------------------------------------------------------------- landscape

  clearLandscape() {
    this.landscapeSerial++;
    this.landscapeDrawn = false;
    for (const g of this.landscapeSvg.querySelectorAll(".bands, .paths")) g.replaceChildren();
    this.renderLandscapeBox();
  }

  /** The loss over a box around every path on the latest run's landscape (padded 30%). */
  async refreshLandscape() {
    const latest = [...this.runs].reverse().find((r) => r.path?.length);
    if (!latest || !sameValues(latest.pathNames, this.pathNames())) return;
    const runs = this.runs.filter((r) => r.path?.length && r.landscapeKey === latest.landscapeKey);
    // A diverged path would stretch the box to 1e300: only its first steps count.
    const box = landscapeBox(runs.flatMap((r) => (r.state === "diverged" ? r.path.slice(0, 3) : r.path)));
    if (!box) return;
    const [a, b] = latest.pathNames;
    const serial = ++this.landscapeSerial;
    const result = await postJSON("/api/landscape", { expression: latest.expression, values: latest.values,
      params: [a, b], ranges: { [a]: box.x, [b]: box.y }, resolution: 41 });
    if (serial !== this.landscapeSerial || !result.ok) return;
    this.landscapeData = { grid: result.data, names: [a, b], runs, l2: latest.l2 };
    this.landscape.draw({ ...this.landscapeData, allRuns: this.runs });
    this.landscapeDrawn = true;
    this.renderLandscapeBox();
  }

  // ---------------------------------------------------------------- rendering

  setBusy(busy) {
    this.busy = busy;
    this.renderButtons();
  }

  renderButtons() {
    this.trainButton.disabled = this.busy || !this.rules;
    this.stepButton.disabled = this.busy || !this.rules;
    this.pauseButton.disabled = !this.busy;
    this.scaleApply.disabled = this.busy;
    this.standardiseButton.disabled = this.busy;
    this.root.setAttribute("aria-busy", String(this.busy));
  }

  setStatus(status) {
    this.status = status;
    this.renderStatus();
  }

  message(item) {
    if (!item) return "";
    if (item.key) return this.t(item.key, item.params);
    return document.documentElement.lang === "ko" ? item.msg_ko ?? item.msg : item.msg;
  }

  renderStatus() {
    const s = this.status;
    this.statusEl.classList.toggle("fail", Boolean(s?.error));
    this.statusEl.textContent = !s ? "" : s.error ? this.message(s.error) : this.t(s.key, s.params);
  }

  /** Only the chosen optimizer's hyperparameters are shown. */
  renderHyper() {
    const keys = new Set(findOptimizer(this.rules, this.optimizer.value)?.hyperparameters.map((h) => h.key));
    for (const [key, { field }] of this.hyper) field.hidden = !keys.has(key);
  }

  /** Parameter checkboxes, the batch hint and the scaling inputs for the variables. */
  renderProblem() {
    this.paramsList.replaceChildren();
    for (const name of this.variables) {
      const box = el("input", "", { type: "checkbox", id: `train-param-${name}`, checked: this.selected.has(name) });
      box.dataset.testid = `train-param-${name}`;
      box.dataset.name = name;
      box.addEventListener("change", () => {
        if (box.checked) this.selected.add(name); else this.selected.delete(name);
        this.renderProblemHints();
        this.renderScaleOptions();
      });
      const label = el("label", "check mono");
      label.htmlFor = box.id;
      label.append(box, el("span", "", { text: name }));
      this.paramsList.append(label);
    }
    this.renderProblemHints();
    this.renderScaleOptions();
  }

  renderProblemHints() {
    this.paramsHint.textContent = !this.variables.length ? this.t("train.params_empty")
      : !this.params().length ? this.t("train.params_none") : "";
    this.paramsHint.hidden = !this.paramsHint.textContent;
    const data = batchData(this.values, this.params());
    this.batch.disabled = !data;
    this.batch.placeholder = data ? this.t("train.batch_all", { n: data.columns }) : "—";
    this.renderLandscapeBox();
  }

  renderScaleOptions() {
    const inputs = this.variables.filter((name) => !this.selected.has(name));
    const current = this.scaleVar.value;
    this.scaleVar.replaceChildren(...inputs.map((name) => el("option", "", { value: name, text: name })));
    const preferred = inputs.find((n) => /^[Xx]/.test(n) && !isScalar(own(this.values, n)))
      ?? inputs.find((n) => /^[Xx]/.test(n)) ?? inputs[0];
    if (inputs.includes(current)) this.scaleVar.value = current;
    else if (preferred) this.scaleVar.value = preferred;
    this.scaleVar.disabled = !inputs.length;
    this.scaleApply.disabled = this.busy || !inputs.length;
    this.standardiseButton.disabled = this.busy || !inputs.length;
  }

  renderLandscapeBox() {
    const names = this.pathNames();
    this.landscapeEl.hidden = !names;
    this.landscapeSvg.classList.toggle("empty", !this.landscapeDrawn);
    this.landscapeHint.textContent = names && !this.landscapeDrawn
      ? this.t("train.landscape.hint", { x: names[0], y: names[1] }) : "";
    this.landscapeHint.hidden = !this.landscapeHint.textContent;
  }

  scheduleDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    if (this.frame) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    }
    this.chart.draw(this.runs, { log: this.logBox.checked });
    this.chartSvg.setAttribute("aria-label", this.t("train.chart_label", { runs: this.runs.length }));
    this.renderLegend();
    this.renderCurrent();
  }

  /** An optimizer's name in the page's language, from the rules. */
  optimizerTitle(name) {
    const o = findOptimizer(this.rules, name);
    return o ? inLanguage(o.title, document.documentElement.lang) : name;
  }

  runLabel(run) {
    const parts = [this.t("train.run_label", { optimizer: this.optimizerTitle(run.optimizer.name),
                                               lr: formatNumber(run.optimizer.lr, 4) })];
    if (run.l2) parts.push(`λ=${formatNumber(run.l2, 3)}`);
    if (run.batch) parts.push(`B=${run.batch}`);
    if (run.kind === "manual") parts.push(this.t("train.run_manual"));
    return parts.join(", ");
  }

  renderLegend() {
    this.legend.replaceChildren();
    for (const run of this.runs) {
      const li = el("li", "", { dataset: { run: run.id } });
      const swatch = svgEl("svg", { class: "swatch", width: 22, height: 8, "aria-hidden": "true" });
      swatch.append(svgEl("line", { x1: 1, y1: 4, x2: 21, y2: 4, class: `run ${runClasses(run, this.runs)}` }));
      const first = run.points[0];
      const last = run.points.at(-1);
      const summary = run.points.length
        ? this.t("train.run_summary", { points: run.points.length, first: formatNumber(first.loss, 3),
                                        last: formatNumber(last.loss, 3) }) : "…";
      const state = ["paused", "diverged", "time_limit", "error"].includes(run.state)
        ? ` · ${this.t(`train.state.${run.state}`)}` : "";
      li.append(swatch, el("span", "label", { text: this.runLabel(run) }),
                el("span", "summary", { text: `${summary}${state}` }));
      this.legend.append(li);
    }
    this.legend.hidden = !this.runs.length;
    this.runsHint.hidden = !this.runs.length;
  }

  renderCurrent() {
    const cur = this.current;
    this.currentEl.replaceChildren();
    this.currentEl.hidden = !cur;
    if (!cur) return;
    const key = cur.final ? "train.current_after" : "train.current_at";
    this.currentEl.append(el("p", "tp-current-title", { text: this.t(key, { step: cur.step }) }));
    const table = el("table");
    for (const [name, value] of Object.entries(cur.params)) {
      const tr = el("tr");
      tr.append(el("th", "mono", { text: name }),
                el("td", "mono", { text: formatValue(value, digits(), { maxItems: 4, maxRows: 3 }) }));
      tr.dataset.param = name;
      table.append(tr);
    }
    this.currentEl.append(table);
  }

  renderUpdate() {
    const u = this.update;
    this.updateEl.replaceChildren();
    this.updateEl.hidden = !u;
    if (!u) return;
    const { entry, optimizer } = u;
    this.updateEl.append(el("h3", "", { text: this.t("train.update.title") }));
    this.updateEl.append(el("p", "hint", { text: this.t("train.update.head", {
      step: entry.step, optimizer: this.optimizerTitle(optimizer.name), loss: formatNumber(entry.loss, digits()) }) }));
    if (u.restarted) this.updateEl.append(el("p", "hint", { text: this.t("train.update.restarted", { n: this.limits.detail_steps }) }));
    if (u.l2 > 0) this.updateEl.append(el("p", "hint", { text: this.t("train.update.l2", { l2: formatNumber(u.l2, 4) }) }));
    for (const name of u.params) {
      const detail = own(entry.update, name);
      if (!detail) continue;
      const block = el("div", "tp-update-param", { dataset: { param: name } });
      for (const line of updateLines(name, detail, { optimizer, t: entry.step, prev: own(u.prev, name) ?? null,
                                                     l2: u.l2, digits: digits() })) {
        block.append(el("p", "mono", { text: line }));
      }
      this.updateEl.append(block);
    }
  }

  renderScaleResult() {
    const r = this.scaleResult;
    this.scaleResultEl.replaceChildren();
    if (!r) return;
    this.scaleResultEl.append(el("p", "", { text: this.message(r.how) }));
    if (r.rows.length) this.scaleResultEl.append(el("p", "hint", { text: this.t("train.scale.at_start") }));
    for (const row of r.rows) {
      const ratio = row.base > 0 ? formatNumber(row.now / row.base, 3) : "—";
      const p = el("p", "mono", { text: this.t("train.scale.result", { param: row.param, base: formatNumber(row.base, 3),
                                                                      now: formatNumber(row.now, 3), ratio }) });
      p.dataset.param = row.param;
      p.dataset.ratio = row.base > 0 ? String(row.now / row.base) : "";
      this.scaleResultEl.append(p);
    }
  }

  // ---------------------------------------------------------------- the page's calls

  /** A preset was loaded: its training settings (or the defaults), and its values as the
   * start that Reset restores. */
  setPreset(train) {
    this.cancel();
    this.runs = [];
    this.session = null;
    this.update = null;
    this.current = null;
    this.scaleBase = new Map();
    this.scaleResult = null;
    this.status = null;
    this.applied = new Map();
    const problem = this.getProblem();
    const ok = problem && !problem.error;
    this.variables = ok ? [...(problem.variables ?? Object.keys(problem.values))] : [];
    this.values = ok ? problem.values : {};
    this.initial = ok ? initialOf(problem) : null;
    this.selected = new Set(train?.params ?? defaultParams(this.variables));
    this.loadTrain(train);
    for (const input of this.root.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    this.renderHyper();
    this.renderProblem();
    this.renderUpdate();
    this.renderScaleResult();
    this.renderStatus();
    this.clearLandscape();
    this.draw();
  }

  /** The page switched language: every label, message and chart text again. */
  setLanguage() {
    for (const { node, key } of this.texts) node.textContent = this.t(key);
    const lang = document.documentElement.lang;
    for (const option of this.optimizer.options) option.textContent = this.optimizerTitle(option.value);
    for (const { label, input, h } of this.hyper.values()) {
      label.textContent = inLanguage(h.label, lang);
      input.title = inLanguage(h.description, lang);
    }
    this.renderProblemHints();
    this.renderStatus();
    this.renderUpdate();
    this.renderScaleResult();
    this.draw();
    if (this.landscapeDrawn && this.landscapeData) this.landscape.draw({ ...this.landscapeData, allRuns: this.runs });
  }
}

/** What Reset restores: the problem's expression and a copy of its values. */
function initialOf(problem) {
  return { expression: problem.expression, values: new Map(Object.entries(structuredClone(problem.values))) };
}

/** The page's "Digits" choice, when it has one. */
function digits() {
  const v = Number(document.getElementById("precision")?.value);
  return Number.isFinite(v) && v > 0 ? v : 4;
}

