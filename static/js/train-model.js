// The training lab's pure logic: which variables are parameters, minibatch data, the
// scaling experiment's arithmetic, a run built from /api/train's messages, and the update
// formulas with their numbers (app/engine/optim.py). No DOM: tests in tests/js/train-panel.test.mjs
// (through train-panel.js, which re-exports all of it).
import { firstError, own } from "./api.js";
import { formatNumber, formatValue, MINUS, toNumber } from "./format.js";

// The update formulas' values when a caller leaves them out (the tests do; the panel's
// runs carry every value of their optimizer, from the table of GET /api/optimizers).
const FORMULA_DEFAULTS = { momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The variables that look like weights and biases (W, W1, w0, b, bias…): the data (X, Y,
 * x…) stay fixed unless the learner ticks them. */
export function defaultParams(variables) {
  return variables.filter((name) => /^[Wwb]/.test(name));
}

export function isScalar(value) {
  return !Array.isArray(value);
}

/** Number of numbers in a value (scalar 1, vector n, matrix r·c). */
export function size(value) {
  return Array.isArray(value) ? value.reduce((n, v) => n + size(v), 0) : 1;
}

/** Columns (samples) of a vector or matrix; null for a scalar. */
export function columns(value) {
  if (!Array.isArray(value)) return null;
  return Array.isArray(value[0]) ? value[0].length : value.length;
}

/** The data variables a minibatch slices: the non-parameter tensors with the most common
 * column count (samples are columns). */
export function batchData(values, params) {
  const counts = new Map();
  for (const [name, value] of Object.entries(values)) {
    const n = columns(value);
    if (n === null || params.includes(name)) continue;
    counts.set(n, [...(counts.get(n) ?? []), name]);
  }
  let best = null;
  for (const [n, names] of counts) {
    if (!best || names.length > best.data.length || (names.length === best.data.length && n > best.columns)) {
      best = { columns: n, data: names };
    }
  }
  return best;
}

/** Elementwise map over a scalar, vector or matrix. */
export function mapValue(value, f) {
  return Array.isArray(value) ? value.map((v) => mapValue(v, f)) : f(toNumber(value));
}

export function scaleValue(value, k) {
  return mapValue(value, (v) => v * k);
}

/** Each row shifted to mean 0 and scaled to standard deviation 1 (population std; samples
 * are columns). A vector is one row; a constant row becomes zeros. */
export function standardiseRows(value) {
  if (!Array.isArray(value)) return value;
  if (!Array.isArray(value[0])) return standardiseRows([value])[0];
  return value.map((row) => {
    const nums = row.map(toNumber);
    const mean = nums.reduce((a, b) => a + b, 0) / nums.length;
    const std = Math.sqrt(nums.reduce((a, b) => a + (b - mean) ** 2, 0) / nums.length);
    return nums.map((v) => (std > 0 ? (v - mean) / std : 0));
  });
}

/** Euclidean norm of a scalar, vector or matrix (API numbers accepted). */
export function norm(value) {
  let sum = 0;
  mapValue(value, (v) => { sum += v * v; return v; });
  return Math.sqrt(sum);
}

export function allFinite(values) {
  return Object.values(values).every((v) => {
    let ok = true;
    mapValue(v, (x) => { ok &&= Number.isFinite(x); return x; });
    return ok;
  });
}

/** Deep equality of plain JSON values. */
export function sameValues(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Apply one NDJSON message of a streamed /api/train to a run: a history entry adds a
 * point (and a path point when the run tracks two names); the last line brings the final
 * params; an error line ({detail}) ends the run with that error. */
export function absorb(run, message) {
  if (message?.detail) {
    run.error = firstError({ data: message });
    return;
  }
  if (message?.done) {
    run.final = message.params;
    run.stopped = message.stopped ?? null;
    if (run.path && message.params) run.path.push(run.pathNames.map((n) => toNumber(own(message.params, n))));
    return;
  }
  if (typeof message?.step !== "number") return;
  run.points.push({ step: message.step, loss: toNumber(message.loss), gradNorm: toNumber(message.grad_norm) });
  if (message.params) {
    run.lastParams = message.params;
    if (run.path) run.path.push(run.pathNames.map((n) => toNumber(own(message.params, n))));
  }
}

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";
const sup = (n) => String(n).replace(/\d/g, (d) => SUPERSCRIPT[d]);

/** The arithmetic of one update of parameter `name`, one line per formula, with numbers:
 * `u` is the history entry's update[name] ({param, grad, new, and v, or m, v, m_hat,
 * v_hat}), `prev` the same parameter's update of the step before (null at the first), `t`
 * the update's number. */
export function updateLines(name, u, { optimizer, t = 1, prev = null, l2 = 0, digits = 4 }) {
  const f = (v) => formatValue(v, digits, { maxItems: 4, maxRows: 3 });
  const n = (v) => formatNumber(v, digits);
  const p = (v) => { const s = f(v); return s.startsWith(MINUS) ? `(${s})` : s; };
  const lr = n(optimizer.lr);
  const lines = [`g = ∂L/∂${name}${l2 > 0 ? ` + 2λ·${name}` : ""} = ${f(u.grad)}`];
  if (optimizer.name === "momentum") {
    const mu = optimizer.momentum ?? FORMULA_DEFAULTS.momentum;
    lines.push(`v ← μ·v + g = ${n(mu)} · ${p(prev?.v ?? 0)} + ${p(u.grad)} = ${f(u.v)}`);
    lines.push(`${name} ← ${name} − η·v = ${f(u.param)} − ${lr} · ${p(u.v)} = ${f(u.new)}`);
  } else if (optimizer.name === "adam") {
    const b1 = optimizer.beta1 ?? FORMULA_DEFAULTS.beta1;
    const b2 = optimizer.beta2 ?? FORMULA_DEFAULTS.beta2;
    const eps = optimizer.eps ?? FORMULA_DEFAULTS.eps;
    lines.push(`m ← β1·m + (1−β1)·g = ${n(b1)} · ${p(prev?.m ?? 0)} + ${n(1 - b1)} · ${p(u.grad)} = ${f(u.m)}`);
    lines.push(`v ← β2·v + (1−β2)·g² = ${n(b2)} · ${p(prev?.v ?? 0)} + ${n(1 - b2)} · ${p(u.grad)}² = ${f(u.v)}`);
    lines.push(`m̂ = m / (1−β1${sup(t)}) = ${p(u.m)} / ${n(1 - b1 ** t)} = ${f(u.m_hat)}`);
    lines.push(`v̂ = v / (1−β2${sup(t)}) = ${p(u.v)} / ${n(1 - b2 ** t)} = ${f(u.v_hat)}`);
    lines.push(`${name} ← ${name} − η·m̂ / (√v̂ + ε) = ${f(u.param)} − ${lr} · ${p(u.m_hat)} / (√${p(u.v_hat)} + ${n(eps)}) = ${f(u.new)}`);
  } else {
    lines.push(`${name} ← ${name} − η·g = ${f(u.param)} − ${lr} · ${p(u.grad)} = ${f(u.new)}`);
  }
  return lines;
}
