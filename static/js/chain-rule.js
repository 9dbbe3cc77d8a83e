// What the chain-rule panel says about one event of the trace, in numbers.
//
// explain(graph, k, lang, opts) describes steps[k − 1], the event the timeline shows at k:
//   forward  "q = x + y = −2 + 5 = 3"            (tensors: "D = W @ X: (2×3)·(3×4) → (2×4)")
//   seed     "∂f/∂f = 1"                          (or the given upstream gradient)
//   edge     "∂f/∂x = ∂f/∂q · ∂q/∂x = −4 · 1 = −4"  (upstream × local = contribution)
//   fork     "∂f/∂x += −8 → −6 + (−8) = −14"      (previous + contribution = accumulated)
//   entry    "Entry (1, 2) = row 1 of G · row 2 of X = 1·0 + 2·1 = 2"  (tensor edges, one
//            entry of the source's gradient at a time: opts.entry = [i, j])
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
  return { kind: "forward", lines: [t(lang, "chain.forward", { node: c.names.get(node.id) }), ...math], gate: null, fork: null, entry: null };
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
  return { kind: "seed", lines: [t(lang, key), line], gate: null, fork: null, entry: null };
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
  const add = show(step.contribution);
  if (step.overwritten !== undefined) {  // the mistake on purpose: = instead of +=
    return [t(lang, "fork.title", { name: src, count: fork.count }), `${partial(top, src)} = ${add}`];
  }
  const prev = show(previousAccumulated(step, k, p, c));
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

// ------------------------------------------------------------------ one entry of a tensor rule

// A tensor rule is checked one entry of the source's gradient at a time, with its numbers,
// as the tutorial checks entry (1, 1) of G·Xᵀ. Every source is walked as a matrix, the way
// the forward pass broadcast it: a scalar is 1×1, a vector one row.
const DOT_TERMS = 6; // a·b terms written out in full up to this many, else the first 3 and …
const SUM_TERMS = 8; // plain terms are shorter, so a few more fit
const SHOWN_TERMS = 3;

function isRow(v) {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number");
}

// A value as a matrix, or null when it is not plain numbers (a summary, a non-finite
// string, a tensor of rank 3).
function asMatrix(v) {
  if (typeof v === "number") return [[v]];
  if (isRow(v)) return [v];
  const matrix = Array.isArray(v) && v.length > 0 && v.every(isRow) && v.every((row) => row.length === v[0].length);
  return matrix ? v : null;
}

function column(m, k) {
  return m.map((row) => row[k]);
}

function clampIndex(entry, rows, cols) {
  const at = (v, n) => Math.min(n - 1, Math.max(0, Math.trunc(Number(v)) || 0));
  const [i, j] = Array.isArray(entry) ? entry : [];
  return [at(i, rows), at(j, cols)];
}

