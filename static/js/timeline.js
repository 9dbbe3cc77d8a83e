// The timeline is a pure index into graph.steps (graph = the /api/graph response):
// k = the number of events applied, 0 ≤ k ≤ steps.length. Everything the page shows at k
// is derived from the trace, so stepping back is just asking for k − 1.
//
// Ids are kept as the API sends them: node ids are strings ("n3"), edge ids numbers.
// The events ({kind: "node"|"seed"|"edge", …}), nodes and edges are declared once, in
// app/engine/trace.py; /openapi.json (GraphResponse) describes every field.

// Per-graph indexes, built once. A WeakMap keeps them with the graph object and lets them
// go when the page drops the graph, so stateAt(graph, k) stays cheap on every frame.
const prepared = new WeakMap();

function indexSeed(steps) {
  return steps.findIndex((s) => s.kind === "seed");
}

// Edge ids grouped by one end: a forward event lights up the wires its node reads
// (incoming), and a fork is a node with several outgoing edges.
function edgesBy(edges, end) {
  const groups = new Map();
  for (const e of edges) {
    if (!groups.has(e[end])) groups.set(e[end], []);
    groups.get(e[end]).push(e.id);
  }
  return groups;
}

// Nodes that feed nothing (except the output) never receive an edge event; the output does
// not depend on them, so their gradient (zero) is known as soon as the backward pass starts.
function deadEnds(graph) {
  const used = new Set(graph.edges.map((e) => e.source));
  return graph.nodes.filter((n) => n.id !== graph.output && !used.has(n.id));
}

/** The graph without the backward steps into constants: a literal's gradient teaches
 * nothing (∂f/∂2), so the page hides those steps unless asked. The same object when the
 * graph has no constant. */
export function withoutConstantSteps(graph) {
  const constants = new Set(graph.nodes.filter((n) => n.kind === "constant").map((n) => n.id));
  if (!constants.size) return graph;
  const steps = (graph.steps ?? []).filter((s) => !(s.kind === "edge" && constants.has(s.source)));
  return { ...graph, steps };
}

/** Indexes of one graph for stateAt and chain-rule; memoised per graph object. */
export function prepare(graph) {
  let p = prepared.get(graph);
  if (p) return p;
  const steps = graph.steps ?? [];
  p = {
    steps,
    n: steps.length,
    starts: phaseStarts(steps),
    nodeById: new Map(graph.nodes.map((node) => [node.id, node])),
    edgeById: new Map(graph.edges.map((e) => [e.id, e])),
    given: graph.nodes.filter((node) => node.kind !== "op"),
    incoming: edgesBy(graph.edges, "target"),
    outgoing: edgesBy(graph.edges, "source"),
    deadEnds: deadEnds(graph),
  };
  prepared.set(graph, p);
  return p;
}

/** Where each phase begins: forward at 0, backward at the seed's index. */
export function phaseStarts(steps) {
  const seed = indexSeed(steps ?? []);
  return { forward: 0, backward: seed < 0 ? (steps ?? []).length : seed };
}

function clamp(k, n) {
  const i = Math.trunc(Number(k));
  return Number.isFinite(i) ? Math.min(n, Math.max(0, i)) : 0;
}

function phaseOf(k, n, current) {
  if (k === 0) return "start";
  if (k === n) return "end";
  return current.phase;
}

function emptyState(p) {
  return {
    values: new Map(p.given.map((node) => [node.id, node.value])),
    grads: new Map(),
    edgeGrads: new Map(),
  };
}

// Applying one event to the maps: this is the whole semantics of the trace.
function apply(state, step, p) {
  if (step.kind === "node") {
    state.values.set(step.node, step.value);
  } else if (step.kind === "seed") {
    state.grads.set(step.node, step.grad);
    for (const node of p.deadEnds) state.grads.set(node.id, node.grad);
  } else if (step.kind === "edge") {
    state.grads.set(step.source, step.accumulated);
    state.edgeGrads.set(step.edge, step.contribution);
  }
}

function touched(step, p) {
  if (!step) return { activeNodes: new Set(), activeEdges: new Set() };
  if (step.kind === "node") {
    const node = p.nodeById.get(step.node);
    return { activeNodes: new Set([step.node, ...(node?.inputs ?? [])]),
      activeEdges: new Set(p.incoming.get(step.node) ?? []) };
  }
  if (step.kind === "seed") return { activeNodes: new Set([step.node]), activeEdges: new Set() };
  return { activeNodes: new Set([step.source, step.target]), activeEdges: new Set([step.edge]) };
}

/**
 * The page's state after the first k events: {k, n, phase, current, values, grads,
 * edgeGrads, activeNodes, activeEdges}. O(k) map updates on fresh maps (the caller may
 * keep or change them); k is clamped into [0, n].
 */
export function stateAt(graph, k, p = prepare(graph)) {
  const kk = clamp(k, p.n);
  const state = emptyState(p);
  for (let i = 0; i < kk; i += 1) apply(state, p.steps[i], p);
  const current = kk > 0 ? p.steps[kk - 1] : null;
  return { k: kk, n: p.n, phase: phaseOf(kk, p.n, current), current, ...state, ...touched(current, p) };
}

/**
 * The timeline's k after a user action: "next", "prev", "start", "end", "forward" (0),
 * "backward" (just after the seed, so the seed is shown; needs `starts` = phaseStarts(steps)).
 * Anything else ("toggle", unknown) leaves k as it is. Always clamped into [0, n].
 */
export function reduceAction(k, n, action, starts = null) {
  const size = Math.max(0, Math.trunc(Number(n)) || 0);
  const at = clamp(k, size);
  switch (action) {
    case "next": return clamp(at + 1, size);
    case "prev": return clamp(at - 1, size);
    case "start": return 0;
    case "end": return size;
    case "forward": return clamp(starts?.forward ?? 0, size);
    case "backward": return starts ? clamp(starts.backward + 1, size) : at;
    default: return at;
  }
}

const KEYS = { ArrowRight: "next", ArrowLeft: "prev", " ": "toggle", Home: "start", End: "end" };

/** The timeline action of a KeyboardEvent.key, or null. */
export function keyToAction(key) {
  return Object.hasOwn(KEYS, key) ? KEYS[key] : null;
}
