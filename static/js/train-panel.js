// The training lab: pick parameters and an optimizer, train (streamed NDJSON from
// /api/train), pause, replay from the same initial values, overlay runs on one loss chart,
// step single updates with their arithmetic, draw the loss landscape of two scalar
// parameters, and try the tutorial's input-scaling experiment.
//
// This file is the controller: it holds the panel's state and runs the actions. The parts:
//   train-form.js   builds the controls (DOM only)
//   train-view.js   shows the state (legend, current parameters, update arithmetic, scaling)
//   train-run.js    one run's state: settings, request, record, end, status (pure)
//   train-model.js  the arithmetic: NDJSON lines, batches, scaling, update formulas (pure)
//   train-rules.js  the optimizers' rules from GET /api/optimizers (pure)
//   loss-chart.js, contour.js  the loss chart and the landscape; api.js  the stream
//
// The panel never edits the page's state directly: it reads the problem through
// getProblem() and writes values through applyParams(), which re-runs the graph. The pure
// helpers of train-model.js are re-exported here (tests/js/train-panel.test.mjs).
//
// Names are the user's text: what is keyed by name is a Map, and objects from the page or
// the API are read with own(), so "constructor" never finds Object.prototype's member.
//
// The optimizers, their hyperparameters (defaults, bounds, labels) and the step limits are
// not written here: they come from GET /api/optimizers (the engine's table), and the
// inputs are built from that answer (train-rules.js).
import { getOptimizers, own, postJSON, splitLines, streamTrain } from "./api.js";
import { LandscapeView, landscapeBox } from "./contour.js";
import { LossChart } from "./loss-chart.js";
import { el } from "./dom.js";
import { addHyperInputs, buildForm, DEFAULTS, showHyper, translateForm } from "./train-form.js";
import {
  absorb, allFinite, batchData, columns, defaultParams, isScalar, norm, sameValues, scaleValue, standardiseRows,
} from "./train-model.js";
import { findOptimizer, inLanguage, readNumber, startingValues } from "./train-rules.js";
import {
  continues, endParams, endRun, endStatus, failure, followTicks, initialOf, newRun, pathNamesOf, readSettings,
  replay, runningStatus, startValues, stepConfig, stepStatus, trainRequest,
} from "./train-run.js";
import { message, renderCurrent, renderLegend, renderParamList, renderScaleResult, renderUpdate } from "./train-view.js";

export { readNumber, splitLines };
export * from "./train-model.js";

const LIVE_APPLY_MS = 500; // while a long run streams, the graph follows at most this often

export class TrainPanel {
  constructor(root, { getProblem, applyParams, t, onParams = () => {} }) {
    Object.assign(this, { root, getProblem, t, onParams });
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
    this.rules = null; // GET /api/optimizers: {optimizers, limits}
    this.pendingTrain = undefined; // a preset's training settings that came before the rules
    this.form = buildForm(root, {
      train: () => this.train(), pause: () => this.pause(), step: () => this.stepOnce(),
      reset: () => this.reset(), clear: () => this.clearRuns(), optimizer: () => this.renderHyper(),
      log: () => this.chart.draw(this.runs, { log: this.form.logBox.checked }),
      scaleApply: () => this.applyScale(), standardise: () => this.standardise(),
    });
    this.chart = new LossChart(this.form.chartSvg, (k, p) => this.t(k, p));
    this.landscape = new LandscapeView(this.form.landscapeSvg, (k, p) => this.t(k, p));
    this.renderHyper();
    this.renderButtons();
    this.loadRules();
    this.observeValues();
    this.setLanguage();
  }

  /** Fetch the rules (GET /api/optimizers) and build the optimizer's inputs from them. */
  async loadRules() {
    const result = await getOptimizers();
    if (!result.ok || !Array.isArray(result.data?.optimizers)) {
      this.setStatus({ error: failure(result) });
      return;
    }
    this.rules = result.data;
    addHyperInputs(this.form, this.rules, () => this.train());
    this.loadTrain(this.pendingTrain);
    this.pendingTrain = undefined;
    this.renderHyper();
    this.setLanguage();
    this.renderButtons();
  }

