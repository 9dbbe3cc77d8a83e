// Graph layout for the computation graph: layered, LEFT-TO-RIGHT (inputs on the left, the
// output on the right): a layered drawing (sugiyama.js) run top-down, then the axes
// swapped. Pure (no DOM): the same module runs in the browser and in Node's tests.
//
//   layoutBounds(graph, options) -> {width, height}: the least size layoutGraph can give
//     the graph, from its layers alone (a cheap "could it ever be readable?").
//
// API
// ---
//   layoutGraph(graph, options = {}) -> Layout
//
//   graph: the API's graph {nodes: [{id, kind, inputs, ...}], edges: [{id, source, target,
//     index}]} (docs/engine.md); other fields are ignored. Throws an Error on an edge to an
//     unknown node, a duplicate node id or a cycle.
//
//   Layout = {
//     width, height,        // size of the whole drawing (margins and label room included);
//                           // every coordinate below lies in [0, width] x [0, height]
//     mode,                 // "quality" or "fast": which settings were used (below)
//     layers,               // number of columns
//     dummies,              // number of dummy nodes laid out (see Edge routing)
//     threaded,             // number of edges routed around the nodes, without dummies
//     nodes: Map(node id -> {
//       x, y,               // CENTRE of the node's box
//       width, height,      // the box itself (labels not included)
//       shape,              // "circle" (op nodes: width = height = diameter) or "box"
//                           // (variables and constants: a rounded rectangle)
//       layer,              // column index, 0 = leftmost
//     }),
//     edges: Map(edge id -> {
//       source, target, index,  // copied from the input edge
//       points: [[x, y], ...],  // polyline, >= 2 points. points[0] is the centre of the
//                               // source's right side; the last point is on the target's
//                               // left side (on the circle for ops) at the height of one of
//                               // its input ports (upper to lower: see Ports);
//                               // points[floor(points.length / 2)] is `label`
//       label: [x, y],          // where the wire's label goes (its text is drawn just
//                               // above this point of the wire): see Wire labels
//     }),
//     blocks: Map(block id -> {   // one per composite expanded into gates (nodes with
//       x0, y0, x1, y1,       //   `block: {id, op}`): its frame, around its members' slots
//                             //   (labels above and below, heatmap room included) and
//                             //   clear of every other node's slot and every other frame
//       label: [x, y],        // where its name starts (text-anchor start, baseline y:
//                             //   11 px text), in the strip on top of the frame, where
//                             //   the fewest wires cross; wire labels avoid it
//       op,                   // the composite's op (the name to write)
//     }),
//   }
//   Map keys are exactly the input ids, in input order (edge ids keep their type: numbers).
//
// Blocks. A block's members (and the dummy nodes of wires between two of them) are made
// contiguous in every column after the crossing reduction (groupBlocks), and after its
// coordinates each block is moved as one piece whose extent is its frame, pushing what
// follows it in any column down (separateBlocks): frames never hold another node.
//
//   Options (LAYOUT_DEFAULTS): node sizes (opSize, varWidth, varHeight, or a nodeSize(node)
//   function), labelRoom, nodeGap, layerGap, margin, portSpacing, mode ("auto" | "quality"
//   | "fast"), qualityLimit, dummyBudget, layering ("auto" | "simplex" | "longest-path"),
//   simplexLimit, commutative, wireStub, the node label estimate (nodeLabelWidth(node) or
//   nodeLabelChars, nodeLabelCharWidth, heatMax), the wire label's (edgeLabel*, with
//   edgeLabelWidth(edge) -> px), block frames (blockPad, blockLabelHeight,
//   blockLabelCharWidth or blockLabelWidth(op) -> px) and gapRounds, gapStep.
//
// Space for labels: every node owns a "slot" `height + 2 * labelRoom` tall (value label
// above, gradient label below) that no other node or edge enters. Each column is as wide as
// its widest node (or that node's `band`), and columns are `layerGap` apart edge to edge
// (room for the edges' diagonal runs and their labels; widened where labels need it).
//
// Edge routing. Every polyline crosses a column only horizontally (or along a straight line
// that was checked to miss every slot of that column) and runs diagonally only in the gaps
// between columns, where there are no nodes; so no edge crosses a node's box or label slot.
// A curve that is monotone between consecutive points (d3.curveMonotoneX) keeps that; a
// curve that overshoots (curveBasis, curveCatmullRom) may not.
// - Edges laid out get one control point per layer they cross (a "dummy node", placed
//   like a zero-width node between the slots), widened here into a run across the column.
// - Staged programs have many long forks (a stage reused hundreds of layers later): one
//   2,115-node program would need ~185,000 dummy nodes. So pairs are laid out shortest
//   span first while their dummies fit the mode's budget (below);
//   the others are "threaded" afterwards: a straight line aimed at the target, bent only
//   where a column's slot is in the way, to the nearest free height in that column.
//
// Ports. An op's input ports are spread over its left side, upper to lower. For commutative
// ops (option `commutative`) the edge arriving higher takes the upper port, so wires do not
// cross just before the op; the others keep argument order (index 0 upper), which is what
// the drawing has to say which wire is the minuend, the divisor, the base (see portSlots).
// Every wire runs straight for `wireStub` px past its source's column and before its
// target's, so its curve turns in open space, never against a box above or below.
//
// Wire labels. Every edge gets one label spot on its wire, chosen along it (the middle of
// its length first: a path's midpoint) where a label box (the source's shape on a tensor
// wire, else a gradient number, estimated from its characters) covers the least of the
// nodes' slots (with their value and gradient labels, as estimated by nodeLabelWidth) and
// of the labels placed before; 0 when there is room. Every wire label may be shown at once
// (the timeline's end shows every wire's gradient), so all of them avoid each other and the
// block names: shape labels first, then gradient labels; a label that found no free spot is
// placed again once the others are known, and if some still find none, the gaps they are in
// are widened (gapStep px, at most gapRounds times; small graphs only) and the layout is
// finished again from the same coordinates. Widths: edgeLabelWidth(edge) if given, else the
// characters (a shape, or edgeLabelChars) times edgeLabelCharWidth. The
// second wire of x*x follows the first up to that label and turns to its own port after
// it, so the pair shows one label. The spot is the polyline's middle point, where
// graph-view draws the label.
//
// Multi-edges (x*x: two edges between one pair): each (source, target) pair is ONE link of
// the layered drawing; every edge gets its own end point from its index, so the two edges
// of x*x end at different heights.
//
// Settings (mode "auto"), chosen from measurements (see the layout tests' timings):
// - "quality" up to qualityLimit / 2 nodes: median decrossing (4 passes, then swaps of
//   neighbours) and the straightest wires (coordSimplex: a network simplex, ~2 ms at 30
//   nodes; it grows quadratically, so at most qualityLimit nodes + dummy nodes).
// - "fast" above: one decrossing pass and coordAligned (sugiyama.js, linear time), with at most
//   dummyBudget dummy nodes.
// Layers: least total wire length (network simplex) up to simplexLimit nodes (~15 ms at
// 1,400), longest paths to the output above (linear; the same total length on staged
// programs).
//
// Deterministic: the same input (same order of nodes and edges) gives the same output.