// The engine's numbers and ours are summed in different orders.
function close(a, b) {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

// Terms are lists of factors ([g] or [g, x]); a long sum keeps its first terms and its value.
function writeTerms(terms, digits) {
  const limit = terms[0].length > 1 ? DOT_TERMS : SUM_TERMS;
  const show = (factors, k) => factors.map((x, m) => wrapValue(num(x, digits), k + m)).join("\u00b7");
  const shown = terms.length > limit ? terms.slice(0, SHOWN_TERMS) : terms;
  const text = shown.map(show).join(" + ");
  return shown.length < terms.length ? `${text} + \u2026` : text;
}

function sumOfTerms(terms) {
  return terms.reduce((sum, factors) => sum + factors.reduce((x, y) => x * y, 1), 0);
}

function entryText(lang, [i, j], rule, terms, value, digits) {
  return t(lang, "chain.entry", { i: i + 1, j: j + 1, rule, terms, value: num(value, digits) });
}

// W @ X: entry (i, j) of ∂W = G·Xᵀ is row i of G · row j of X; of ∂X = Wᵀ·G, column i of W ·
// column j of G. Matrices only: the engine lifts a vector operand to a row or a column
// depending on its side, which "a vector is one row" would misname.
function matmulEntry(step, target, index, lang, digits, p, c) {
  const [a, b] = target.inputs.map((id) => p.nodeById.get(id));
  const ok = (node) => node?.shape?.length === 2 && asMatrix(node.value);
  if (!ok(a) || !ok(b) || step.shapes.upstream.length !== 2 || !asMatrix(step.upstream)) return null;
  const [i, j] = index;
  const g = step.upstream;
  const [key, other, left, right] = step.index === 0
    ? ["chain.entry_rows", b, g[i], b.value[j]]
    : ["chain.entry_columns", a, column(a.value, i), column(g, j)];
  const terms = left.map((x, k) => [x, right[k]]);
  const value = sumOfTerms(terms);
  const rule = t(lang, key, { i: i + 1, j: j + 1, other: c.names.get(other.id) });
  return { value, line: entryText(lang, index, rule, writeTerms(terms, digits), value, digits) };
}

// The local factor of an elementwise rule at each cell of G, when it is a value at hand:
// add and sub pass ±G, mul multiplies by the other operand (broadcast as in the forward
// pass). Factors that would have to be computed (exp, σ(1−σ), 1/b, …) get no entry, rather
// than a number taken from the answer itself.
function elementwiseFactor(step, target, rows, cols, p, c) {
  if (["add", "sub", "neg"].includes(target.op)) {
    const sign = target.op === "neg" || (target.op === "sub" && step.index === 1) ? -1 : 1;
    return { sign, at: () => sign };
  }
  const other = target.op === "mul" ? p.nodeById.get(target.inputs[1 - step.index]) : null;
  const m = asMatrix(other?.value);
  if (!m || !fits(m.length, rows) || !fits(m[0].length, cols)) return null;
  const place = (r, k) => [m.length === 1 ? 0 : r, m[0].length === 1 ? 0 : k];
  const name = wrapName(c.names.get(other.id));
  return {
    name,
    // A scalar is written by its name ("w"), a tensor's cell by its index ("X(1, 2)").
    cell: (r, k) => (other.shape?.length ? `${name}(${place(r, k).map((x) => x + 1).join(", ")})` : name),
    at: (r, k) => { const [x, y] = place(r, k); return m[x][y]; },
  };
}

// A source dimension of 1 stretched over G's (broadcasting), or the same size.
function fits(source, upstream) {
  return source === 1 || source === upstream;
}

// Same shape: entry (i, j) = G(i, j) · local(i, j). Broadcast: the source's entry was
// copied to a row, a column or all of G, so its gradient is the sum of those cells' terms.
function elementwiseEntry(step, target, index, lang, digits, p, c, [rows, cols]) {
  const g = asMatrix(step.upstream);
  if (!g || !fits(rows, g.length) || !fits(cols, g[0].length)) return null;
  const factor = elementwiseFactor(step, target, g.length, g[0].length, p, c);
  if (!factor) return null;
  const [i, j] = index;
  const sumRows = rows === 1 && g.length > 1;
  const sumCols = cols === 1 && g[0].length > 1;
  const cells = (sumRows ? g.map((_, r) => r) : [i]).flatMap((r) =>
    (sumCols ? g[0].map((_, k) => k) : [j]).map((k) => [r, k]));
  if (cells.length === 1) return cellProduct(g, factor, index, lang, digits);
  // ±G sums the (negated) entries, as the rule Σ(−G) reads; mul sums products G·x.
  const terms = cells.map(([r, k]) => (factor.name ? [g[r][k], factor.at(r, k)] : [factor.sign * g[r][k]]));
  const what = factor.name ? `G\u2299${factor.name}` : factor.sign < 0 ? `${MINUS}G` : "G";
  const value = sumOfTerms(terms);
  const written = writeTerms(terms, digits);
  if (!step.shapes.source.length) return { value, line: `\u03a3(${what}) = ${written} = ${num(value, digits)}` };
  // "row 1 of (G⊙X)", not "row 1 of G⊙X", which reads as a row of X.
  const part = factor.name ? `(${what})` : what;
  const rule = sumRows && sumCols ? `\u03a3(${what})`
    : t(lang, sumRows ? "chain.entry_sum_column" : "chain.entry_sum_row", { i: i + 1, j: j + 1, what: part });
  return { value, line: entryText(lang, index, rule, written, value, digits) };
}

function cellProduct(g, factor, [i, j], lang, digits) {
  const up = g[i][j];
  const local = factor.at(i, j);
  const symbol = factor.name ? factor.cell(i, j) : wrapValue(num(local, digits), 1);
  const rule = `G(${i + 1}, ${j + 1}) \u00b7 ${symbol}`;
  const terms = `${wrapValue(num(up, digits), 0)} \u00b7 ${wrapValue(num(local, digits), 1)}`;
  return { value: up * local, line: entryText(lang, [i, j], rule, terms, up * local, digits) };
}

/** One entry of a tensor edge's contribution, worked out with its numbers:
 * {index: [i, j] (0-based, clamped), rows, cols, line}, or null when the rule has no
 * per-entry story here or its numbers do not reproduce the contribution. */
function entryOf(step, target, entry, lang, digits, p, c) {
  const out = asMatrix(step.contribution);
  if (!out || step.shapes.source.length > 2) return null;
  const size = [out.length, out[0].length];
  const index = clampIndex(entry, ...size);
  const story = target.op === "matmul"
    ? matmulEntry(step, target, index, lang, digits, p, c)
    : elementwiseEntry(step, target, index, lang, digits, p, c, size);
  // Every number shown must be the arithmetic it claims: a story that does not reproduce
  // the engine's contribution is not told.
  if (!story || !close(story.value, out[index[0]][index[1]])) return null;
  return { index, rows: size[0], cols: size[1], line: story.line };
}

function tensorEdgeLines(step, target, top, src, tgt, lang, digits, atFork, entry, p, c) {
  const lhs = atFork ? "" : `${partial(top, src)} = `;
  const rule = `${lhs}${step.local}: ${ruleShapes(step, target, p)} \u2192 ${boxShape(step.shapes.source)}`;
  const lines = [rule, `G = ${partial(top, tgt)}`, ...(entry ? [entry.line] : [])];
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

function explainEdge(graph, step, k, lang, digits, ops, entryAt, p, c) {
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
  const entry = tensor ? entryOf(step, target, entryAt, lang, digits, p, c) : null;
  const math = tensor
    ? tensorEdgeLines(step, target, top, src, tgt, lang, digits, Boolean(fork), entry, p, c)
    : [...local, ...(direct ? [] : [scalarEdgeLine(step, top, src, tgt, digits, Boolean(fork))])];
  const forkText = fork ? forkLines(step, k, top, src, lang, digits, fork, p, c) : [];
  return { kind: "edge", lines: [caption, ...math, ...forkText, ...mistakeLines(step, lang, digits)],
    gate: gateText(op, step, target, lang, digits, p, c), fork, latex: op?.latex?.[step.index] ?? null, entry };
}

// A pass with a classic mistake on purpose (the API's `mistake`): what went wrong at this
// step, and what the right rule gives.
function mistakeLines(step, lang, digits) {
  if (!step.mistake) return [];
  const show = (v) => formatValue(v, digits, FORK_TENSOR);
  if (step.overwritten !== undefined) {
    const add = (a, b) => (Array.isArray(a) ? a.map((x, i) => add(x, b[i])) : toNumber(a) + toNumber(b));
    return [t(lang, "mistake.step.overwritten", { lost: show(step.overwritten),
      right: show(add(step.overwritten, step.contribution)) })];
  }
  if (step.right_local !== undefined) return [t(lang, "mistake.step.local", { right: show(step.right_local) })];
  if (step.right_contribution !== undefined) {
    return [t(lang, "mistake.step.sum", { right: show(step.right_contribution) })];
  }
  return [];
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
 *  latex (edges): the op's local derivative as LaTeX, from its registry entry,
 *  entry: null | {index: [i, j], rows, cols, line}: one entry of a tensor edge's
 *  contribution (the source's gradient from this edge) worked out with its numbers}.
 * `ops` is the /api/ops response (or its `ops` list): it says how each op is written, its
 * local derivatives and its gate's sentences. `entry` ([i, j], 0-based, default [0, 0],
 * clamped into rows × cols; a vector is one row, a scalar 1×1) picks the entry; its line is
 * also among `lines`. It is null for scalar steps and for rules with no per-entry story.
 */
export function explain(graph, k, lang, { digits = 4, ops = null, entry = null } = {}) {
  const p = prepare(graph);
  const c = chainIndex(graph);
  const kk = Math.min(p.n, Math.max(0, Math.trunc(Number(k)) || 0));
  const step = kk > 0 ? p.steps[kk - 1] : null;
  if (step?.kind === "node") return explainForward(graph, step, lang, digits, ops, p, c);
  if (step?.kind === "seed") return explainSeed(graph, step, lang, digits, c);
  if (step?.kind === "edge") return explainEdge(graph, step, kk, lang, digits, ops, entry, p, c);
  return { kind: "idle", lines: [t(lang, "chain.idle")], gate: null, fork: null, entry: null };
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
