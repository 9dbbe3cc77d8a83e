// Graph layout for the computation graph: layered, LEFT-TO-RIGHT (inputs on the left, the
// output on the right), computed with d3-dag's sugiyama layout run top-down, then the axes
// swapped. Pure (no DOM): the same module runs in the browser and in Node's tests.
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
//     mode,                 // "quality" or "fast": which sugiyama settings were used
//     layers,               // number of columns
//     dummies,              // number of dummy nodes d3-dag laid out (see Edge routing)
//     threaded,             // number of edges routed around the nodes instead of by d3-dag
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
// contiguous in every column after d3-dag's decrossing (groupBlocks), and after its
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
// - Edges given to d3-dag get one control point per layer they cross (a "dummy node", placed
//   like a zero-width node between the slots), widened here into a run across the column.
// - Staged programs have many long forks (a stage reused hundreds of layers later): one
//   2,115-node program needs ~185,000 dummy nodes, which takes d3-dag minutes. So pairs are
//   given to d3-dag shortest span first while their dummies fit the mode's budget (below);
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
// finished again from d3-dag's coordinates. Widths: edgeLabelWidth(edge) if given, else the
// characters (a shape, or edgeLabelChars) times edgeLabelCharWidth. The
// second wire of x*x follows the first up to that label and turns to its own port after
// it, so the pair shows one label. The spot is the polyline's middle point, where
// graph-view draws the label.
//
// Multi-edges (x*x: two edges between one pair): d3-dag's graph accepts multi-links (it adds
// a layer to bend them apart), but here each (source, target) pair is ONE link; every edge
// gets its own end point from its index, so the two edges of x*x end at different heights.
//
// Settings (mode "auto"), chosen from measurements (see the layout tests' timings):
// - "quality" up to qualityLimit / 2 nodes: two-layer decrossing (4 passes) and d3-dag's
//   simplex coordinates, with at most qualityLimit nodes + dummy nodes (simplex coordinates
//   grow fast: ~0.3 s at 600 of them; quadratic ones ~0.5 s already at 300).
// - "fast" above: one decrossing pass and coordAligned() below (linear time), with at most
//   dummyBudget dummy nodes.
// Layering of the whole graph: network simplex up to simplexLimit nodes (~0.2 s at 2,000),
// d3-dag's compacted longest path above (~10 ms; the same total edge length on staged
// programs).
//
// Deterministic: the same input (same order of nodes and edges) gives the same output.

import * as dag from "../vendor/d3-dag/d3-dag.esm.min.mjs";
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
  dummyBudget: 2000,     // dummy nodes d3-dag may get in "fast" mode
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

/** The d3-dag sugiyama operator of a mode (sizes, gaps and layering are set later). */
export function sugiyamaFor(mode) {
  if (mode === "fast") {
    return dag.sugiyama().decross(dag.decrossTwoLayer().passes(1)).coord(coordAligned());
  }
  if (mode === "quality") {
    return dag.sugiyama().decross(dag.decrossTwoLayer().passes(4)).coord(dag.coordSimplex());
  }
  throw new Error(`unknown layout mode: ${mode}`);
}

/**
 * A d3-dag Coord operator (cross-axis coordinates of the layered "sugi" nodes) in linear
 * time, for large graphs: d3-dag's coordGreedy iterates up to once per layer over the whole
 * graph (1.9 s on a 993-layer program) and the optimising ones are slower still.
 *
 * 1. Alignment (after Brandes & Köpf): top-down, each node joins the "block" of one parent
 *    that is not a source, preferring the block with the most real nodes, so the main chain
 *    of a program becomes one straight line; alignments never cross, and a dummy chain (a
 *    long edge) is not cut by a crossing alignment. A block's nodes share one coordinate;
 *    blocks of fewer than `minBlock` real nodes are dissolved.
 * 2. Compaction: blocks packed to the left and to the right (longest paths over "is left
 *    of" constraints), then averaged; both are feasible, so the average is too.
 * 3. A few sweeps move each block to the median of its neighbours' coordinates, clamped
 *    between its neighbours in every layer (so it stays feasible).
 */