import { coordAligned, coordSimplex, decross, rankLongestPath, rankSimplex, sugiLayers } from "./sugiyama.js";
import { formatShape } from "./format.js";

export const LAYOUT_DEFAULTS = Object.freeze({
  opSize: 44,            // diameter of an op node's circle
  varWidth: 64,          // variable / constant box
  varHeight: 36,
  nodeSize: null,        // optional (node) -> {width, height, shape?, band?}, overriding the
                         // above; band: the width its column keeps clear, if wider than the
                         // node (a tensor's heatmap above and below a small op)
  labelRoom: 16,         // vertical room above (value) and below (gradient) every node
  nodeGap: 10,           // vertical gap between two slots (or a slot and a passing edge)
  layerGap: 48,          // horizontal gap between two columns
  margin: 24,            // around the drawing
  portSpacing: 14,       // vertical distance between two input ports of a node
  mode: "auto",          // "auto" | "quality" | "fast"
  qualityLimit: 300,     // "auto": quality settings up to qualityLimit / 2 nodes, with
                         // dummy nodes up to qualityLimit - nodes
  dummyBudget: 2000,     // dummy nodes laid out in "fast" mode
  layering: "auto",      // "auto" | "simplex" | "longest-path"
  simplexLimit: 1000,    // "auto" layering: simplex up to this many nodes
  commutative: ["add", "mul", "max", "min", "dot"],  // ops whose ports follow the sources'
                         // heights, not the argument order (see portSlots)
  wireStub: 12,          // straight run of a wire beyond a column's edge (<= layerGap / 4)
  edgeLabelChars: 8,     // width of a wire's gradient label, in characters ("−0.0452")
  edgeLabelCharWidth: 6.7, // px per character of a wire label (11 px monospace)
  edgeLabelHeight: 16,   // a wire label's box: this tall, its bottom edgeLabelLift above
  edgeLabelLift: 2,      //   the anchor (graph-view draws the text 5-6 px above the wire)
  edgeLabelClear: 2,     // extra room kept between a wire label and a column's slots
  nodeLabelWidth: null,  // optional (node) -> px, the widest label drawn above or below it
  nodeLabelChars: 10,    // else estimated: a number ("+0.04521", "∂ −0.1966") in characters,
  nodeLabelCharWidth: 7.2, //  px per character (12 px monospace),
  heatMax: 64,           //   tensors up to this many elements being heatmaps (graph-view)
  edgeLabelWidth: null,  // optional (edge) -> px, the widest text drawn on that wire
  edgeLabelStep: 6,      // spots tried along a wire for its label, this far apart,
  edgeLabelTries: 40,    //   at most this many
  blockPad: 8,           // a block's frame: this far around its members' slots,
  blockLabelHeight: 16,  //   plus a strip this tall on top for its name,
  blockLabelCharWidth: 6.6, // written this many px per character (11 px monospace),
  blockLabelWidth: null, //   or optional (op) -> px
  gapRounds: 3,          // gaps widened where wire labels are crowded: at most this many
  gapStep: 16,           //   times (graphs in "quality" mode), this many px each time
});

/** Every node's size: {width, height, shape, band?} by id (options' nodeSize over defaults). */
function sizesOf(inNodes, o) {
  const sizes = new Map();
  for (const node of inNodes) {
    if (sizes.has(node.id)) throw new Error(`duplicate node id: ${node.id}`);
    const s = { ...defaultSize(node, o), ...(o.nodeSize ? o.nodeSize(node) : {}) };
    if (!(s.width > 0 && s.height > 0)) throw new Error(`bad size for node ${node.id}`);
    sizes.set(node.id, s);
  }
  return sizes;
}

/** The links (one per source–target pair, by "source\0target") and every node's layer. */
function layered(inNodes, inEdges, o) {
  const indexOf = new Map(inNodes.map((node, i) => [node.id, i]));
  const pairs = new Map();
  const pairList = [];
  for (const e of inEdges) {
    if (!indexOf.has(e.source) || !indexOf.has(e.target)) {
      throw new Error(`edge ${e.id} refers to an unknown node`);
    }
    const key = `${e.source}\u0000${e.target}`;
    if (!pairs.has(key)) {
      const pair = { source: indexOf.get(e.source), target: indexOf.get(e.target), span: 0, points: null };
      pairs.set(key, pair);
      pairList.push(pair);
    }
  }
  const layering = o.layering === "auto"
    ? (inNodes.length <= o.simplexLimit ? "simplex" : "longest-path")
    : o.layering;
  const ranks = pairList.map((p) => [p.source, p.target]);
  const layerOf = layering === "simplex" ? rankSimplex(inNodes.length, ranks)
    : layering === "longest-path" ? rankLongestPath(inNodes.length, ranks)
      : null;
  if (!layerOf) throw new Error(`unknown layering: ${layering}`);
  return { pairs, pairList, layerOf };
}

