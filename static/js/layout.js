// Graph layout for the computation graph: layered, LEFT-TO-RIGHT (inputs on the left,
// the output on the right), computed with d3-dag's sugiyama layout (run top-down, then the
// axes are swapped). Pure: no DOM, so the same module runs in the browser and in Node tests.
//
// API
// ---
//   layoutGraph(graph, options = {}) -> Layout
//
//   graph: the API's graph, {nodes: [{id, kind, inputs, ...}], edges: [{id, source, target,
//     index}]} (docs/engine.md). Nodes in topological order. Other fields are ignored.
//
//   Layout = {
//     width, height,          // size of the whole drawing, margins and label room included
//     mode,                   // "quality" or "fast": which sugiyama settings were used
//     layers,                 // number of columns
//     nodes: Map(node id -> {
//       x, y,                 // CENTRE of the node's box
//       width, height,        // the box itself (labels not included)
//       shape,                // "circle" (op nodes; width = height = diameter) or "box"
//                             // (variables and constants: a rounded rectangle)
//       layer,                // column index, 0 = leftmost
//     }),
//     edges: Map(edge id -> {
//       source, target, index,  // copied from the input edge
//       points: [[x, y], ...],  // polyline, >= 2 points. The first point is the centre of
//                               // the source's right side; the last is on the target's left
//                               // side (on the circle for ops), offset vertically by the
//                               // input index: index 0 upper, 1 lower, ...
//     }),
//   }
//   Map keys are exactly the input ids (edge ids keep their type, e.g. numbers).
//
// Space for labels: every node owns a "slot" of height `height + 2 * labelRoom` (value label
// above, gradient label below) and no other node or edge passes through it. Columns are
// `columnWidth` wide (the widest node) and separated by `layerGap` (room for names drawn
// beside a node and for the edges' diagonal runs).
//
// Edge routing: d3-dag gives one control point per layer an edge crosses (a "dummy node",
// placed like a zero-width node between the slots of that layer). Each is widened into a
// horizontal run across the column band, so a polyline only runs diagonally in the gaps
// between columns, where there are no nodes: it never crosses a node's box or label slot.
// A curve that is monotone between consecutive points (d3.curveMonotoneX) keeps that
// property; a curve that overshoots (curveBasis, curveCatmullRom) may not.
//
// Multi-edges (x*x: two edges between the same pair): d3-dag's graph accepts multi-links,
// but they are laid out here as ONE link per (source, target) pair — fewer dummy nodes and
// no spurious bends — and every edge gets its own end point from its index, so the two
// edges of x*x end at different heights.
//
// Settings by size (options.mode "auto"): below `fastThreshold` nodes the "quality"
// settings (simplex layering, two-layer decrossing, quadratic coordinates); from it on the
// "fast" settings (simplex layering, one decrossing pass, greedy coordinates).
//
// Deterministic: the same input (same order of nodes and edges) gives the same output.

import * as dag from "../vendor/d3-dag/d3-dag.esm.min.mjs";

export const LAYOUT_DEFAULTS = Object.freeze({
  opSize: 44,            // diameter of an op node's circle
  varWidth: 64,          // variable / constant box
  varHeight: 36,
  labelRoom: 18,         // vertical room above (value) and below (gradient) every node
  nodeGap: 14,           // vertical gap between two slots (or a slot and a passing edge)
  layerGap: 64,          // horizontal gap between two columns
  margin: 24,            // around the drawing
  portSpacing: 14,       // vertical distance between two input ports of a node
  mode: "auto",          // "auto" | "quality" | "fast"
  fastThreshold: 250,    // "auto": node count from which the fast settings are used
  nodeSize: null,        // optional (node) -> {width, height, shape?} overriding the sizes
});

/** The d3-dag sugiyama operator (without sizes) for a mode. Exported for benchmarks. */
export function sugiyamaFor(mode) {
  if (mode === "fast") {
    return dag.sugiyama()
      .layering(dag.layeringSimplex())
      .decross(dag.decrossTwoLayer().passes(1))
      .coord(dag.coordGreedy());
  }
  if (mode === "quality") {
    return dag.sugiyama()
      .layering(dag.layeringSimplex())
      .decross(dag.decrossTwoLayer())
      .coord(dag.coordQuad());
  }
  throw new Error(`unknown layout mode: ${mode}`);
}

function defaultSize(node, o) {
  if (node.kind === "op") return { width: o.opSize, height: o.opSize, shape: "circle" };
  return { width: o.varWidth, height: o.varHeight, shape: "box" };
}

/** Vertical offset of input port `index` among `count` ports on a side of length `side`. */
function portOffset(index, count, spacing, side) {
  if (count <= 1) return 0;
  const step = Math.min(spacing, (side * 0.7) / (count - 1));
  return (index - (count - 1) / 2) * step;
}

/** x of the left side of a node at height y (on the circle for circles). */
function leftSideAt(n, y) {
  if (n.shape !== "circle") return n.x - n.width / 2;
  const r = n.width / 2;
  const dy = Math.min(Math.abs(y - n.y), r);
  return n.x - Math.sqrt(r * r - dy * dy);
}

