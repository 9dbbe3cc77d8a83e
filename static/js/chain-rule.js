// What the chain-rule panel says about one event of the trace, in numbers.
//
// explain(graph, k, lang, opts) describes steps[k − 1], the event the timeline shows at k:
//   forward  "q = x + y = −2 + 5 = 3"            (tensors: "D = W @ X: (2×3)·(3×4) → (2×4)")
//   seed     "∂f/∂f = 1"                          (or the given upstream gradient)
//   edge     "∂f/∂x = ∂f/∂q · ∂q/∂x = −4 · 1 = −4"  (upstream × local = contribution)
//   fork     "∂f/∂x += −8 → −6 + (−8) = −14"      (previous + contribution = accumulated)
// The first line is always a localized sentence; the rest is the arithmetic.

import { MINUS, formatNumber, formatShape, formatValue, isSummary, isTensor, toNumber } from "./format.js";
import { STRINGS, t } from "./i18n.js";
import { prepare } from "./timeline.js";

// Source text longer than this would crowd the formulas; such nodes get "label#id" instead.
const MAX_SOURCE_NAME = 16;
const PARTIAL = "\u2202";
const TRANSPOSE = "\u1d40";
const INFIX = new Set(["add", "sub", "mul", "div", "matmul", "pow", "dot"]);

const chainIndexes = new WeakMap();
const opsMaps = new WeakMap();

// ------------------------------------------------------------------ names

// The engine's spans count code points; JS strings count UTF-16 units. They differ only
// when the text has astral characters (possible inside comments), so only then pay for
// splitting the text into code points.
function spanText(expression, [start, end]) {
  if (!/[\uD800-\uDFFF]/.test(expression)) return expression.slice(start, end);
  return Array.from(expression).slice(start, end).join("");
}

// Nodes expanded from one composite all carry the composite's span; only the block's
// output (its last node, the order being topological) is what that text computes.
function blockOutputs(nodes) {
  const last = new Map();
  for (const node of nodes) if (node.block) last.set(node.block.id, node.id);
  return new Set(last.values());
}