/**
 * The least size layoutGraph could give the graph, from its layers alone (no crossing
 * reduction, no coordinates, no wires): every column as wide as its widest node and
 * layerGap apart, the fullest column's slots stacked nodeGap apart. Cheap enough to ask
 * "could this ever be readable at this size?" before laying a graph out.
 */
export function layoutBounds(graph, options = {}) {
  const o = { ...LAYOUT_DEFAULTS, ...options };
  const inNodes = graph.nodes || [];
  if (!inNodes.length) return { width: 2 * o.margin, height: 2 * o.margin };
  const sizes = sizesOf(inNodes, o);
  const { layerOf } = layered(inNodes, graph.edges || [], o);
  const widths = [];
  const heights = [];
  inNodes.forEach((node, i) => {
    const s = sizes.get(node.id);
    const l = layerOf[i];
    widths[l] = Math.max(widths[l] ?? 0, bandOf(s));
    heights[l] = (heights[l] ?? -o.nodeGap) + s.height + 2 * o.labelRoom + o.nodeGap;
  });
  const columns = widths.filter((w) => w !== undefined);
  return {
    width: columns.reduce((a, b) => a + b, 0) + (columns.length - 1) * o.layerGap + 2 * o.margin,
    height: Math.max(...heights.filter((h) => h !== undefined)) + 2 * o.margin,
  };
}

function defaultSize(node, o) {
  if (node.kind === "op") return { width: o.opSize, height: o.opSize, shape: "circle" };
  return { width: o.varWidth, height: o.varHeight, shape: "box" };
}

/**
 * Width of the widest label graph-view draws above or below a node (12 px monospace): a
 * named op's "name = value", else a number with its sign or the gradient's ∂ mark, or a
 * large tensor's "shape: min … max" (small tensors are heatmaps, which the column's width
 * covers: graph-view's layoutOptions).
 */
function nodeLabelWidth(node, o) {
  if (o.nodeLabelWidth) return o.nodeLabelWidth(node);
  const number = o.nodeLabelChars;
  let chars = number;
  if (node.kind === "op" && node.name) chars = node.name.length + 3 + number;
  const shape = node.shape || [];
  if (shape.length && shape.reduce((a, b) => a * b, 1) > o.heatMax) {
    chars = formatShape(shape).length + 5 + 2 * number;
  }
  return chars * o.nodeLabelCharWidth;
}

/** The width a node's column keeps clear for it: the node, or its band when wider. */
function bandOf(size) {
  return Math.max(size.width, size.band ?? 0);
}

/** Vertical offset of input port `index` of `count` on a side of length `side`. */
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

const EPS = 1e-6;

