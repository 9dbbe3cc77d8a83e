// What the chain-rule panel says about one event of the trace, in numbers.
//
// explain(graph, k, lang, opts) describes steps[k − 1], the event the timeline shows at k:
//   forward  "q = x + y = −2 + 5 = 3"            (tensors: "D = W @ X: (2×3)·(3×4) → (2×4)")
//   seed     "∂f/∂f = 1"                          (or the given upstream gradient)
//   edge     "∂f/∂x = ∂f/∂q · ∂q/∂x = −4 · 1 = −4"  (upstream × local = contribution)
//   fork     "∂f/∂x += −8 → −6 + (−8) = −14"      (previous + contribution = accumulated)
// The first line is always a localized sentence; the rest is the arithmetic.

import { MINUS, formatNumber, formatShape, formatValue, isSummary, isTensor, toNumber } from "./format.js";
import { t } from "./i18n.js";
import { prepare } from "./timeline.js";
import { gateCase, gateSentence, isAtomic, render } from "./writing.js";

const PARTIAL = "\u2202";

const chainIndexes = new WeakMap();
const opsMaps = new WeakMap();

// ------------------------------------------------------------------ names

// The output is called by its name, else "f" as in the tutorial, unless a variable already
// uses that letter.
function pickOutputName(graph) {
  const out = graph.nodes.find((n) => n.id === graph.output);
  if (out?.name) return out.name;
  const taken = new Set(graph.nodes.map((n) => n.name).filter(Boolean));
  return ["f", "out", "output"].find((c) => !taken.has(c)) ?? "f";
}

// The engine writes every node (its name, its own source text, or its op over its inputs'
// texts); only the output is called "f" (or its name) in formulas, as in the tutorial.
function nameNode(graph, node, outputName) {
  if (node.name) return node.name;
  if (node.id === graph.output) return outputName;
  return String(node.text ?? node.label);
}

function buildNames(graph) {
  const outputName = pickOutputName(graph);
  const names = new Map(graph.nodes.map((n) => [n.id, nameNode(graph, n, outputName)]));
  return { names, outputName, top: pickTopName(graph, names, outputName) };
}

// For each edge event, the earlier edge events into the same source: a fork's running sum.
function buildEdgeHistory(steps) {
  const bySource = new Map();
  const position = new Map();
  steps.forEach((s, i) => {
    if (s.kind !== "edge") return;
    if (!bySource.has(s.source)) bySource.set(s.source, []);
    position.set(i, bySource.get(s.source).length);
    bySource.get(s.source).push(i);
  });
  return { bySource, position };
}

function chainIndex(graph) {
  let c = chainIndexes.get(graph);
  if (!c) {
    c = { ...buildNames(graph), ...buildEdgeHistory(graph.steps ?? []) };
    chainIndexes.set(graph, c);
  }
  return c;
}

/** How formulas call a node: the engine's text for it (its name, its own source text, or
 * its op over its inputs' texts, cut in the middle when long). The output is its name or
 * "f". */
export function displayName(graph, nodeId) {
  return chainIndex(graph).names.get(nodeId) ?? String(nodeId);
}

/** What the formulas differentiate: the output's name (∂f/∂x) with the default seed, "L"
 * (a loss further downstream) when an upstream gradient is given. */
export function topName(graph) {
  return chainIndex(graph).top;
}

/** The output's name in formulas: its assigned name or "f". */
export function outputName(graph) {
  return chainIndex(graph).outputName;
}

// ------------------------------------------------------------------ formula pieces

function wrapName(text) {
  return isAtomic(text) ? text : `(${text})`;
}

// A negative number after an operator is parenthesised: "1 · (−4)".
function wrapValue(text, position) {
  return text.startsWith(MINUS) && position > 0 ? `(${text})` : text;
}

function partial(top, name) {
  return `${PARTIAL}${wrapName(top)}/${PARTIAL}${wrapName(name)}`;
}

function opOf(ops, node) {
  return opsMap(ops).get(node.op) ?? null;
}

// How a node of `op` reads over `parts` (names, numbers or shapes): the op's `written`
// template from /api/ops; without it, a call with the node's label.
function writeNode(op, node, parts) {
  return op ? render(op.written, parts) : `${node.label}(${parts.join(", ")})`;
}

function boxShape(shape) {
  return Array.isArray(shape) && shape.length ? `(${formatShape(shape)})` : "()";
}