export function coordAligned(sweeps = 4, minBlock = 8) {
  function coord(layers, sep) {
    const pos = new Map();
    for (const layer of layers) layer.forEach((v, i) => pos.set(v, i));
    const isDummy = (v) => v.data.role === "link";

    // Type-1 conflicts: a segment with a real end crossing an inner (dummy-dummy) segment.
    const marked = new Map();  // child -> Set(parents it must not be aligned with)
    for (let i = 0; i + 1 < layers.length; i++) {
      const upper = layers[i];
      const lower = layers[i + 1];
      let k0 = 0;
      let l = 0;
      for (let l1 = 0; l1 < lower.length; l1++) {
        const v = lower[l1];
        let inner;
        if (isDummy(v)) {
          for (const u of v.parents()) if (isDummy(u)) inner = pos.get(u);
        }
        if (l1 === lower.length - 1 || inner !== undefined) {
          const k1 = inner ?? upper.length - 1;
          for (; l <= l1; l++) {
            const w = lower[l];
            for (const u of w.parents()) {
              const p = pos.get(u);
              if ((p < k0 || p > k1) && !(isDummy(u) && isDummy(w))) {
                if (!marked.has(w)) marked.set(w, new Set());
                marked.get(w).add(u);
              }
            }
          }
          k0 = k1;
        }
      }
    }

    // 1. Vertical alignment into blocks.
    const root = new Map();
    const weight = new Map();  // root -> real nodes in the block (+ a little per dummy)
    const alignedDown = new Set();
    for (let i = 0; i < layers.length; i++) {
      let r = -1;
      for (const v of layers[i]) {
        let best;
        let bestWeight = -1;
        for (const u of v.parents()) {
          const p = pos.get(u);
          // Sources (variables, constants) stay single: aligned into their consumers,
          // repeated side inputs would stack up into a staircase.
          if (p <= r || alignedDown.has(u) || u.nparents() === 0) continue;
          if (marked.has(v) && marked.get(v).has(u)) continue;
          const wgt = weight.get(root.get(u));
          if (wgt > bestWeight || (wgt === bestWeight && p < pos.get(best))) {
            best = u;
            bestWeight = wgt;
          }
        }
        const add = isDummy(v) ? 1e-3 : 1;
        if (best === undefined) {
          root.set(v, v);
          weight.set(v, add);
        } else {
          alignedDown.add(best);
          const rt = root.get(best);
          root.set(v, rt);
          weight.set(rt, weight.get(rt) + add);
          r = pos.get(best);
        }
      }
    }

    // Blocks, numbered in order of their roots (top-down, left to right). Blocks of fewer
    // than minBlock real nodes are split again: short side chains stacked one below the
    // other make staircases (a 2,115-node program: 7,456 px tall with every block kept,
    // 1,612 px with minBlock 8, 1,018 px with none but then no chain is straight).
    const blockIndex = new Map();
    const blockNodes = [];
    const blockOf = new Map();
    for (const layer of layers) {
      for (const v of layer) {
        const rt = weight.get(root.get(v)) >= minBlock ? root.get(v) : v;
        if (!blockIndex.has(rt)) {
          blockIndex.set(rt, blockNodes.length);
          blockNodes.push([]);
        }
        const b = blockIndex.get(rt);
        blockOf.set(v, b);
        blockNodes[b].push(v);
      }
    }
    const nb = blockNodes.length;

    // "Is left of" constraints between blocks: b -> c with a minimal distance.
    const lefts = blockNodes.map(() => []);   // [block, distance] pairs
    const rights = blockNodes.map(() => []);
    const leftHalf = new Float64Array(nb);
    const rightHalf = new Float64Array(nb);
    for (const layer of layers) {
      for (let j = 0; j < layer.length; j++) {
        const v = layer[j];
        const b = blockOf.get(v);
        leftHalf[b] = Math.max(leftHalf[b], sep(undefined, v));
        rightHalf[b] = Math.max(rightHalf[b], sep(v, undefined));
        if (j > 0) {
          const w = layer[j - 1];
          const a = blockOf.get(w);
          const d = sep(w, v);
          lefts[b].push([a, d]);
          rights[a].push([b, d]);
        }
      }
    }

    // 2. Left and right packing (longest paths in topological order), averaged.
    const topo = topologicalBlocks(nb, lefts, rights);
    const xl = new Float64Array(nb);
    for (const b of topo) {
      let x = leftHalf[b];
      for (const [a, d] of lefts[b]) x = Math.max(x, xl[a] + d);
      xl[b] = x;
    }
    const dr = new Float64Array(nb);
    for (let t = nb - 1; t >= 0; t--) {
      const b = topo[t];
      let x = rightHalf[b];
      for (const [c, d] of rights[b]) x = Math.max(x, dr[c] + d);
      dr[b] = x;
    }
    let width = 0;
    for (let b = 0; b < nb; b++) {
      width = Math.max(width, xl[b] + rightHalf[b], dr[b] + leftHalf[b]);
    }
    const x = new Float64Array(nb);
    for (let b = 0; b < nb; b++) x[b] = (xl[b] + (width - dr[b])) / 2;

    // 3. Sweeps towards the median of the neighbours, staying feasible.
    const neighbours = blockNodes.map((vs, b) => {
      const out = [];
      for (const v of vs) {
        for (const u of v.parents()) if (blockOf.get(u) !== b) out.push(blockOf.get(u));
        for (const u of v.children()) if (blockOf.get(u) !== b) out.push(blockOf.get(u));
      }
      return out;
    });
    const vals = [];
    for (let s = 0; s < sweeps; s++) {
      for (let t = 0; t < nb; t++) {
        const b = s % 2 === 0 ? t : nb - 1 - t;
        const nbs = neighbours[b];
        if (nbs.length === 0) continue;
        vals.length = 0;
        for (const c of nbs) vals.push(x[c]);
        vals.sort((p, q) => p - q);
        const m = vals.length >> 1;
        const want = vals.length % 2 ? vals[m] : (vals[m - 1] + vals[m]) / 2;
        let lo = leftHalf[b];
        for (const [a, d] of lefts[b]) lo = Math.max(lo, x[a] + d);
        let hi = width - rightHalf[b];
        for (const [c, d] of rights[b]) hi = Math.min(hi, x[c] - d);
        if (lo <= hi) x[b] = Math.min(Math.max(want, lo), hi);
      }
    }

    // Shift to start at 0.
    let min = Infinity;
    let max = -Infinity;
    for (let b = 0; b < nb; b++) {
      min = Math.min(min, x[b] - leftHalf[b]);
      max = Math.max(max, x[b] + rightHalf[b]);
    }
    for (const layer of layers) for (const v of layer) v.x = x[blockOf.get(v)] - min;
    return max - min;
  }
  return coord;
}