/** First index i in the sorted array `a` with a[i] > v (a.length if none). */
function upperBound(a, v) {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Obstacles of one column: its slots, widened by `clear`, as sorted `tops` and `bottoms`
 * (slots in a column never overlap, so both are sorted the same way).
 */
class Column {
  constructor(x, slots, clear, half, room) {
    slots.sort((a, b) => a[0] - b[0]);
    this.x = x;
    this.half = half;  // half the column's width: its widest node's (or band's)
    this.room = room + clear;  // the label rows at the top and bottom of each slot
    this.tops = slots.map((s) => s[0] - clear);
    this.bottoms = slots.map((s) => s[1] + clear);
    this.reach = slots.map((s) => s[2]);  // half the width of the slot's node labels
  }

  /** How much the box [x0, y0, x1, y1] covers of the slots: the area it shares with each
   *  slot as wide as the column (`half` each side) plus `clear`, counted `bandWeight`
   *  times (nodes and heatmaps are there for sure), plus the area it shares with the slot's
   *  label rows (its top and bottom `room`) as wide as its node's labels are estimated to
   *  be; between them, beside the node, there is no label. */
  overlap([x0, y0, x1, y1], half, clear, bandWeight) {
    let area = 0;
    const i0 = upperBound(this.bottoms, y0 + EPS);
    if (i0 === this.tops.length || this.tops[i0] >= y1 - EPS) return 0;  // the usual case
    const dy = (a, b) => Math.max(0, Math.min(y1, b) - Math.max(y0, a));
    const across = (reach) => Math.max(0, Math.min(x1, this.x + reach) - Math.max(x0, this.x - reach));
    for (let i = i0; i < this.tops.length && this.tops[i] < y1 - EPS; i++) {
      const [top, bottom] = [this.tops[i], this.bottoms[i]];
      const rows = dy(top, Math.min(bottom, top + this.room)) + dy(Math.max(top, bottom - this.room), bottom);
      area += bandWeight * dy(top, bottom) * across(half + clear)
        + rows * across(Math.max(half, this.reach[i]) + clear)
        + Math.max(0, dy(top, bottom) - rows) * across(half + clear);
    }
    return area;
  }

  /** Is the vertical range [y0, y1] clear of every slot? */
  isFree(y0, y1) {
    const i = upperBound(this.bottoms, y0 + EPS);  // first slot whose bottom is below y0
    return i === this.tops.length || this.tops[i] >= y1 - EPS;
  }

  /** The free height nearest to y (the upper one on a tie). */
  snap(y) {
    if (this.isFree(y, y)) return y;
    const i = upperBound(this.bottoms, y + EPS);
    // y is inside slot i; slots are at least 2 * clear apart, so both its edges are free.
    return y - this.tops[i] <= this.bottoms[i] - y ? this.tops[i] : this.bottoms[i];
  }
}

/**
 * Lay out the graph left to right. See the top of this file for the result and options.
 */
export function layoutGraph(graph, options = {}) {
  const o = { ...LAYOUT_DEFAULTS, ...options };
  const inNodes = graph.nodes || [];
  const inEdges = graph.edges || [];
  const result = {
    width: 2 * o.margin, height: 2 * o.margin, mode: "quality", layers: 0, dummies: 0, threaded: 0,
    nodes: new Map(), edges: new Map(), blocks: new Map(),
  };
  if (inNodes.length === 0 && inEdges.length === 0) return result;

  // Sizes; columns all as wide as the widest node at first (narrowed below).
  const sizes = sizesOf(inNodes, o);
  let columnWidth = 0;
  for (const s of sizes.values()) columnWidth = Math.max(columnWidth, bandOf(s));

  // 1. One link per (source, target) pair, node indexes in input order, and the layers.
  // points: the link's polyline through its dummy nodes, null when it is threaded instead.
  const { pairs, pairList, layerOf } = layered(inNodes, inEdges, o);

  // Input ports per node: its inputs, or more if an edge's index says so.
  const ports = new Map();
  for (const node of inNodes) ports.set(node.id, (node.inputs || []).length);
  for (const e of inEdges) ports.set(e.target, Math.max(ports.get(e.target), (e.index ?? 0) + 1));

  // 2. Links laid out with dummy nodes, shortest first, while their dummies fit the budget.
  const mode = o.mode === "auto"
    ? (2 * inNodes.length <= o.qualityLimit ? "quality" : "fast")
    : o.mode;
  if (mode !== "quality" && mode !== "fast") throw new Error(`unknown layout mode: ${mode}`);
  const budget = mode === "quality" ? Math.max(0, o.qualityLimit - inNodes.length) : o.dummyBudget;
  for (const p of pairList) {
    p.span = layerOf[p.target] - layerOf[p.source];
    if (p.span <= 0) throw new Error("the graph has a cycle");
  }
  const order = pairList.map((p, i) => i)
    .sort((a, b) => pairList[a].span - pairList[b].span || a - b);
  let dummies = 0;
  const laid = [];
  for (const k of order) {
    const extra = pairList[k].span - 1;
    if (extra > 0 && dummies + extra > budget) break;
    dummies += extra;
    laid.push(k);
  }
  laid.sort((a, b) => a - b);  // input order, so the drawing does not depend on the spans
  const links = laid.map((k) => pairList[k]);

  // 3. Crossing reduction and coordinates; in the layered drawing x runs down the page and
  // the layer coordinate (y) left to right (the drawing is top-down turned on its side).
  const { layers, nodes: sugiNodes } = sugiLayers(inNodes.length, layerOf, inNodes.map((n) => n.id), links);
  const slotOf = (v) => (v.role === "node" ? sizes.get(v.id).height + 2 * o.labelRoom : 0);
  const sep = (a, b) => ((a ? slotOf(a) : 0) + (b ? slotOf(b) : 0)) / 2 + (a && b ? o.nodeGap : 0);
  decross(layers, mode === "quality" ? { passes: 4, greedy: true } : { passes: 1 });
  // Composite blocks: members kept together in every column, and every block's frame (its
  // members' slots, padded, with a strip for its name on top) kept clear of other nodes.
  const blockOf = new Map();
  for (const node of inNodes) if (node.block && node.block.id != null) blockOf.set(node.id, node.block.id);
  const memberOf = (v) => {
    if (v.role === "node") return blockOf.get(v.id);
    const b = blockOf.get(inNodes[v.link.source].id);
    return b !== undefined && b === blockOf.get(inNodes[v.link.target].id) ? b : undefined;
  };
  if (blockOf.size) groupBlocks(layers, memberOf);
  let crossWidth = mode === "quality" ? coordSimplex(layers, sep) : coordAligned(layers, sep);
  if (blockOf.size) {
    crossWidth = separateBlocks(layers, crossWidth, memberOf, (v) => slotOf(v) / 2, o.nodeGap,
      o.blockPad + o.blockLabelHeight, o.blockPad);
  }
  const layerY = (l) => l * (columnWidth + o.layerGap) + columnWidth / 2;
  const dnodes = new Map();  // node id -> {x (cross), y (layer coordinate)}
  for (const v of sugiNodes) dnodes.set(v.id, { x: v.x, y: layerY(v.layer) });
  for (const p of links) p.points = p.chain.map((v) => [v.x, layerY(v.layer)]);
  const dims = { width: crossWidth, height: layers.length ? layerY(layers.length - 1) + columnWidth / 2 : 0 };

  // Gaps widened where wire labels found no free spot (see Wire labels): the layer
  // coordinates, stretched piecewise linearly between the columns.
  const layer0 = new Map([...dnodes.values()].map((dn) => [dn, dn.y]));
  const points0 = new Map(links.map((p) => [p, p.points.map((q) => [...q])]));
  const cols0 = [...new Set(layer0.values())].sort((a, b) => a - b);
  // Every column as wide as its own widest node (layerY spaced them all by the widest of
  // the graph): a gap starts as narrow as layerGap between the two columns' edges.
  const half0 = new Map(cols0.map((x) => [x, 0]));
  for (const node of inNodes) {
    const x = layer0.get(dnodes.get(node.id));
    half0.set(x, Math.max(half0.get(x), bandOf(sizes.get(node.id)) / 2));
  }
  // extra[c]: px added to the gap after column c (negative: taken away)
  const extra = cols0.map((x, c) => (c + 1 < cols0.length ? half0.get(x) + half0.get(cols0[c + 1]) - columnWidth : 0));
  const rounds = 2 * inNodes.length <= o.qualityLimit ? o.gapRounds : 0;
  for (let round = 0; ; round++) {
    // before[c]: what the gaps before column c add; a point between two columns gets its
    // share of the gap it is in.
    const before = [0];
    for (let c = 0; c + 1 < cols0.length; c++) before.push(before[c] + extra[c]);
    const stretch = (x) => {
      const c = upperBound(cols0, x) - 1;
      if (c < 0) return x;
      if (c + 1 >= cols0.length) return x + before[cols0.length - 1];
      return x + before[c] + (extra[c] * (x - cols0[c])) / (cols0[c + 1] - cols0[c]);
    };
    for (const [dn, y] of layer0) dn.y = stretch(y);
    for (const [p, pts] of points0) p.points = pts.map(([x, y]) => [x, stretch(y)]);
    result.nodes = new Map();
    result.edges = new Map();
    result.blocks = new Map();
    result.threaded = 0;
    const crowded = place();
    result.width = dims.height + extra.reduce((a, b) => a + b, 0) + 2 * o.margin;
    if (!crowded.size || round >= rounds) break;
    for (const c of crowded) extra[c] += o.gapStep;
  }
  result.mode = mode;
  result.dummies = dummies;
  result.height = dims.width + 2 * o.margin;
  return result;

  /** Steps 3 (from the layered coordinates) to 5; returns the gaps whose wire labels found
   *  no free spot (column indexes: the gap after that column). */
  function place() {
  // Columns: the distinct layer coordinates of the real nodes.
  const colXs = [...new Set([...dnodes.values()].map((dn) => dn.y))].sort((a, b) => a - b);
  const colOf = new Map(colXs.map((x, i) => [x, i]));

  const nodes = result.nodes;
  const slotsByCol = colXs.map(() => []);
  for (const node of inNodes) {
    const dn = dnodes.get(node.id);
    const s = sizes.get(node.id);
    const n = {
      x: dn.y + o.margin,
      y: dn.x + o.margin,
      width: s.width,
      height: s.height,
      shape: s.shape || "box",
      layer: colOf.get(dn.y),
    };
    nodes.set(node.id, n);
    const slotHalf = s.height / 2 + o.labelRoom;
    slotsByCol[n.layer].push([n.y - slotHalf, n.y + slotHalf, nodeLabelWidth(node, o) / 2]);
  }
  const colHalf = colXs.map(() => 0);
  for (const node of inNodes) {
    const c = nodes.get(node.id).layer;
    colHalf[c] = Math.max(colHalf[c], bandOf(sizes.get(node.id)) / 2);
  }
  const columns = colXs.map((x, i) => new Column(x + o.margin, slotsByCol[i], o.nodeGap / 2, colHalf[i], o.labelRoom));
  const halfOf = (n) => columns[n.layer].half;

  // 4. Edges: the height each edge enters the gap before its target at (its last dummy
  // node; if threaded, its line routed here towards the target's centre; else its source),
  // then the ports, then the routes.
  const stub = Math.min(o.wireStub, o.layerGap / 4);
  const arrival = new Map();
  const incoming = new Map();  // target id -> its edges
  for (const e of inEdges) {
    const src = nodes.get(e.source);
    const tgt = nodes.get(e.target);
    const pair = pairs.get(`${e.source}\u0000${e.target}`);
    let y = src.y;
    if (pair.points && pair.points.length > 2) {
      y = pair.points[pair.points.length - 2][0] + o.margin;
    } else if (!pair.points) {
      const trial = [[src.x + halfOf(src) + stub, src.y]];
      const tx = tgt.x - halfOf(tgt) - stub;
      threadEdge(trial, columns, src.layer + 1, tgt.layer, tx, tgt.y, stub);
      // The straight line from the last bend, where it leaves the previous column's run.
      const [cx, cy] = trial[trial.length - 1];
      const before = columns[tgt.layer - 1];
      const xa = before.x + before.half + stub;
      y = cy + ((tgt.y - cy) * Math.max(0, xa - cx)) / (tx - cx);
    }
    arrival.set(e, y);
    if (!incoming.has(e.target)) incoming.set(e.target, []);
    incoming.get(e.target).push(e);
  }
  const port = portSlots(inNodes, incoming, arrival, o.commutative);

  const routes = [];
  for (const e of inEdges) {
    const src = nodes.get(e.source);
    const tgt = nodes.get(e.target);
    const pair = pairs.get(`${e.source}\u0000${e.target}`);
    const py = tgt.y + portOffset(port.get(e), ports.get(e.target), o.portSpacing, tgt.height);
    const points = [];
    // Leave from the centre of the source's right side, straight on a little way into the
    // gap (a curve that turned at the column's edge would graze the boxes below or above).
    pushPoint(points, src.x + src.width / 2, src.y);
    pushPoint(points, src.x + halfOf(src) + stub, src.y);
    if (pair.points) {
      // One run across each column the edge crosses, at the dummy node's height (none in a
      // layer without nodes: nothing to avoid there).
      const lp = pair.points;
      for (let i = 1; i < lp.length - 1; i++) {
        const x = lp[i][1] + o.margin;
        const y = lp[i][0] + o.margin;
        const h = colOf.has(lp[i][1]) ? columns[colOf.get(lp[i][1])].half + stub : 0;
        pushPoint(points, x - h, y);
        pushPoint(points, x + h, y);
      }
    } else {
      threadEdge(points, columns, src.layer + 1, tgt.layer, tgt.x - halfOf(tgt) - stub, py, stub);
      result.threaded++;
    }
    // Enter at the port's height a little before the target's column, then its left side.
    pushPoint(points, tgt.x - halfOf(tgt) - stub, py);
    pushPoint(points, leftSideAt(tgt, py), py);
    if (points.length < 2) points.push([...points[0]]);
    routes.push(points);
  }

  // 5. Label anchors, where the label misses every slot and every shape label placed
  // before; each anchor becomes the middle point of its polyline. Shape labels (tensor
  // wires) are all shown at once, so they are placed first and avoid each other; a
  // gradient label is shown only while its edge is the current step, so those avoid the
  // slots and the shape labels but may share room with each other (x*x: two wires close).
  const placed = new LabelGrid(o.layerGap + columnWidth);
  const byId = new Map(inNodes.map((n) => [n.id, n]));
  const shapeOf = (e) => byId.get(e.source).shape || [];
  const labelBox = (e, [x, y]) => {
    // The text graph-view draws on the wire: the source's shape on a tensor wire, else the
    // gradient number.
    const chars = shapeOf(e).length ? formatShape(shapeOf(e)).length : o.edgeLabelChars;
    const w = (o.edgeLabelWidth ? o.edgeLabelWidth(e) : chars * o.edgeLabelCharWidth) / 2 + 1;
    return [x - w, y - o.edgeLabelLift - o.edgeLabelHeight, x + w, y - o.edgeLabelLift];
  };
  // Block frames and their name labels (placed first: wire labels avoid them).
  placeBlocks(result, inNodes, blockOf, routes, halfOf, o).forEach((b) => placed.add(b));
  // Columns a label box may meet: the band of a column, widened by the widest node label.
  let reach = 0;
  for (const col of columns) reach = Math.max(reach, col.half, ...col.reach);
  reach += o.edgeLabelClear;
  const colLefts = columns.map((c) => c.x - reach);
  // How much a label box would cover of the slots (with their labels as estimated) and of
  // the shape labels placed so far.
  // The area a box covers of the columns it may meet (right to left, stopping early).
  const onColumns = (b, clear, bandWeight) => {
    let area = 0;
    for (let c = Math.max(0, upperBound(colLefts, b[2]) - 1); c >= 0 && columns[c].x + reach > b[0]; c--) {
      area += columns[c].overlap(b, columns[c].half, clear, bandWeight);
    }
    return area;
  };
  const covered = (b) => placed.overlap(b) + onColumns(b, o.edgeLabelClear, 4);
  const anchors = new Map();
  const boxOf = new Map();   // edge -> its label box in `placed`
  const shared = new Set();  // edges whose label spot another edge follows (x*x)
  const pairAnchor = new Map();  // pair -> the anchor of its first edge
  for (const tensor of [true, false]) {
    inEdges.forEach((e, i) => {
      if ((shapeOf(e).length > 0) !== tensor) return;
      const pair = pairs.get(`${e.source}\u0000${e.target}`);
      const first = pairAnchor.get(pair);
      const tgt = nodes.get(e.target);
      const entry = routes[i][routes[i].length - 2];
      if (first && first.at[0] > tgt.x - halfOf(tgt) - o.layerGap && first.at[0] < entry[0] - 1) {
        // x*x: the second wire follows the first up to its label, in the last gap, and
        // turns to its own port from there; one label, drawn twice in the same place.
        const route = routes[first.index].slice(0, first.seg + 1);
        pushPoint(route, ...first.at);
        const seg = route.length - 1;
        route.push(entry, routes[i][routes[i].length - 1]);
        routes[i] = route;
        anchors.set(e, { at: first.at, seg });
        shared.add(inEdges[first.index]);
        return;
      }
      const anchor = placeLabel(routes[i], (p) => covered(labelBox(e, p)), o.edgeLabelStep,
        o.edgeLabelTries);
      boxOf.set(e, labelBox(e, anchor.at));
      placed.add(boxOf.get(e));
      anchors.set(e, anchor);
      if (!first) pairAnchor.set(pair, { ...anchor, index: i });
    });
  }
  // Repair: a label that found no free spot is placed again, now that the labels placed
  // after it are known (twice over, so that of two labels in each other's way the one with
  // more room moves).
  const ownArea = (b) => (b[2] - b[0]) * (b[3] - b[1]);
  const crowdedBy = (e) => {
    const b = labelBox(e, anchors.get(e).at);
    return placed.overlap(b) > ownArea(b) + EPS;
  };
  for (let pass = 0; pass < 2; pass++) {
    inEdges.forEach((e, i) => {
      if (shared.has(e) || !anchors.has(e) || !crowdedBy(e)) return;
      if (!boxOf.has(e) || !placed.remove(boxOf.get(e))) return;
      const anchor = placeLabel(routes[i], (p) => covered(labelBox(e, p)), o.edgeLabelStep,
        o.edgeLabelTries);
      anchors.set(e, anchor);
      boxOf.set(e, labelBox(e, anchor.at));
      placed.add(boxOf.get(e));
    });
  }
  inEdges.forEach((e, i) => {
    const anchor = anchors.get(e);
    result.edges.set(e.id, {
      source: e.source, target: e.target, index: e.index,
      points: withMiddle(routes[i], anchor), label: anchor.at,
    });
  });

  result.layers = colXs.length;
  // Crowded gaps: a wire label on another label, or on a node's slot (a long "name = value"
  // reaches into the gap beside its node).
  const crowded = new Set();
  const onSomething = (e) => {
    const b = labelBox(e, anchors.get(e).at);
    if (placed.overlap(b) > ownArea(b) + EPS) return true;
    // The slots themselves (no clearance): a label merely close to a node is fine.
    return onColumns(b, 0, 1) > EPS;
  };
  const colX = columns.map((col) => col.x);
  for (const e of inEdges) {
    if (onSomething(e)) {
      const c = upperBound(colX, anchors.get(e).at[0]) - 1;
      if (c >= 0 && c + 1 < columns.length) crowded.add(c);
    }
  }
  return crowded;
  }
}

/**
 * Blocks together (a decross post-pass): in every layer the members of one block (its
 * nodes, and the dummy nodes of wires between two of them) become contiguous, at the mean
 * of their positions; the others keep their order. Stable, so deterministic.
 */
function groupBlocks(layers, memberOf) {
  for (const layer of layers) {
    const at = new Map();  // block -> [sum of indexes, count]
    layer.forEach((v, i) => {
      const b = memberOf(v);
      if (b === undefined) return;
      const a = at.get(b) || [0, 0];
      at.set(b, [a[0] + i, a[1] + 1]);
    });
    if (!at.size) continue;
    const keyed = layer.map((v, i) => {
      const b = memberOf(v);
      return b === undefined ? [i, 0, i, v] : [at.get(b)[0] / at.get(b)[1], 1, i, v];
    });
    keyed.sort((p, q) => p[0] - q[0] || p[1] - q[1] || p[2] - q[2]);
    keyed.forEach((k, i) => { layer[i] = k[3]; });
  }
}

/**
 * Frames apart (a coord post-pass, the layered drawing's x being our y): every block moves as one item
 * whose extent is its frame (its members' slots, `top` more above, `bottom` more below);
 * every other (dummy) node is an item of its own. Items that follow each other in a layer
 * must stay `gap` apart; each item is pushed down (never up) by the least that makes every
 * such pair fit (longest paths), so the order and the separations chosen are kept.
 * If two blocks are in opposite orders in two layers no frames can fit: nothing moves.
 * Returns the new extent (the layered drawing's width).
 */
function separateBlocks(layers, width, memberOf, halfOf, gap, top, bottom) {
  const item = new Map();      // sugi node -> item (the block id, or the node itself)
  const ext = new Map();       // item -> [top, bottom]
  for (const layer of layers) {
    for (const v of layer) {
      const b = memberOf(v);
      const it = b === undefined ? v : `block ${b}`;
      item.set(v, it);
      const h = halfOf(v);
      const [t, btm] = b === undefined ? [h, h] : [h + top, h + bottom];
      const e = ext.get(it) || [Infinity, -Infinity];
      ext.set(it, [Math.min(e[0], v.x - t), Math.max(e[1], v.x + btm)]);
    }
  }
  const next = new Map([...ext.keys()].map((it) => [it, []]));
  const indeg = new Map([...ext.keys()].map((it) => [it, 0]));
  for (const layer of layers) {
    let prev;
    for (const v of layer) {
      const it = item.get(v);
      if (prev !== undefined && it !== prev) {
        next.get(prev).push(it);
        indeg.set(it, indeg.get(it) + 1);
      }
      prev = it;
    }
  }
  const order = [...ext.keys()].filter((it) => indeg.get(it) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const q of next.get(order[i])) {
      indeg.set(q, indeg.get(q) - 1);
      if (indeg.get(q) === 0) order.push(q);
    }
  }
  if (order.length !== ext.size) return width;
  const shift = new Map([...ext.keys()].map((it) => [it, 0]));
  for (const p of order) {
    const bottomP = ext.get(p)[1] + shift.get(p);
    for (const q of next.get(p)) {
      shift.set(q, Math.max(shift.get(q), bottomP + gap - ext.get(q)[0]));
    }
  }
  let lo = 0;
  let hi = width;
  for (const [it, [t, b]] of ext) {
    lo = Math.min(lo, t + shift.get(it));
    hi = Math.max(hi, b + shift.get(it));
  }
  for (const layer of layers) for (const v of layer) v.x += shift.get(item.get(v)) - lo;
  return hi - lo;
}

