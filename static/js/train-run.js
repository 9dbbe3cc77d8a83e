// The state of one training run, without a DOM: the settings read from the inputs' text,
// the /api/train request, the run record the chart draws, how the stream's end decides the
// run's state, its status line and the parameters it leaves, and the session of single
// updates that replay from one start. Pure: tests in tests/js/train-run.test.mjs.
import { firstError, own } from "./api.js";
import { formatNumber } from "./format.js";
import { absorb, allFinite, batchData, defaultParams, isScalar, sameValues, size } from "./train-model.js";
import { inputRule, readNumber } from "./train-rules.js";

// The status of a run that stopped before its last step, by its state (whole keys, so a
// search for a key finds where it is used).
const ENDED_EARLY = { paused: "train.status.paused", diverged: "train.status.diverged",
                      time_limit: "train.status.time_limit" };

/** A page error for a failed call: the API's own message, or network / server. */
export function failure(result) {
  return firstError(result) ?? (result.status ? { key: "error.server", params: { status: result.status } }
                                              : { key: "error.network" });
}

/** What Reset restores: the problem's expression and a copy of its values. */
export function initialOf(problem) {
  return { expression: problem.expression, values: new Map(Object.entries(structuredClone(problem.values))) };
}

/** The ticked parameters after the variables went from `before` to `after`: a new variable
 * that looks like a parameter is ticked, a vanished one unticked, the learner's choice kept. */
export function followTicks(selected, before, after) {
  const known = new Set(before);
  const defaults = new Set(defaultParams(after));
  const next = new Set([...selected].filter((name) => after.includes(name)));
  for (const name of after) if (!known.has(name) && defaults.has(name)) next.add(name);
  return next;
}

/** Two scalar parameters: the case with a loss landscape (their names), else null. */
export function pathNamesOf(params, values) {
  return params.length === 2 && params.every((p) => isScalar(own(values, p))) ? params : null;
}

/** Where a run starts: every run from the same initial parameter values, so runs compare
 * fairly. A parameter the learner edited by hand (it differs from what the panel last
 * wrote, `applied`) becomes the new initial value in `initial`. */
export function startValues(initial, applied, values, params) {
  for (const p of params) {
    const current = own(values, p);
    const edited = !applied.has(p) || !sameValues(current, applied.get(p));
    if (edited || !initial.has(p)) initial.set(p, structuredClone(current));
  }
  return Object.fromEntries(params.map((p) => [p, structuredClone(initial.get(p))]));
}

/** A run's settings from the inputs' text (`texts`: {hyper: Map key -> text, l2, steps,
 * batch}): {settings}, or {invalid: {field, key}} naming the first input that does not read. */
export function readSettings(optimizer, texts, limits) {
  const checks = [
    ...optimizer.hyperparameters.map((h) => ({ field: "hyper", key: h.key, text: texts.hyper.get(h.key), rule: inputRule(h) })),
    { field: "l2", text: texts.l2, rule: { min: 0, empty: 0 } },
    { field: "steps", text: texts.steps, rule: { min: 1, max: limits.max_train_steps, closed: true, integer: true } },
    { field: "batch", text: texts.batch, rule: { min: 1, integer: true, empty: null } },
  ];
  const read = {};
  const values = { name: optimizer.name };
  for (const { field, key, text, rule } of checks) {
    const v = readNumber(text, rule);
    // An empty batch means "all the samples": null is its answer, not a failure.
    if (v === null && !(rule.empty === null && text.trim() === "")) return { invalid: { field, key } };
    if (key) values[key] = v;
    else read[field] = v;
  }
  return { settings: { optimizer: values, ...read } };
}

/** The /api/train request for `settings` on `problem` with the ticked `params` (not none).
 * `start`: the parameters' starting values, when the run starts from them. */
export function trainRequest(problem, params, settings, limits, start = null) {
  const request = { expression: problem.expression, values: problem.values, params,
                    optimizer: settings.optimizer, steps: settings.steps };
  if (start) request.values = { ...problem.values, ...start };
  if (settings.l2 > 0) request.l2 = settings.l2;
  const data = batchData(problem.values, params);
  if (settings.batch && data && settings.batch < data.columns) {
    request.batch = { size: settings.batch, data: data.data };
  }
  if (params.reduce((n, p) => n + size(own(problem.values, p)), 0) <= limits.track_numbers) request.track = true;
  return request;
}