function num(v, digits) {
  return formatNumber(v, digits);
}

// ------------------------------------------------------------------ forward

function lhsOf(graph, node, c) {
  return node.name || node.id === graph.output ? c.names.get(node.id) : null;
}

function forwardMath(op, node, inputs, value, prefix, names, digits) {
  const symbolic = writeNode(op, node, inputs.map((n) => names.get(n.id)));
  if (isTensor(value) || inputs.some((n) => isTensor(n.value))) {
    const shapes = `${writeNode(op, node, inputs.map((n) => boxShape(n.shape)))} \u2192 ${boxShape(node.shape)}`;
    return [`${prefix}${symbolic}: ${shapes}`, `${prefix || `${symbolic} = `}${formatValue(value, digits)}`];
  }
  const numeric = writeNode(op, node, inputs.map((n) => num(n.value, digits)));
  return [`${prefix}${symbolic} = ${numeric} = ${num(value, digits)}`];
}

function explainForward(graph, step, lang, digits, ops, p, c) {
  const node = p.nodeById.get(step.node);
  const inputs = node.inputs.map((id) => p.nodeById.get(id));
  const lhs = lhsOf(graph, node, c);
  const math = forwardMath(opOf(ops, node), node, inputs, step.value, lhs ? `${lhs} = ` : "", c.names, digits);
  return { kind: "forward", lines: [t(lang, "chain.forward", { node: c.names.get(node.id) }), ...math], gate: null, fork: null };
}

// ------------------------------------------------------------------ seed

function isOnes(v) {
  if (Array.isArray(v)) return v.every(isOnes);
  if (isSummary(v)) return v.min === 1 && v.max === 1 && !v.non_finite;
  return toNumber(v) === 1;
}

// With the default seed the formulas differentiate the output itself (∂f/∂x); with a given
// upstream gradient they differentiate a loss L further downstream, as in the tutorial's
// add gate "with upstream −4".
function pickTopName(graph, names, outputName) {
  const seed = (graph.steps ?? []).find((s) => s.kind === "seed");
  if (!seed || isOnes(seed.grad)) return outputName;
  return [...names.values()].includes("L") ? "\u2112" : "L";
}

function explainSeed(graph, step, lang, digits, c) {
  const top = c.top;
  const key = top === c.outputName ? "chain.seed" : "chain.seed_upstream";
  const line = `${partial(top, c.outputName)} = ${formatValue(step.grad, digits)}`;
  return { kind: "seed", lines: [t(lang, key), line], gate: null, fork: null };
}

// ------------------------------------------------------------------ edges

function forkOf(step, k, p, c) {
  const edges = p.outgoing.get(step.source) ?? [];
  if (edges.length < 2) return null;
  const seen = c.bySource.get(step.source).filter((i) => i < k);
  const contributions = seen.map((i) => ({ edge: p.steps[i].edge, value: p.steps[i].contribution }));
  return { node: step.source, count: edges.length, contributions, sum: step.accumulated,
    complete: contributions.length === edges.length };
}

function previousAccumulated(step, k, p, c) {
  const at = c.position.get(k - 1);
  if (!at) return 0;
  return p.steps[c.bySource.get(step.source)[at - 1]].accumulated;
}

// Three tensors on one line must stay short, so they are cut harder than elsewhere.
const FORK_TENSOR = { maxItems: 3, maxRows: 2 };

function forkLines(step, k, top, src, lang, digits, fork, p, c) {
  const show = (v) => formatValue(v, digits, FORK_TENSOR);
  const prev = show(previousAccumulated(step, k, p, c));
  const add = show(step.contribution);
  const sum = `${prev} + ${wrapValue(add, 1)} = ${show(step.accumulated)}`;
  return [t(lang, "fork.title", { name: src, count: fork.count }),
    `${partial(top, src)} += ${add} \u2192 ${sum}`];
}

function scalarEdgeLine(step, top, src, tgt, digits, atFork) {
  const lhs = atFork ? "" : `${partial(top, src)} = `;
  const numbers = `${num(step.upstream, digits)} \u00b7 ${wrapValue(num(step.local, digits), 1)}`;
  return `${lhs}${partial(top, tgt)} \u00b7 ${partial(tgt, src)} = ${numbers} = ${num(step.contribution, digits)}`;
}

function transposed(shape) {
  return [...shape].reverse();
}