/**
 * Each block's frame and the spot of its name (result.blocks), from its members' slots:
 * `blockPad` around them (less beside them if the gap between columns is narrow, so frames
 * in neighbouring columns never meet) and a `blockLabelHeight` strip on top, where the name
 * goes: left-aligned, moved right along the strip (`edgeLabelStep` at a time) while wires
 * cross it, to where the fewest do (the leftmost of those). The frames are clear of other
 * nodes' slots (separateBlocks). Returns the name labels' boxes.
 */
function placeBlocks(result, inNodes, blockOf, routes, halfOf, o) {
  const members = new Map();
  for (const node of inNodes) {
    const b = blockOf.get(node.id);
    if (b === undefined) continue;
    if (!members.has(b)) members.set(b, { op: node.block.op, nodes: [] });
    members.get(b).nodes.push(result.nodes.get(node.id));
  }
  const padX = Math.max(0, Math.min(o.blockPad, o.layerGap / 2 - 2));
  const boxes = [];
  for (const [id, { op, nodes }] of members) {
    const x0 = Math.min(...nodes.map((n) => n.x - halfOf(n))) - padX;
    const x1 = Math.max(...nodes.map((n) => n.x + halfOf(n))) + padX;
    const y0 = Math.min(...nodes.map((n) => n.y - n.height / 2 - o.labelRoom)) - o.blockPad
      - o.blockLabelHeight;
    const y1 = Math.max(...nodes.map((n) => n.y + n.height / 2 + o.labelRoom)) + o.blockPad;
    const w = o.blockLabelWidth ? o.blockLabelWidth(op) : String(op).length * o.blockLabelCharWidth;
    const ly = y0 + o.blockLabelHeight - 3;
    const boxAt = (lx) => [lx, ly - 11, lx + w, ly + 3];
    let best = x0 + 6;
    let least = Infinity;
    for (let lx = x0 + 6; lx + w <= x1 - 6 + EPS || lx === x0 + 6; lx += o.edgeLabelStep) {
      const b = boxAt(lx);
      let crossings = 0;
      for (const pts of routes) {
        for (let i = 1; i < pts.length; i++) if (segmentMeetsBox(pts[i - 1], pts[i], b)) crossings++;
      }
      if (crossings < least) [best, least] = [lx, crossings];
      if (least === 0) break;
    }
    result.blocks.set(id, { x0, y0, x1, y1, label: [best, ly], op });
    boxes.push(boxAt(best));
  }
  return boxes;
}