function shortSource(graph, node, outputs) {
  if (!Array.isArray(node.span) || typeof graph.expression !== "string") return null;
  if (node.block && !outputs.has(node.id)) return null;
  const text = spanText(graph.expression, node.span).trim();
  if (!text || text.length > MAX_SOURCE_NAME || /[\n#;=]/.test(text)) return null;
  return text;
}

// The output is called by its name, else "f" as in the tutorial, unless a variable already
// uses that letter.
function pickOutputName(graph) {
  const out = graph.nodes.find((n) => n.id === graph.output);
  if (out?.name) return out.name;
  const taken = new Set(graph.nodes.map((n) => n.name).filter(Boolean));
  return ["f", "out", "output"].find((c) => !taken.has(c)) ?? "f";
}

function nameNode(graph, node, outputs, outputName) {
  if (node.name) return node.name;
  if (node.id === graph.output) return outputName;
  if (node.kind !== "op") return String(node.label);
  return shortSource(graph, node, outputs) ?? `${node.label}#${String(node.id).replace(/^n/, "")}`;
}

function buildNames(graph) {
  const outputs = blockOutputs(graph.nodes);
  const outputName = pickOutputName(graph);
  const names = new Map(graph.nodes.map((n) => [n.id, nameNode(graph, n, outputs, outputName)]));
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

/** How formulas call a node: its name, a variable's or constant's label, its source text
 * when short, else "label#id" (e.g. "÷#14"). The output is its name or "f". */
export function displayName(graph, nodeId) {
  return chainIndex(graph).names.get(nodeId) ?? String(nodeId);
}

/** The output's name in formulas: its assigned name or "f". */
export function outputName(graph) {
  return chainIndex(graph).outputName;
}

// ------------------------------------------------------------------ formula pieces

// "f(…)" whose first "(" closes at the very end reads as one unit, like a name.
function isCall(text) {
  const open = text.search(/\(/);
  if (open < 1 || !text.endsWith(")") || !/^[\p{L}_][\p{L}\p{M}\p{N}_ ]*$/u.test(text.slice(0, open))) return false;
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    depth += text[i] === "(" ? 1 : text[i] === ")" ? -1 : 0;
    if (depth === 0) return i === text.length - 1;
  }
  return false;
}

// Names that need no parentheses next to an operator or after ∂: identifiers in any script
// (combining marks included, as in Python's rule), numbers, "exp#12", calls like "max(x, y)".
function isAtomic(text) {
  return /^[\p{L}\p{M}\p{N}_.#]+$/u.test(text) || isCall(text);
}

function wrapName(text) {
  return isAtomic(text) ? text : `(${text})`;
}

function partial(top, name) {
  return `${PARTIAL}${wrapName(top)}/${PARTIAL}${wrapName(name)}`;
}

// A negative number after an operator, or as a base, is parenthesised: "3 × (−4)", "(−2) ^ 2".
function wrapValue(text, position, op) {
  const needs = text.startsWith(MINUS) && (position > 0 || op === "pow" || op === "transpose");
  return needs ? `(${text})` : text;
}

function callText(node, parts, wrap) {
  const op = node.op;
  if (INFIX.has(op) && parts.length === 2) return `${wrap(parts[0], 0, op)} ${node.label} ${wrap(parts[1], 1, op)}`;
  if (op === "neg") return `${MINUS}${wrap(parts[0], 1, op)}`;
  if (op === "transpose") return `${wrap(parts[0], 0, op)}${TRANSPOSE}`;
  if (op === "abs") return `|${parts[0]}|`;
  return `${node.label}(${parts.join(", ")})`;
}

function boxShape(shape) {
  return Array.isArray(shape) && shape.length ? `(${formatShape(shape)})` : "()";
}

function shapeText(node, shapes) {
  const boxed = shapes.map(boxShape);
  if (INFIX.has(node.op) && shapes.length === 2) {
    const sign = node.op === "matmul" || node.op === "dot" ? "\u00b7" : ` ${node.label} `;
    return boxed.join(sign);
  }
  if (node.op === "neg") return `${MINUS}${boxed[0]}`;
  if (node.op === "transpose") return `${boxed[0]}${TRANSPOSE}`;
  if (node.op === "abs") return `|${formatShape(shapes[0])}|`;
  return `${node.label}(${shapes.map(formatShape).join(", ")})`;
}

function num(v, digits) {
  return formatNumber(v, digits);
}

// ------------------------------------------------------------------ forward

function lhsOf(graph, node, c) {
  return node.name || node.id === graph.output ? c.names.get(node.id) : null;
}

function forwardMath(node, inputs, value, prefix, names, digits) {
  const symbolic = callText(node, inputs.map((n) => names.get(n.id)), wrapName);
  if (isTensor(value) || inputs.some((n) => isTensor(n.value))) {
    const shapes = `${shapeText(node, inputs.map((n) => n.shape))} \u2192 ${boxShape(node.shape)}`;
    return [`${prefix}${symbolic}: ${shapes}`, `${prefix || `${symbolic} = `}${formatValue(value, digits)}`];
  }
  const numeric = callText(node, inputs.map((n) => num(n.value, digits)), wrapValue);
  return [`${prefix}${symbolic} = ${numeric} = ${num(value, digits)}`];
}

function explainForward(graph, step, lang, digits, p, c) {
  const node = p.nodeById.get(step.node);
  const inputs = node.inputs.map((id) => p.nodeById.get(id));
  const lhs = lhsOf(graph, node, c);
  const math = forwardMath(node, inputs, step.value, lhs ? `${lhs} = ` : "", c.names, digits);
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

function tensorEdgeLines(step, target, top, src, tgt, digits, atFork, p) {
  const lhs = atFork ? "" : `${partial(top, src)} = `;
  const rule = `${lhs}${step.local}: ${ruleShapes(step, target, p)} \u2192 ${boxShape(step.shapes.source)}`;
  const lines = [rule, `G = ${partial(top, tgt)}`];
  if (!atFork) lines.push(`${partial(top, src)} = ${formatValue(step.contribution, digits)}`);
  return lines;
}

function explainEdge(graph, step, k, lang, digits, ops, p, c) {
  const target = p.nodeById.get(step.target);
  const top = c.top;
  const src = c.names.get(step.source);
  const tgt = c.names.get(step.target);
  const fork = forkOf(step, k, p, c);
  const tensor = Boolean(step.shapes);
  const caption = t(lang, tensor ? "chain.edge_tensor" : "chain.edge", { source: src });
  const math = tensor
    ? tensorEdgeLines(step, target, top, src, tgt, digits, Boolean(fork), p)
    : [scalarEdgeLine(step, top, src, tgt, digits, Boolean(fork))];
  const forkText = fork ? forkLines(step, k, top, src, lang, digits, fork, p, c) : [];
  return { kind: "edge", lines: [caption, ...math, ...forkText],
    gate: gateSentence(step, target, lang, digits, ops, p, c), fork };
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

function gateName(target, lang) {
  const key = `gate.name.${target.op}`;
  return Object.hasOwn(STRINGS.en, key) ? t(lang, key) : t(lang, "gate.name.other", { label: target.label });
}

function routeKey(step, target) {
  if (step.shapes) return "gate.route";
  const local = toNumber(step.local);
  if (target.op === "relu") return local === 1 ? "gate.relu_pass" : local === 0 ? "gate.relu_block" : "gate.route";
  return { 1: "gate.route_win", 0: "gate.route_lose", 0.5: "gate.route_tie" }[local] ?? "gate.route";
}

function swapOther(step, target, digits, p, c) {
  const otherId = target.inputs[1 - step.index];
  const other = p.nodeById.get(otherId);
  const name = c.names.get(otherId);
  if (!other || isTensor(other.value)) return name;
  // A constant's name is its value already: "2", not "2 = 2".
  return other.kind === "constant" ? num(other.value, digits) : `${name} = ${num(other.value, digits)}`;
}

function gateSentence(step, target, lang, digits, ops, p, c) {
  const op = opsMap(ops).get(target.op);
  const gate = gateName(target, lang);
  const source = c.names.get(step.source);
  switch (op?.gate) {
    case "distribute": {
      const negated = String(op.rule?.[step.index] ?? "").startsWith(MINUS);
      return t(lang, negated ? "gate.distribute_negated" : "gate.distribute", { gate });
    }
    case "route": return t(lang, routeKey(step, target), { gate, source });
    case "swap": return target.inputs.length === 2
      ? t(lang, "gate.swap", { gate, source, other: swapOther(step, target, digits, p, c) }) : null;
    default: return null;
  }
}

// ------------------------------------------------------------------ public

/**
 * The chain-rule panel for the event the timeline shows at k (steps[k − 1]):
 * {kind: "idle"|"forward"|"seed"|"edge", lines: [strings], gate: string|null,
 *  fork: null | {node, count, contributions: [{edge, value}] so far, sum so far, complete}}.
 * `ops` is the /api/ops response (or its `ops` list): it supplies the gate patterns.
 */
export function explain(graph, k, lang, { digits = 4, ops = null } = {}) {
  const p = prepare(graph);
  const c = chainIndex(graph);
  const kk = Math.min(p.n, Math.max(0, Math.trunc(Number(k)) || 0));
  const step = kk > 0 ? p.steps[kk - 1] : null;
  if (step?.kind === "node") return explainForward(graph, step, lang, digits, p, c);
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