// For a matrix product the factors' shapes show why the result has the operand's shape:
// G·Xᵀ is (m×b)·(b×n) → (m×n). Other rules show the upstream shape only.
function ruleShapes(step, target, p) {
  const up = step.shapes.upstream;
  const [a, b] = target.inputs.map((id) => p.nodeById.get(id)?.shape ?? []);
  const matrices = (target.op === "matmul" || target.op === "dot") && up.length === 2 && a.length === 2 && b.length === 2;
  if (!matrices) return boxShape(up);
  return step.index === 0 ? `${boxShape(up)}\u00b7${boxShape(transposed(b))}` : `${boxShape(transposed(a))}\u00b7${boxShape(up)}`;
}

// A broadcast scalar's gradient is a plain sum of G's entries (its rule reads Σ(G) or
// Σ(−G)): with a few entries, the sum is written out.
const SUM_TERMS = 8;

function broadcastSum(step, digits) {
  const sign = { "\u03a3(G)": 1, "\u03a3(\u2212G)": -1 }[step.local];
  const g = step.upstream;
  if (!sign || step.shapes.source.length || !Array.isArray(g)) return [];
  const terms = g.flat(Infinity);
  if (terms.length > SUM_TERMS || !terms.every((v) => typeof v === "number")) return [];
  const shown = terms.map((v, i) => wrapValue(num(sign * v, digits), i));
  return [`${step.local} = ${shown.join(" + ")} = ${num(step.contribution, digits)}`];
}

// The tutorial's check of a matrix rule, one entry with its numbers: the first entry of
// ∂L/∂W = G·Xᵀ is row 1 of G · row 1 of X; of ∂L/∂X = Wᵀ·G, column 1 of W · column 1 of G.
const ENTRY_TERMS = 6;

function firstEntry(step, target, lang, digits, p, c) {
  const [a, b] = target.inputs.map((id) => p.nodeById.get(id));
  const g = step.upstream;
  const matrix = (v) => Array.isArray(v) && Array.isArray(v[0]) && v[0].every((x) => typeof x === "number");
  if (target.op !== "matmul" || !matrix(g) || !matrix(a?.value) || !matrix(b?.value)) return [];
  const [left, right, key, other] = step.index === 0
    ? [g[0], b.value[0], "chain.matmul_entry_left", b.id]
    : [a.value.map((row) => row[0]), g.map((row) => row[0]), "chain.matmul_entry_right", a.id];
  if (left.length > ENTRY_TERMS) return [];
  const terms = left.map((x, i) => `${wrapValue(num(x, digits), i)}\u00b7${wrapValue(num(right[i], digits), 1)}`);
  const value = left.reduce((sum, x, i) => sum + x * right[i], 0);
  return [t(lang, key, { other: c.names.get(other), terms: terms.join(" + "), value: num(value, digits) })];
}

function tensorEdgeLines(step, target, top, src, tgt, lang, digits, atFork, p, c) {
  const lhs = atFork ? "" : `${partial(top, src)} = `;
  const rule = `${lhs}${step.local}: ${ruleShapes(step, target, p)} \u2192 ${boxShape(step.shapes.source)}`;
  const lines = [rule, `G = ${partial(top, tgt)}`, ...broadcastSum(step, digits),
    ...firstEntry(step, target, lang, digits, p, c)];
  if (!atFork) lines.push(`${partial(top, src)} = ${formatValue(step.contribution, digits)}`);
  return lines;
}

// The local derivative from the op's registry entry, symbolic then with numbers:
// "∂σ/∂u = σ·(1 − σ) = 0.7311·(1 − 0.7311) = 0.1966" (repeats dropped: "∂q/∂x = 1").
function localLine(op, step, target, tgt, src, digits, p, c) {
  if (!op?.derivative?.[step.index]) return [];
  const inputs = target.inputs.map((id) => p.nodeById.get(id));
  const template = op.derivative[step.index];
  const symbolic = render(template, inputs.map((n) => c.names.get(n.id)), op.label);
  const numeric = render(template, inputs.map((n) => num(n.value, digits)), num(target.value, digits));
  const parts = [partial(tgt, src), symbolic, numeric, num(step.local, digits)];
  return [[...new Set(parts)].join(" = ")];
}

