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
//                               // left side (on the circle for ops) at the height of input
//                               // port `index`: index 0 upper, 1 lower, ...
//     }),
//   }
//   Map keys are exactly the input ids, in input order (edge ids keep their type: numbers).
//
//   Options (LAYOUT_DEFAULTS): node sizes (opSize, varWidth, varHeight, or a nodeSize(node)
//   function), labelRoom, nodeGap, layerGap, margin, portSpacing, mode ("auto" | "quality"
//   | "fast"), qualityLimit, dummyBudget, layering ("auto" | "simplex" | "longest-path"),
//   simplexLimit.
//
// Space for labels: every node owns a "slot" `height + 2 * labelRoom` tall (value label
// above, gradient label below) that no other node or edge enters. Columns are `columnWidth`
// wide (the widest node) and `layerGap` apart (room for names drawn beside a node and for
// the edges' diagonal runs).
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

export const LAYOUT_DEFAULTS = Object.freeze({
  opSize: 44,            // diameter of an op node's circle
  varWidth: 64,          // variable / constant box
  varHeight: 36,
  nodeSize: null,        // optional (node) -> {width, height, shape?}, overriding the above
  labelRoom: 18,         // vertical room above (value) and below (gradient) every node
  nodeGap: 14,           // vertical gap between two slots (or a slot and a passing edge)
  layerGap: 64,          // horizontal gap between two columns
  margin: 24,            // around the drawing
  portSpacing: 14,       // vertical distance between two input ports of a node
  mode: "auto",          // "auto" | "quality" | "fast"
  qualityLimit: 300,     // "auto": quality settings up to qualityLimit / 2 nodes, with
                         // dummy nodes up to qualityLimit - nodes
  dummyBudget: 2000,     // dummy nodes d3-dag may get in "fast" mode
  layering: "auto",      // "auto" | "simplex" | "longest-path"
  simplexLimit: 1000,    // "auto" layering: simplex up to this many nodes
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
  constructor(x, slots, clear) {
    slots.sort((a, b) => a[0] - b[0]);
    this.x = x;
    this.tops = slots.map((s) => s[0] - clear);
    this.bottoms = slots.map((s) => s[1] + clear);
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
    nodes: new Map(), edges: new Map(),
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
    columnWidth = Math.max(columnWidth, s.width);
  }
  const half = columnWidth / 2;

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
  const op = (o.operator || sugiyamaFor(mode))
    .layering(fixedLayering)
    .nodeSize((dn) => [sizes.get(dn.data).height + 2 * o.labelRoom, columnWidth])
    .gap([o.nodeGap, o.layerGap]);
  const dims = op(g);

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
    slotsByCol[n.layer].push([n.y - slotHalf, n.y + slotHalf]);
  }
  const columns = colXs.map((x, i) => new Column(x + o.margin, slotsByCol[i], o.nodeGap / 2));

  // 4. Edges.
  for (const e of inEdges) {
    const src = nodes.get(e.source);
    const tgt = nodes.get(e.target);
    const pair = pairs.get(`${e.source}\u0000${e.target}`);
    const py = tgt.y + portOffset(e.index ?? 0, ports.get(e.target), o.portSpacing, tgt.height);
    const points = [];
    // Leave from the centre of the source's right side, run to its column's edge.
    pushPoint(points, src.x + src.width / 2, src.y);
    pushPoint(points, src.x + half, src.y);
    if (pair.link) {
      // One run across each column the edge crosses, at the dummy node's height (none in a
      // layer without nodes: nothing to avoid there).
      const lp = pair.link.points;
      for (let i = 1; i < lp.length - 1; i++) {
        const x = lp[i][1] + o.margin;
        const y = lp[i][0] + o.margin;
        const h = colOf.has(lp[i][1]) ? half : 0;
        pushPoint(points, x - h, y);
        pushPoint(points, x + h, y);
      }
    } else {
      threadEdge(points, columns, src.layer + 1, tgt.layer, tgt.x - half, py, half);
      result.threaded++;
    }
    // Enter the target's column at the port's height, then its left side.
    pushPoint(points, tgt.x - half, py);
    pushPoint(points, leftSideAt(tgt, py), py);
    if (points.length < 2) points.push([...points[0]]);
    result.edges.set(e.id, { source: e.source, target: e.target, index: e.index, points });
  }

  result.mode = mode;
  result.dummies = dummies;
  result.layers = colXs.length;
  result.width = dims.height + 2 * o.margin;
  result.height = dims.width + 2 * o.margin;
  return result;
}

/**
 * Route an edge from the last point of `points` (at the right edge of its source's column)
 * to (tx, ty) (the left edge of the target's column) across columns first..last-1: a
 * straight line while it misses every slot of a column; where it would not, it bends at the
 * end of the previous gap and crosses that column horizontally at the nearest free height.
 */
function threadEdge(points, columns, first, last, tx, ty, half) {
  let [cx, cy] = points[points.length - 1];
  const lineY = (x) => cy + ((ty - cy) * (x - cx)) / (tx - cx);
  for (let c = first; c < last; c++) {
    const col = columns[c];
    const x0 = col.x - half;
    const x1 = col.x + half;
    const y0 = lineY(x0);
    const y1 = lineY(x1);
    if (col.isFree(Math.min(y0, y1), Math.max(y0, y1))) continue;
    const ys = col.snap(lineY(col.x));
    // Bend where the line leaves the previous column (or the gap's start): up to there the
    // line was checked.
    const prev = columns[c - 1];
    const bx = Math.max(cx, prev.x + half);
    pushPoint(points, bx, lineY(bx));
    pushPoint(points, x0, ys);
    pushPoint(points, x1, ys);
    cx = x1;
    cy = ys;
  }
}