function pushPoint(points, x, y) {
  const last = points[points.length - 1];
  if (last && last[0] === x && last[1] === y) return;
  points.push([x, y]);
}

/**
 * Lay out the graph left to right. See the top of this file for the result's fields.
 * options: see LAYOUT_DEFAULTS; also `operator`, a d3-dag sugiyama operator to use instead
 * of the one the mode picks (its node size and gap are replaced).
 */
export function layoutGraph(graph, options = {}) {
  const o = { ...LAYOUT_DEFAULTS, ...options };
  const inNodes = graph.nodes || [];
  const inEdges = graph.edges || [];

  // Sizes and the column width (uniform, so every column has the same band).
  const sizes = new Map();
  let columnWidth = 0;
  for (const node of inNodes) {
    if (sizes.has(node.id)) throw new Error(`duplicate node id: ${node.id}`);
    const s = { ...defaultSize(node, o), ...(o.nodeSize ? o.nodeSize(node) : {}) };
    if (!(s.width > 0 && s.height > 0)) throw new Error(`bad size for node ${node.id}`);
    sizes.set(node.id, s);
    columnWidth = Math.max(columnWidth, s.width);
  }

  // Number of input ports per node: its inputs, or more if an edge says so.
  const ports = new Map();
  for (const node of inNodes) ports.set(node.id, (node.inputs || []).length);
  for (const e of inEdges) {
    if (!sizes.has(e.source) || !sizes.has(e.target)) {
      throw new Error(`edge ${e.id} refers to an unknown node`);
    }
    ports.set(e.target, Math.max(ports.get(e.target), (e.index ?? 0) + 1));
  }

  const mode = o.mode === "auto"
    ? (inNodes.length >= o.fastThreshold ? "fast" : "quality")
    : o.mode;

  const result = {
    width: 2 * o.margin, height: 2 * o.margin, mode, layers: 0,
    nodes: new Map(), edges: new Map(),
  };
  if (inNodes.length === 0) return result;

  // d3-dag graph: one node per node, one link per (source, target) pair.
  const g = dag.graph();
  const dnodes = new Map();
  for (const node of inNodes) dnodes.set(node.id, g.node(node.id));
  const pairLinks = new Map();  // "source\u0000target" -> link
  for (const e of inEdges) {
    const key = `${e.source}\u0000${e.target}`;
    if (!pairLinks.has(key)) {
      pairLinks.set(key, g.link(dnodes.get(e.source), dnodes.get(e.target)));
    }
  }

  // Top-down layout: d3-dag's x is our y (cross axis), its y our x (layer axis).
  const slot = (id) => {
    const s = sizes.get(id);
    return [s.height + 2 * o.labelRoom, columnWidth];
  };
  const base = o.operator || sugiyamaFor(mode);
  const op = base
    .nodeSize((dn) => slot(dn.data))
    .gap([o.nodeGap, o.layerGap]);
  const dims = op(g);

  // Columns: the distinct layer coordinates of the real nodes.
  const layerYs = [...new Set([...dnodes.values()].map((dn) => dn.y))].sort((a, b) => a - b);
  const layerOf = new Map(layerYs.map((y, i) => [y, i]));
  const half = columnWidth / 2;

  const nodes = result.nodes;
  for (const node of inNodes) {
    const dn = dnodes.get(node.id);
    const s = sizes.get(node.id);
    nodes.set(node.id, {
      x: dn.y + o.margin,
      y: dn.x + o.margin,
      width: s.width,
      height: s.height,
      shape: s.shape || "box",
      layer: layerOf.get(dn.y),
    });
  }

  for (const e of inEdges) {
    const src = nodes.get(e.source);
    const tgt = nodes.get(e.target);
    const link = pairLinks.get(`${e.source}\u0000${e.target}`);
    const points = [];
    // Leave from the centre of the source's right side, run to the column band's edge.
    pushPoint(points, src.x + src.width / 2, src.y);
    pushPoint(points, src.x + half, src.y);
    // Every dummy point: a horizontal run across its column band (a band only where the
    // layer holds real nodes; a dummy-only layer has no nodes to avoid).
    const lp = link.points;
    for (let i = 1; i < lp.length - 1; i++) {
      const lx = lp[i][1] + o.margin;
      const ly = lp[i][0] + o.margin;
      const h = layerOf.has(lp[i][1]) ? half : 0;
      pushPoint(points, lx - h, ly);
      pushPoint(points, lx + h, ly);
    }
    // Enter the target's band at the port's height, then its left side.
    const py = tgt.y + portOffset(e.index ?? 0, ports.get(e.target), o.portSpacing, tgt.height);
    pushPoint(points, tgt.x - half, py);
    pushPoint(points, leftSideAt(tgt, py), py);
    if (points.length < 2) points.push([...points[0]]);
    result.edges.set(e.id, { source: e.source, target: e.target, index: e.index, points });
  }

  result.width = dims.height + 2 * o.margin;
  result.height = dims.width + 2 * o.margin;
  result.layers = layerYs.length;
  return result;
}