/** A new run record for `request` ("train", or "manual" for single updates). Runs whose
 * paths share one landscape (same expression, parameters and data) share its key. */
export function newRun(id, kind, request, problem) {
  const pathNames = request.track ? pathNamesOf(request.params, problem.values) : null;
  const dataValues = Object.fromEntries(Object.entries(problem.values)
    .filter(([name]) => !request.params.includes(name)));
  return {
    id, kind, optimizer: request.optimizer, l2: request.l2 ?? 0,
    batch: request.batch?.size ?? null, steps: request.steps, params: request.params,
    points: [], pathNames, path: pathNames ? [] : null, final: null, lastParams: null,
    stopped: null, error: null, state: "running", running: true,
    values: request.values, expression: problem.expression,
    landscapeKey: pathNames ? JSON.stringify([problem.expression, pathNames, dataValues]) : null,
  };
}

/** The status while `run` streams: its last step and loss. */
export function runningStatus(run) {
  const last = run.points.at(-1);
  return { key: "train.status.running",
           params: { step: last?.step ?? 0, steps: run.steps, loss: last ? formatNumber(last.loss, 4) : "…" } };
}

/** The run's error and state once its stream has ended with `result` (`aborted`: Pause). */
export function endRun(run, result, aborted) {
  if (result.status && !result.ok) run.error = failure(result);
  else if (!result.ok && !aborted) run.error = { key: "error.network" };
  // A stream that ends without its last line was cut off (server or network).
  else if (result.ok && !run.final && !run.error) run.error = { key: "error.network" };
  run.running = false;
  if (aborted && !run.error) run.state = "paused";
  else if (run.error) run.state = "error";
  else run.state = run.stopped ?? "done";
}

/** The status line after a run has ended. */
export function endStatus(run) {
  const first = run.points[0];
  const last = run.points.at(-1);
  const loss = (p) => (p ? formatNumber(p.loss, 4) : "—");
  if (run.state === "error") return { error: run.error };
  if (Object.hasOwn(ENDED_EARLY, run.state)) return { key: ENDED_EARLY[run.state], params: { step: last?.step ?? 0 } };
  // MSE, cross-entropy and L2 are never negative: an output that goes below 0 is not a
  // loss bounded below, and gradient descent lowers it without end (say so, do not just
  // report "loss 5995 → −3.959e7").
  const unbounded = run.points.some((p) => p.loss < 0);
  return { key: unbounded ? "train.status.not_a_loss" : "train.status.done",
    params: { count: run.points.length, first: loss(first), last: loss(last) } };
}

/** The parameters an ended run leaves in the graph, {step, params, final} (a paused run's
 * last streamed ones), or null when there are none or they are not finite. */
export function endParams(run) {
  const paused = run.state === "paused";
  const params = paused ? run.lastParams : run.final;
  if (!params || !allFinite(params)) return null;
  return { step: paused ? run.points.at(-1)?.step ?? 0 : run.points.length, params, final: !paused };
}

/** What single updates must share to continue one session: everything but the step count. */
export function stepConfig(request) {
  return JSON.stringify([request.expression, request.params, request.optimizer, request.l2 ?? 0,
                         request.batch ?? null, request.track ?? false]);
}

/** Whether the next single update continues `session`: the same settings, the page still at
 * the values the last update left, and its run still on the chart. */
export function continues(session, config, values, runs) {
  return Boolean(session) && session.config === config && sameValues(values, session.expected)
    && runs.includes(session.run);
}

/** The manual run rebuilt from a single update's replay (/api/train with detail). */
export function replay(run, { history, params, stopped }) {
  run.points = [];
  run.path = run.pathNames ? [] : null;
  for (const entry of history) absorb(run, entry);
  absorb(run, { done: true, params, stopped });
  run.steps = history.length;
  run.state = stopped ?? "done";
}

/** The status line after a single update whose last entry is `entry`. */
export function stepStatus(entry, stopped) {
  return stopped === "diverged" ? { key: "train.status.diverged", params: { step: entry.step } }
    : { key: "train.status.stepped", params: { step: entry.step, loss: formatNumber(entry.loss, 4) } };
}