function explainEdge(graph, step, k, lang, digits, ops, p, c) {
  const target = p.nodeById.get(step.target);
  const op = opOf(ops, target);
  const top = c.top;
  const src = c.names.get(step.source);
  const tgt = c.names.get(step.target);
  const fork = forkOf(step, k, p, c);
  const tensor = Boolean(step.shapes);
  const caption = t(lang, tensor ? "chain.edge_tensor" : "chain.edge", { source: src });
  // Into the output with the default seed, ∂f/∂f · ∂f/∂x says nothing the local line does not.
  const local = localLine(op, step, target, tgt, src, digits, p, c);
  const direct = target.id === graph.output && top === c.outputName && !fork && local.length;
  const math = tensor
    ? tensorEdgeLines(step, target, top, src, tgt, lang, digits, Boolean(fork), p, c)
    : [...local, ...(direct ? [] : [scalarEdgeLine(step, top, src, tgt, digits, Boolean(fork))])];
  const forkText = fork ? forkLines(step, k, top, src, lang, digits, fork, p, c) : [];
  return { kind: "edge", lines: [caption, ...math, ...forkText],
    gate: gateText(op, step, target, lang, digits, p, c), fork, latex: op?.latex?.[step.index] ?? null };
}

// ------------------------------------------------------------------ gate patterns

function opsMap(ops) {
  const list = Array.isArray(ops) ? ops : Array.isArray(ops?.ops) ? ops.ops : null;
  if (!list) return new Map();
  let m = opsMaps.get(list);
  if (!m) {
    m = new Map(list.map((op) => [op.name, op]));
    opsMaps.set(list, m);
  }
  return m;
}

function swapOther(step, target, digits, p, c) {
  const otherId = target.inputs[1 - step.index];
  const other = p.nodeById.get(otherId);
  const name = c.names.get(otherId);
  if (!other || isTensor(other.value)) return name;
  // A constant's name is its value already: "2", not "2 = 2".
  return other.kind === "constant" ? num(other.value, digits) : `${name} = ${num(other.value, digits)}`;
}

// The gate's sentence from its registry entry (/api/ops), for this edge's case.
function gateText(op, step, target, lang, digits, p, c) {
  const broadcast = Boolean(step.shapes) && String(step.shapes.source) !== String(step.shapes.upstream);
  const local = typeof step.local === "string" ? step.local : toNumber(step.local);
  const which = gateCase(op, step.index, local, broadcast);
  if (!which) return null;
  const other = which === "other" ? swapOther(step, target, digits, p, c) : "";
  return gateSentence(op, which, lang, c.names.get(step.source), other);
}

// ------------------------------------------------------------------ public

/**
 * The chain-rule panel for the event the timeline shows at k (steps[k − 1]):
 * {kind: "idle"|"forward"|"seed"|"edge", lines: [strings], gate: string|null,
 *  fork: null | {node, count, contributions: [{edge, value}] so far, sum so far, complete},
 *  latex (edges): the op's local derivative as LaTeX, from its registry entry}.
 * `ops` is the /api/ops response (or its `ops` list): it says how each op is written, its
 * local derivatives and its gate's sentences.
 */
export function explain(graph, k, lang, { digits = 4, ops = null } = {}) {
  const p = prepare(graph);
  const c = chainIndex(graph);
  const kk = Math.min(p.n, Math.max(0, Math.trunc(Number(k)) || 0));
  const step = kk > 0 ? p.steps[kk - 1] : null;
  if (step?.kind === "node") return explainForward(graph, step, lang, digits, ops, p, c);
  if (step?.kind === "seed") return explainSeed(graph, step, lang, digits, c);
  if (step?.kind === "edge") return explainEdge(graph, step, kk, lang, digits, ops, p, c);
  return { kind: "idle", lines: [t(lang, "chain.idle")], gate: null, fork: null };
}

/** Everything a fork node sends back: the edges leaving it, each with the contribution it
 * carries, and their sum (the node's gradient). null for an unknown node. */
export function forkInfo(graph, nodeId) {
  const p = prepare(graph);
  const node = p.nodeById.get(nodeId);
  if (!node) return null;
  const contributions = (p.outgoing.get(nodeId) ?? []).map((id) => {
    const edge = p.edgeById.get(id);
    return { edge: id, target: edge.target, value: edge.grad };
  });
  return { node: nodeId, name: displayName(graph, nodeId), count: contributions.length,
    isFork: contributions.length > 1, contributions, sum: node.grad };
}