  /** A preset's training settings (or, without them, the panel's current ones) into the
   * inputs; before the rules have arrived they wait for them. */
  loadTrain(train) {
    if (!this.rules) {
      this.pendingTrain = train;
      return;
    }
    if (!train) return;
    const f = this.form;
    const o = train.optimizer ?? {};
    f.optimizer.value = findOptimizer(this.rules, o.name) ? o.name : this.rules.optimizers[0].name;
    for (const [key, value] of startingValues(this.rules, o)) f.hyper.get(key).input.value = String(value);
    f.l2.value = String(train.l2 ?? DEFAULTS.l2);
    f.steps.value = String(train.steps ?? DEFAULTS.steps);
    f.batch.value = train.batch?.size ? String(train.batch.size) : "";
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
      this.selected = followTicks(this.selected, this.variables, vars);
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

  /** Where a run starts (train-run.js's startValues on the panel's initial and applied values). */
  startValues(problem, params) {
    return startValues(this.initial.values, this.applied, problem.values, params);
  }

  /** Two scalar parameters selected: the case with a loss landscape. */
  pathNames(values = this.values) {
    return pathNamesOf(this.params(), values);
  }

  /** The optimizer settings from the inputs, or null (the bad input is marked). */
  settings() {
    const f = this.form;
    const optimizer = findOptimizer(this.rules, f.optimizer.value);
    if (!optimizer) return null;
    const texts = { hyper: new Map([...f.hyper].map(([key, { input }]) => [key, input.value])),
                    l2: f.l2.value, steps: f.steps.value, batch: f.batch.value };
    const { settings, invalid } = readSettings(optimizer, texts, this.limits);
    if (settings) return settings;
    const input = invalid.field === "hyper" ? f.hyper.get(invalid.key).input : f[invalid.field];
    input.setAttribute("aria-invalid", "true");
    input.focus();
    const label = input.closest("label")?.querySelector("span")?.textContent ?? "";
    this.setStatus({ key: "train.error.field", params: { field: label } });
    return null;
  }

  /** The /api/train request for the current choices, or null (with the reason shown). */
  request(problem, settings, { fromStart = false } = {}) {
    const params = this.params();
    if (!params.length) {
      this.setStatus({ key: "train.error.no_params" });
      return null;
    }
    return trainRequest(problem, params, settings, this.limits, fromStart ? this.startValues(problem, params) : null);
  }

  newRun(kind, request, problem) {
    const run = newRun(`run-${this.nextRun++}`, kind, request, problem);
    this.runs.push(run);
    return run;
  }

  // ---------------------------------------------------------------- actions

  async train() {
    if (this.busy) return;
    const problem = this.problem();
    const settings = problem && this.settings();
    const request = settings && this.request(problem, settings, { fromStart: true });
    if (!request) return;
    this.session = null;
    const run = this.newRun("train", request, problem);
    const token = this.begin();
    const { controller } = token;
    this.setStatus(runningStatus(run));
    this.draw();
    let lastLive = performance.now();
    const result = await streamTrain(request, { signal: controller.signal, onMessages: (messages, done) => {
      for (const message of messages) absorb(run, message);
      if (run.points.length) {
        this.setStatus(runningStatus(run));
        if (run.lastParams) this.current = { step: run.points.at(-1).step, params: run.lastParams };
      }
      this.scheduleDraw();
      // The graph follows a long run now and then (one re-run at a time).
      if (run.lastParams && !this.live && !done && performance.now() - lastLive > LIVE_APPLY_MS
          && allFinite(run.lastParams)) {
        lastLive = performance.now();
        this.live = Promise.resolve(this.applyParams(run.lastParams)).finally(() => { this.live = null; });
      }
    } });
    endRun(run, result, controller.signal.aborted);
    await this.live;
    if (!this.stale(token)) await this.finishRun(run);
    this.end(token);
  }

  /** After a run: the status, the graph at the trained (or paused) params, the landscape. */
  async finishRun(run) {
    if (run.state === "error" && !run.points.length) this.runs = this.runs.filter((r) => r !== run);
    this.setStatus(endStatus(run));
    this.draw();
    const current = endParams(run);
    if (current) this.current = current;
    this.renderCurrent();
    if (current) await this.applyParams(current.params);
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
    const config = stepConfig(base);
    let session = this.session;
    const continued = continues(session, config, problem.values, this.runs);
    const restarted = continued && session.count >= this.limits.detail_steps;
    if (!continued || restarted) {
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
    session.count = history.length;
    replay(session.run, result.data);
    const entry = history.at(-1);
    this.update = { entry, prev: history.at(-2)?.update ?? null, optimizer: request.optimizer,
                    l2: request.l2 ?? 0, params: request.params, restarted };
    this.renderUpdate();
    this.setStatus(stepStatus(entry, stopped));
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
    const name = this.form.scaleVar.value;
    if (!problem || !Object.hasOwn(problem.values, name)) return;
    const k = Number(this.form.scaleK.value);
    const base = this.scaleBase.get(name) ?? problem.values[name];
    const token = this.begin();
    await this.scaleTo(problem, name, scaleValue(base, k), { key: "train.scale.applied", params: { name, k } }, token);
    this.end(token);
  }

  async standardise() {
    if (this.busy) return;
    const problem = this.problem();
    const name = this.form.scaleVar.value;
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
    for (const g of this.form.landscapeSvg.querySelectorAll(".bands, .paths")) g.replaceChildren();
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
    const f = this.form;
    f.trainButton.disabled = this.busy || !this.rules;
    f.stepButton.disabled = this.busy || !this.rules;
    f.pauseButton.disabled = !this.busy;
    f.scaleApply.disabled = this.busy;
    f.standardiseButton.disabled = this.busy;
    this.root.setAttribute("aria-busy", String(this.busy));
  }

  setStatus(status) {
    this.status = status;
    this.renderStatus();
  }

  renderStatus() {
    const s = this.status;
    this.form.statusEl.classList.toggle("fail", Boolean(s?.error));
    this.form.statusEl.textContent = !s ? "" : s.error ? message(s.error, this.t) : this.t(s.key, s.params);
  }

  renderHyper() {
    showHyper(this.form, findOptimizer(this.rules, this.form.optimizer.value));
  }

  /** Parameter checkboxes, the batch hint and the scaling inputs for the variables. */
  renderProblem() {
    renderParamList(this.form.paramsList, this.variables, this.selected, (name, checked) => {
      if (checked) this.selected.add(name); else this.selected.delete(name);
      this.renderProblemHints();
      this.renderScaleOptions();
      this.onParams(this.params());
    });
    this.renderProblemHints();
    this.renderScaleOptions();
    this.onParams(this.params());
  }

  renderProblemHints() {
    const f = this.form;
    f.paramsHint.textContent = !this.variables.length ? this.t("train.params_empty")
      : !this.params().length ? this.t("train.params_none") : "";
    f.paramsHint.hidden = !f.paramsHint.textContent;
    const data = batchData(this.values, this.params());
    f.batch.disabled = !data;
    f.batch.placeholder = data ? this.t("train.batch_all", { n: data.columns }) : "—";
    this.renderLandscapeBox();
  }

  /** The inputs the scaling experiment can scale (the unticked variables), preferring X. */
  renderScaleOptions() {
    const f = this.form;
    const inputs = this.variables.filter((name) => !this.selected.has(name));
    const current = f.scaleVar.value;
    f.scaleVar.replaceChildren(...inputs.map((name) => el("option", "", { value: name, text: name })));
    const preferred = inputs.find((n) => /^[Xx]/.test(n) && !isScalar(own(this.values, n)))
      ?? inputs.find((n) => /^[Xx]/.test(n)) ?? inputs[0];
    if (inputs.includes(current)) f.scaleVar.value = current;
    else if (preferred) f.scaleVar.value = preferred;
    f.scaleVar.disabled = !inputs.length;
    f.scaleApply.disabled = this.busy || !inputs.length;
    f.standardiseButton.disabled = this.busy || !inputs.length;
  }

  renderLandscapeBox() {
    const f = this.form;
    const names = this.pathNames();
    f.landscapeEl.hidden = !names;
    f.landscapeSvg.classList.toggle("empty", !this.landscapeDrawn);
    f.landscapeHint.textContent = names && !this.landscapeDrawn
      ? this.t("train.landscape.hint", { x: names[0], y: names[1] }) : "";
    f.landscapeHint.hidden = !f.landscapeHint.textContent;
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
    this.chart.draw(this.runs, { log: this.form.logBox.checked });
    this.form.chartSvg.setAttribute("aria-label", this.t("train.chart_label", { runs: this.runs.length }));
    renderLegend(this.form.legend, this.runs, this.t, (name) => this.optimizerTitle(name));
    this.form.runsHint.hidden = !this.runs.length;
    this.renderCurrent();
  }

  /** An optimizer's name in the page's language, from the rules. */
  optimizerTitle(name) {
    const o = findOptimizer(this.rules, name);
    return o ? inLanguage(o.title, document.documentElement.lang) : name;
  }

  renderCurrent() {
    renderCurrent(this.form.currentEl, this.current, this.t);
  }

  renderUpdate() {
    renderUpdate(this.form.updateEl, this.update, { t: this.t, optimizerTitle: (name) => this.optimizerTitle(name),
                                                    detailSteps: this.limits.detail_steps });
  }

  renderScaleResult() {
    renderScaleResult(this.form.scaleResultEl, this.scaleResult, this.t);
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
    translateForm(this.form, this.t, (name) => this.optimizerTitle(name));
    this.renderProblemHints();
    this.renderStatus();
    this.renderUpdate();
    this.renderScaleResult();
    this.draw();
    if (this.landscapeDrawn && this.landscapeData) this.landscape.draw({ ...this.landscapeData, allRuns: this.runs });
  }
}