/** Does the segment p-q meet the box [x0, y0, x1, y1] (Liang-Barsky)? */
function segmentMeetsBox([px, py], [qx, qy], [x0, y0, x1, y1]) {
  let t0 = 0;
  let t1 = 1;
  const dx = qx - px;
  const dy = qy - py;
  for (const [p, q] of [[-dx, px - x0], [dx, x1 - px], [-dy, py - y0], [dy, y1 - py]]) {
    if (Math.abs(p) < 1e-12) {
      if (q < 0) return false;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
      if (t0 > t1) return false;
    }
  }
  return true;
}

/**
 * Route an edge from the last point of `points` (`stub` past the right edge of its source's
 * column) to (tx, ty) (`stub` before the left edge of the target's column) across columns
 * first..last-1: a straight line while it misses every slot of a column; where it would
 * not, it bends at the end of the previous gap and crosses that column horizontally (`stub`
 * beyond it on both sides) at the nearest free height.
 */
function threadEdge(points, columns, first, last, tx, ty, stub) {
  let [cx, cy] = points[points.length - 1];
  const lineY = (x) => cy + ((ty - cy) * (x - cx)) / (tx - cx);
  for (let c = first; c < last; c++) {
    const col = columns[c];
    const x0 = col.x - col.half;
    const x1 = col.x + col.half;
    const y0 = lineY(x0);
    const y1 = lineY(x1);
    if (col.isFree(Math.min(y0, y1), Math.max(y0, y1))) continue;
    const ys = col.snap(lineY(col.x));
    // Bend where the line leaves the previous column's run (or the gap's start): up to
    // there the line was checked.
    const prev = columns[c - 1];
    const bx = Math.max(cx, prev.x + prev.half + stub);
    pushPoint(points, bx, lineY(bx));
    pushPoint(points, x0 - stub, ys);
    pushPoint(points, x1 + stub, ys);
    cx = x1 + stub;
    cy = ys;
  }
}

