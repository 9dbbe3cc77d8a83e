// Side by side: two graphs on one timeline, for the comparisons the tutorial makes (a block
// against its gates, an input ×1 against ×1000, any two expressions or value sets). Pure:
// the page draws both panes.
//
//   requestBeside(mode, request, {name, expression, valuesText})  → {request} | {error}
//   pairedStep(k, graphA, graphB)  → the step of B shown beside step k of A
//   differences(a, b)              → the variables whose value or gradient differ
//   parseValuesText(text)          → {values} | {error}: "x = 1; W = [[1, 2]]"
import { phaseStarts } from "./timeline.js";
import { parseValue } from "./store.js";

export const SCALE = 1000;

function scaled(value, factor) {
  return Array.isArray(value) ? value.map((v) => scaled(v, factor)) : value * factor;
}

/** The request of the pane beside: the same expression expanded (or not), one input ×1000,
 * or the learner's own expression and values (missing values taken from the first pane). */
export function requestBeside(mode, request, { name = null, expression = "", valuesText = "" } = {}) {
  if (mode === "expand") return { request: { ...request, expand: !request.expand } };
  if (mode === "scale") {
    if (!name || !Object.hasOwn(request.values, name)) return { error: "compare.var" };
    return { request: { ...request, values: { ...request.values, [name]: scaled(request.values[name], SCALE) } } };
  }
  const parsed = parseValuesText(valuesText);
  if (parsed.error) return parsed;
  return { request: { ...request, expression: expression.trim() || request.expression,
    values: { ...request.values, ...parsed.values } } };
}

/** "x = 1; W = [[1, 2]]" → {values: {x: 1, W: [[1, 2]]}}; ";" or a new line between. */
export function parseValuesText(text) {
  const values = {};
  for (const part of text.split(/[;\n]/)) {
    if (!part.trim()) continue;
    const at = part.indexOf("=");
    const name = part.slice(0, at).trim();
    const value = at > 0 ? parseValue(part.slice(at + 1)) : undefined;
    if (!name || value === undefined) return { error: "compare.values_error" };
    values[name] = value;
  }
  return { values };
}

/**
 * Step k of A, and the step of B at the same place of its pass: the same fraction of the
 * forward pass, then of the backward pass (a block has fewer steps than its gates), so both
 * start together, reach their outputs together, and end together.
 */
export function pairedStep(k, graphA, graphB) {
  const a = graphA.steps.length;
  const b = graphB.steps.length;
  const sa = phaseStarts(graphA.steps).backward;
  const sb = phaseStarts(graphB.steps).backward;
  if (k <= 0) return 0;
  if (k >= a) return b;
  if (k <= sa) return Math.round((k / Math.max(1, sa)) * sb);
  return sb + Math.round(((k - sa) / Math.max(1, a - sa)) * (b - sb));
}

function same(x, y) {
  if (Array.isArray(x) || Array.isArray(y)) {
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => same(v, y[i]));
  }
  if (typeof x !== "number" || typeof y !== "number") return x === y;
  return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
}

/** Names present in both answers whose value or gradient differ (the output by "value"). */
export function differences(a, b) {
  const vars = (r) => new Map(r.nodes.filter((n) => n.kind === "variable").map((n) => [n.name, n]));
  const [va, vb] = [vars(a), vars(b)];
  const names = [...va.keys()].filter((name) => vb.has(name)
    && !(same(va.get(name).value, vb.get(name).value) && same(va.get(name).grad, vb.get(name).grad)));
  return { names, output: !same(a.value, b.value) };
}