/** Blocks in an order where every block comes after the blocks left of it (Kahn). */
function topologicalBlocks(nb, lefts, rights) {
  const indeg = new Int32Array(nb);
  for (let b = 0; b < nb; b++) indeg[b] = lefts[b].length;
  const order = [];
  for (let b = 0; b < nb; b++) if (indeg[b] === 0) order.push(b);
  for (let i = 0; i < order.length; i++) {
    for (const [c] of rights[order[i]]) if (--indeg[c] === 0) order.push(c);
  }
  if (order.length !== nb) throw new Error("layout: crossing block alignment");
  return order;
}

function layeringFor(name) {
  if (name === "simplex") return dag.layeringSimplex();
  if (name === "longest-path") return dag.layeringLongestPath();
  throw new Error(`unknown layering: ${name}`);
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
    for (let i = upperBound(this.bottoms, y0 + EPS); i < this.tops.length && this.tops[i] < y1 - EPS; i++) {
      const [top, bottom] = [this.tops[i], this.bottoms[i]];
      const dy = (a, b) => Math.max(0, Math.min(y1, b) - Math.max(y0, a));
      const across = (reach) => Math.max(0, Math.min(x1, this.x + reach) - Math.max(x0, this.x - reach));
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
 * `options.operator` may be a d3-dag sugiyama operator to use instead of the mode's (its
 * node size, gap and layering are replaced); for experiments and benchmarks.
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

  // Sizes; the column width is the widest node, so every column has the same band.
  const sizes = new Map();
  let columnWidth = 0;
  for (const node of inNodes) {
    if (sizes.has(node.id)) throw new Error(`duplicate node id: ${node.id}`);
    const s = { ...defaultSize(node, o), ...(o.nodeSize ? o.nodeSize(node) : {}) };
    if (!(s.width > 0 && s.height > 0)) throw new Error(`bad size for node ${node.id}`);
    sizes.set(node.id, s);
    columnWidth = Math.max(columnWidth, bandOf(s));
  }

  // Input ports per node: its inputs, or more if an edge's index says so.
  const ports = new Map();
  for (const node of inNodes) ports.set(node.id, (node.inputs || []).length);
  for (const e of inEdges) {
    if (!sizes.has(e.source) || !sizes.has(e.target)) {
      throw new Error(`edge ${e.id} refers to an unknown node`);
    }
    ports.set(e.target, Math.max(ports.get(e.target), (e.index ?? 0) + 1));
  }

  // d3-dag graph: one node per node, one link per (source, target) pair.
  const g = dag.graph();
  const dnodes = new Map();
  for (const node of inNodes) dnodes.set(node.id, g.node(node.id));
  const pairs = new Map();  // "source\0target" -> {link, span}
  const pairList = [];
  for (const e of inEdges) {
    const key = `${e.source}\u0000${e.target}`;
    if (!pairs.has(key)) {
      const pair = { link: g.link(dnodes.get(e.source), dnodes.get(e.target)), span: 0 };
      pairs.set(key, pair);
      pairList.push(pair);
    }
  }

  // 1. Layers of the whole graph.
  const layeringName = o.layering === "auto"
    ? (inNodes.length <= o.simplexLimit ? "simplex" : "longest-path")
    : o.layering;
  const height = layeringFor(layeringName)(g, dag.layerSeparation);
  const layerIndex = new Map();
  for (const [id, dn] of dnodes) layerIndex.set(id, dn.y);

  // 2. Links to d3-dag, shortest first, while their dummy nodes fit the budget.
  const mode = o.mode === "auto"
    ? (2 * inNodes.length <= o.qualityLimit ? "quality" : "fast")
    : o.mode;
  const budget = mode === "quality" ? Math.max(0, o.qualityLimit - inNodes.length) : o.dummyBudget;
  for (const p of pairList) {
    p.span = p.link.target.y - p.link.source.y;
    if (p.span <= 0) throw new Error("the graph has a cycle");  // d3-dag would reverse it
  }
  const order = pairList.map((p, i) => i)
    .sort((a, b) => pairList[a].span - pairList[b].span || a - b);
  let dummies = 0;
  let k = 0;
  for (; k < order.length; k++) {
    const extra = pairList[order[k]].span - 1;
    if (extra > 0 && dummies + extra > budget) break;
    dummies += extra;
  }
  for (; k < order.length; k++) {
    const p = pairList[order[k]];
    p.link.delete();
    p.link = null;
  }

  // 3. Sugiyama top-down with those layers: d3-dag's x is our y, its y our x.
  const fixedLayering = (graph2) => {
    for (const dn of graph2.nodes()) dn.y = layerIndex.get(dn.data);
    return height;
  };
  let op = (o.operator || sugiyamaFor(mode))
    .layering(fixedLayering)
    .nodeSize((dn) => [sizes.get(dn.data).height + 2 * o.labelRoom, columnWidth])
    .gap([o.nodeGap, o.layerGap]);
  // Composite blocks: members kept together in every column, and every block's frame (its
  // members' slots, padded, with a strip for its name on top) kept clear of other nodes.
  const blockOf = new Map();
  for (const node of inNodes) if (node.block && node.block.id != null) blockOf.set(node.id, node.block.id);
  if (blockOf.size) {
    const memberOf = (v) => {
      if (v.data.role === "node") return blockOf.get(v.data.node.data);
      const b = blockOf.get(v.data.link.source.data);
      return b !== undefined && b === blockOf.get(v.data.link.target.data) ? b : undefined;
    };
    const halfOf = (v) => (v.data.role === "node"
      ? sizes.get(v.data.node.data).height / 2 + o.labelRoom : 0);
    const decross = op.decross();
    const coord = op.coord();
    op = op.decross((layers) => {
      decross(layers);
      groupBlocks(layers, memberOf);
    }).coord((layers, sep) => {
      const w = coord(layers, sep);
      return separateBlocks(layers, w, memberOf, halfOf, o.nodeGap,
        o.blockPad + o.blockLabelHeight, o.blockPad);
    });
  }
  const dims = op(g);

  // Gaps widened where wire labels found no free spot (see Wire labels): the layer
  // coordinates d3-dag gave, stretched piecewise linearly between the columns.
  const layer0 = new Map([...dnodes.values()].map((dn) => [dn, dn.y]));
  const points0 = new Map(pairList.filter((p) => p.link).map((p) => [p, p.link.points.map((q) => [...q])]));
  const cols0 = [...new Set(layer0.values())].sort((a, b) => a - b);
  // Every column as wide as its own widest node (d3-dag spaced them all by the widest of
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
    const stretch = (x) => {
      let add = 0;
      for (let c = 0; c + 1 < cols0.length && x > cols0[c]; c++) {
        add += extra[c] * Math.min(1, (x - cols0[c]) / (cols0[c + 1] - cols0[c]));
      }
      return x + add;
    };
    for (const [dn, y] of layer0) dn.y = stretch(y);
    for (const [p, pts] of points0) p.link.points = pts.map(([x, y]) => [x, stretch(y)]);
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

  /** Steps 3 (from d3-dag's coordinates) to 5; returns the gaps whose wire labels found
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
    if (pair.link && pair.link.points.length > 2) {
      y = pair.link.points[pair.link.points.length - 2][0] + o.margin;
    } else if (!pair.link) {
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
    if (pair.link) {
      // One run across each column the edge crosses, at the dummy node's height (none in a
      // layer without nodes: nothing to avoid there).
      const lp = pair.link.points;
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
  const covered = (b) => {
    let area = placed.overlap(b);
    for (let c = Math.max(0, upperBound(colLefts, b[2]) - 1); c >= 0; c--) {
      if (columns[c].x + reach <= b[0]) break;
      area += columns[c].overlap(b, columns[c].half, o.edgeLabelClear, 4);
    }
    return area;
  };
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
    return columns.some((col) => col.overlap(b, col.half, 0, 1) > EPS);
  };
  for (const e of inEdges) {
    if (onSomething(e)) {
      const c = upperBound(columns.map((col) => col.x), anchors.get(e).at[0]) - 1;
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
 * Frames apart (a coord post-pass, d3-dag's x being our y): every block moves as one item
 * whose extent is its frame (its members' slots, `top` more above, `bottom` more below);
 * every other (dummy) node is an item of its own. Items that follow each other in a layer
 * must stay `gap` apart; each item is pushed down (never up) by the least that makes every
 * such pair fit (longest paths), so the order and the separations d3-dag chose are kept.
 * If two blocks are in opposite orders in two layers no frames can fit: nothing moves.
 * Returns the new extent (d3-dag's width).
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
    this.cells = new Map();
  }

  * keys([x0, y0, x1, y1]) {
    const c = this.cell;
    for (let i = Math.floor(x0 / c); i <= Math.floor(x1 / c); i++) {
      for (let j = Math.floor(y0 / c); j <= Math.floor(y1 / c); j++) yield `${i},${j}`;
    }
  }

  add(box) {
    for (const key of this.keys(box)) {
      if (!this.cells.has(key)) this.cells.set(key, []);
      this.cells.get(key).push(box);
    }
  }

  /** Take out a box added before (the same array); false if it is not there. */
  remove(box) {
    let found = false;
    for (const key of this.keys(box)) {
      const list = this.cells.get(key) || [];
      const i = list.indexOf(box);
      if (i >= 0) {
        list.splice(i, 1);
        found = true;
      }
    }
    return found;
  }

  /** The area `box` shares with the boxes added (a box in several cells counts once). */
  overlap(box) {
    const [x0, y0, x1, y1] = box;
    const seen = new Set();
    let area = 0;
    for (const key of this.keys(box)) {
      for (const b of this.cells.get(key) || []) {
        if (seen.has(b)) continue;
        seen.add(b);
        area += Math.max(0, Math.min(x1, b[2]) - Math.max(x0, b[0]))
          * Math.max(0, Math.min(y1, b[3]) - Math.max(y0, b[1]));
      }
    }
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