/**
 * Which port each edge enters, by target: for a commutative op the upper source takes the
 * upper port (ordered by the height each edge arrives at the target's column, then by
 * index), so its wires do not cross just before the op. For the others (− ÷ ^ @ ...) the
 * port order is the argument order: the drawing has nothing else that says which wire is
 * the minuend or the divisor (wire labels show a shape or a gradient, not the position),
 * and the tutorial reads a gate top to bottom as a written expression.
 */
function portSlots(inNodes, incoming, arrival, commutative) {
  const port = new Map();
  for (const node of inNodes) {
    const es = incoming.get(node.id);
    if (!es) continue;
    if (node.kind !== "op" || !commutative.includes(node.op)) {
      for (const e of es) port.set(e, e.index ?? 0);
      continue;
    }
    const slots = es.map((e) => e.index ?? 0).sort((a, b) => a - b);
    es.map((e, i) => i)
      .sort((a, b) => arrival.get(es[a]) - arrival.get(es[b])
        || (es[a].index ?? 0) - (es[b].index ?? 0) || a - b)
      .forEach((k, rank) => port.set(es[k], slots[rank]));
  }
  return port;
}

/** Label boxes [x0, y0, x1, y1] in a uniform grid of square cells, to find overlaps fast. */
class LabelGrid {
  constructor(cell) {
    this.cell = cell;
    this.cells = new Map();  // cell key (a number) -> boxes
    this.visit = 0;          // marks the boxes seen by one overlap() (a box spans cells)
  }

  /** Calls fn(key) for every cell the box touches. */
  each([x0, y0, x1, y1], fn) {
    const c = this.cell;
    for (let i = Math.floor(x0 / c); i <= Math.floor(x1 / c); i++) {
      for (let j = Math.floor(y0 / c); j <= Math.floor(y1 / c); j++) fn(i * 1048576 + j);
    }
  }

  add(box) {
    this.each(box, (key) => {
      const list = this.cells.get(key);
      if (list) list.push(box);
      else this.cells.set(key, [box]);
    });
  }

  /** Take out a box added before (the same array); false if it is not there. */
  remove(box) {
    let found = false;
    this.each(box, (key) => {
      const list = this.cells.get(key) || [];
      const i = list.indexOf(box);
      if (i >= 0) {
        list.splice(i, 1);
        found = true;
      }
    });
    return found;
  }

  /** The area `box` shares with the boxes added (a box in several cells counts once). */
  overlap(box) {
    const [x0, y0, x1, y1] = box;
    const visit = ++this.visit;
    let area = 0;
    this.each(box, (key) => {
      for (const b of this.cells.get(key) || []) {
        if (b.visit === visit) continue;
        b.visit = visit;
        area += Math.max(0, Math.min(x1, b[2]) - Math.max(x0, b[0]))
          * Math.max(0, Math.min(y1, b[3]) - Math.max(y0, b[1]));
      }
    });
    return area;
  }
}

/**
 * Where on the polyline its label goes: the spot where `cost` (the area the label would
 * cover) is least, 0 at best, trying the middle of its length first (where a path's
 * midpoint is, so ties go there), then `step` apart on either side, at most `tries` spots.
 * Never on the first or the last run (the ones beside the source and the target). Returns
 * {at: [x, y], seg}: the spot lies on the segment points[seg] -> points[seg + 1].
 */
function placeLabel(points, cost, step, tries) {
  const acc = [0];
  for (let i = 1; i < points.length; i++) {
    const [[x0, y0], [x1, y1]] = [points[i - 1], points[i]];
    acc.push(acc[i - 1] + Math.hypot(x1 - x0, y1 - y0));
  }
  const total = acc[acc.length - 1];
  const lo = Math.min(acc[1], acc[acc.length - 2]);
  const hi = Math.max(acc[1], acc[acc.length - 2]);
  const at = (len) => {
    const seg = Math.min(Math.max(upperBound(acc, len) - 1, 0), points.length - 2);
    const [[x0, y0], [x1, y1]] = [points[seg], points[seg + 1]];
    const t = acc[seg + 1] > acc[seg] ? (len - acc[seg]) / (acc[seg + 1] - acc[seg]) : 0;
    return { at: [x0 + (x1 - x0) * t, y0 + (y1 - y0) * t], seg };
  };
  const mid = Math.min(Math.max(total / 2, lo), hi);
  let best = at(mid);
  let least = cost(best.at);
  for (let k = 1; k < tries && least > 0; k++) {
    const len = mid + (k % 2 ? 1 : -1) * Math.ceil(k / 2) * step;
    if (len < lo || len > hi) continue;
    const spot = at(len);
    const c = cost(spot.at);
    if (c < least) [best, least] = [spot, c];
  }
  return best;
}

/**
 * The polyline with the label spot {at, seg} as its middle point (index
 * floor(length / 2)): spot inserted, and points added along the first or the last run
 * (both straight) until it is in the middle. The drawn curve passes through every point,
 * and points on a straight run leave it straight.
 */
function withMiddle(points, { at, seg }) {
  const out = points.slice(0, seg + 1);
  const same = (p) => Math.abs(p[0] - at[0]) < EPS && Math.abs(p[1] - at[1]) < EPS;
  if (!same(out[out.length - 1])) out.push(at);
  const a = out.length - 1;
  for (const p of points.slice(seg + 1)) if (out.length > a + 1 || !same(p)) out.push(p);
  const n = out.length;
  const between = (p, q, count) => Array.from({ length: count }, (_, j) => [
    p[0] + ((q[0] - p[0]) * (j + 1)) / (count + 1), p[1] + ((q[1] - p[1]) * (j + 1)) / (count + 1)]);
  if (2 * a < n - 1) out.splice(1, 0, ...between(out[0], out[1], n - 2 * a - 1));
  else if (2 * a > n) out.splice(n - 1, 0, ...between(out[n - 2], out[n - 1], 2 * a - n));
  return out;
}
