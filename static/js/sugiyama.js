// The layered ("Sugiyama") core of layout.js: ranks, dummy nodes on long edges, crossing
// reduction, and cross-axis coordinates. Pure (no DOM), plain arrays.
//
// Why our own: d3-dag's sugiyama solved its ranks and coordinates with a general LP solver
// and walked its graph objects many times over; on a 30-node graph that cost ~30 ms, at 300
// nodes ~200 ms, slower than graphviz's `dot` on the same graph. Ranks and coordinates here
// are the same optimisation problems (least total edge length; straightest wires under the
// separation constraints: Gansner et al., "A technique for drawing directed graphs", 1993),
// solved the way dot solves them, with a network simplex on the graph itself.
//
//   networkSimplex(n, edges, init?) -> Float64Array of ranks (min 0): minimises
//     Σ weight·(rank[head] − rank[tail]) subject to rank[head] − rank[tail] ≥ minlen.
//     edges: [{tail, head, minlen, weight}]; init: feasible ranks to start from.
//   rankSimplex(n, pairs), rankLongestPath(n, pairs) -> Int32Array of layers (min 0);
//     pairs: [[tail, head], ...], a DAG.
//   sugiLayers(n, layerOf, ids, links) -> {layers, nodes, dummies}: one sugi node per node
//     and one dummy per layer a link crosses; sugi nodes are {role: "node" | "link", id |
//     link, layer, parents, children, x}; each link gets its `chain` of sugi nodes.
//   decross(layers, {passes, greedy}) reorders the layers in place (fewer crossings).
//   coordSimplex(layers, sep), coordAligned(layers, sep) -> width: set every sugi node's x
//     (a centre, from 0); the first the straightest wires, the second in linear time.

/** Ranks minimising Σ weight·length with every edge at least its minlen long. */
export function networkSimplex(n, edges, init = null) {
  const rank = new Float64Array(n);
  if (init) rank.set(init);
  else longestPathInto(n, edges, rank);
  const m = edges.length;
  if (n <= 1 || !m) return normalise(rank);
  // Flat arrays: this runs for every drawing, and its loops are the layout's hot spot.
  const tail = Int32Array.from(edges, (e) => e.tail);
  const head = Int32Array.from(edges, (e) => e.head);
  const minlen = Float64Array.from(edges, (e) => e.minlen);
  const weight = Float64Array.from(edges, (e) => e.weight);
  const slack = (i) => rank[head[i]] - rank[tail[i]] - minlen[i];
  // Incidence lists in one array: the edges of v are inc[start[v] .. start[v + 1]).
  const start = new Int32Array(n + 1);
  for (let i = 0; i < m; i++) { start[tail[i] + 1]++; start[head[i] + 1]++; }
  for (let v = 0; v < n; v++) start[v + 1] += start[v];
  const inc = new Int32Array(2 * m);
  const fill = start.slice(0, n);
  for (let i = 0; i < m; i++) { inc[fill[tail[i]]++] = i; inc[fill[head[i]]++] = i; }

  // 1. A feasible spanning tree of tight edges: grow one from node 0 over tight edges; when
  // it stops short, shift the whole tree by the least slack of an edge leaving it.
  const inTree = new Uint8Array(n);
  const treeEdge = new Uint8Array(m);
  const tree = new Int32Array(n);
  let size = 1;
  inTree[0] = 1;
  let grown = 0;  // tree[0 .. grown) have had their edges looked at since the last shift
  const grow = () => {
    for (let k = grown; k < size; k++) {
      const v = tree[k];
      for (let j = start[v]; j < start[v + 1]; j++) {
        const i = inc[j];
        const w = tail[i] === v ? head[i] : tail[i];
        if (!inTree[w] && Math.abs(slack(i)) < EPS) {
          inTree[w] = 1;
          treeEdge[i] = 1;
          tree[size++] = w;
        }
      }
    }
    grown = size;
  };
  grow();
  while (size < n) {
    let best = -1;
    let bestSlack = Infinity;
    for (let i = 0; i < m; i++) {
      if (inTree[tail[i]] !== inTree[head[i]]) {
        const s = slack(i);
        if (s < bestSlack) { best = i; bestSlack = s; }
      }
    }
    if (best < 0) throw new Error("networkSimplex: the graph is not connected");
    const delta = inTree[tail[best]] ? bestSlack : -bestSlack;
    for (let k = 0; k < size; k++) rank[tree[k]] += delta;
    // The shift changed the slack of every edge leaving the tree: look at them all again.
    grown = 0;
    grow();
  }

  // 2. Pivot: a tree edge with a negative cut value leaves, the non-tree edge of least
  // slack across the same cut enters, until every cut value is >= 0 (optimal).
  const parent = new Int32Array(n);
  const parentEdge = new Int32Array(n);
  const low = new Int32Array(n);
  const lim = new Int32Array(n);
  const cut = new Float64Array(m);
  const next = new Int32Array(n);
  const order = new Int32Array(n);  // postorder
  const stack = new Int32Array(n);
  const index = () => {
    // Iterative DFS over tree edges: lim = postorder number, low = least lim below.
    next.fill(0);
    parent[0] = -1;
    parentEdge[0] = -1;
    let top = 0;
    stack[0] = 0;
    let counter = 1;
    while (top >= 0) {
      const v = stack[top];
      if (next[v] === 0) low[v] = counter;
      let pushed = false;
      while (start[v] + next[v] < start[v + 1]) {
        const i = inc[start[v] + next[v]++];
        if (!treeEdge[i] || i === parentEdge[v]) continue;
        const w = tail[i] === v ? head[i] : tail[i];
        parent[w] = v;
        parentEdge[w] = i;
        stack[++top] = w;
        pushed = true;
        break;
      }
      if (!pushed) {
        lim[v] = counter;
        order[counter - 1] = v;
        counter++;
        top--;
      }
    }
    // Cut values bottom-up (children before parents), as in dagre's calcCutValue.
    for (let k = 0; k < n; k++) {
      const child = order[k];
      if (child === 0) continue;
      const pe = parentEdge[child];
      const childIsTail = tail[pe] === child;
      let value = weight[pe];
      for (let j = start[child]; j < start[child + 1]; j++) {
        const i = inc[j];
        if (i === pe) continue;
        const w = tail[i] === child ? head[i] : tail[i];
        const pointsToHead = (tail[i] === child) === childIsTail;
        value += pointsToHead ? weight[i] : -weight[i];
        if (treeEdge[i] && parent[w] === child && parentEdge[w] === i) value += pointsToHead ? -cut[i] : cut[i];
      }
      cut[pe] = value;
    }
  };
  const maxPivots = 10 * n + 1000;  // degenerate pivots could cycle: stop, feasible anyway
  index();
  for (let pivots = 0; pivots < maxPivots; pivots++) {
    let leave = -1;
    for (let i = 0; i < m; i++) if (treeEdge[i] && cut[i] < -EPS) { leave = i; break; }
    if (leave < 0) break;
    // The cut splits the tree at the leaving edge: the subtree under it (rooted at the end
    // with the smaller postorder number) and the rest. The entering edge is the non-tree
    // edge of least slack going from the leaving edge's head side to its tail side.
    const sub = lim[tail[leave]] > lim[head[leave]] ? head[leave] : tail[leave];
    const tailInSub = sub === tail[leave];
    const lo = low[sub];
    const hi = lim[sub];
    let enter = -1;
    let least = Infinity;
    for (let i = 0; i < m; i++) {
      if (treeEdge[i]) continue;
      const t = lim[tail[i]];
      const h = lim[head[i]];
      if ((lo <= t && t <= hi) !== tailInSub && (lo <= h && h <= hi) === tailInSub) {
        const s = slack(i);
        if (s < least) { least = s; enter = i; }
      }
    }
    if (enter < 0) break;
    treeEdge[leave] = 0;
    treeEdge[enter] = 1;
    index();
    // New ranks: from node 0 down the tree (reverse postorder), every tree edge tight.
    for (let k = n - 2; k >= 0; k--) {
      const v = order[k];
      const pe = parentEdge[v];
      rank[v] = tail[pe] === v ? rank[parent[v]] - minlen[pe] : rank[parent[v]] + minlen[pe];
    }
  }
  return normalise(rank);
}

const EPS = 1e-9;

function normalise(rank) {
  let min = Infinity;
  for (const r of rank) min = Math.min(min, r);
  if (Number.isFinite(min)) for (let v = 0; v < rank.length; v++) rank[v] -= min;
  return rank;
}

/** Each node as early as its longest incoming path allows (Kahn's order). */
function longestPathInto(n, edges, rank) {
  const out = Array.from({ length: n }, () => []);
  const indeg = new Int32Array(n);
  for (const e of edges) { out[e.tail].push(e); indeg[e.head]++; }
  const queue = [];
  for (let v = 0; v < n; v++) if (indeg[v] === 0) queue.push(v);
  for (let k = 0; k < queue.length; k++) {
    const v = queue[k];
    for (const e of out[v]) {
      rank[e.head] = Math.max(rank[e.head], rank[v] + e.minlen);
      if (--indeg[e.head] === 0) queue.push(e.head);
    }
  }
  if (queue.length !== n) throw new Error("the graph has a cycle");
}

/** Layers of least total edge length (network simplex), for graphs of up to ~1,000 nodes. */
export function rankSimplex(n, pairs) {
  const edges = pairs.map(([tail, head]) => ({ tail, head, minlen: 1, weight: 1 }));
  const pieces = components(n, pairs);
  const { reps } = pieces;
  // Pieces joined by weightless edges: they change nothing but let one tree span them all.
  for (let c = 1; c < reps.length; c++) edges.push({ tail: reps[0], head: reps[c], minlen: -n, weight: 0 });
  const start = rankLongestPath(n, pairs, pieces);
  return startEachPiece(pieces, Int32Array.from(networkSimplex(n, edges, start), Math.round));
}

/**
 * Layers in linear time: every node as late as its longest path to a sink allows (an
 * expression's inputs next to their use, the output last), then nodes with more inputs than
 * consumers moved as early as their inputs allow (shorter wires); two sweeps.
 */
export function rankLongestPath(n, pairs, pieces = components(n, pairs)) {
  const ins = Array.from({ length: n }, () => []);
  const outs = Array.from({ length: n }, () => []);
  for (const [t, h] of pairs) { outs[t].push(h); ins[h].push(t); }
  // Longest path to a sink, by Kahn's order from the sinks.
  const depth = new Int32Array(n);
  const left = Int32Array.from(outs, (o) => o.length);
  const queue = [];
  for (let v = 0; v < n; v++) if (left[v] === 0) queue.push(v);
  for (let k = 0; k < queue.length; k++) {
    const v = queue[k];
    for (const t of ins[v]) {
      depth[t] = Math.max(depth[t], depth[v] + 1);
      if (--left[t] === 0) queue.push(t);
    }
  }
  if (queue.length !== n) throw new Error("the graph has a cycle");
  let top = 0;
  for (const d of depth) top = Math.max(top, d);
  const rank = Int32Array.from(depth, (d) => top - d);
  const byRank = [...rank.keys()].sort((a, b) => rank[a] - rank[b] || a - b);
  for (let sweep = 0; sweep < 2; sweep++) {
    for (const v of byRank) {
      if (ins[v].length <= outs[v].length || !outs[v].length) continue;
      let lo = 0;
      for (const t of ins[v]) lo = Math.max(lo, rank[t] + 1);
      rank[v] = lo;
    }
  }
  return startEachPiece(pieces, rank);
}

/** Every connected piece moved to start at layer 0 (a node no wire joins: left, not beside
 *  the output). */
function startEachPiece({ rep }, rank) {
  const min = new Map();
  for (let v = 0; v < rank.length; v++) min.set(rep[v], Math.min(min.get(rep[v]) ?? Infinity, rank[v]));
  for (let v = 0; v < rank.length; v++) rank[v] -= min.get(rep[v]);
  return rank;
}

/** Connected pieces (directions ignored): rep[v], the piece's first node; reps in order. */
function components(n, pairs) {
  const up = Int32Array.from({ length: n }, (_, i) => i);
  const find = (v) => { while (up[v] !== v) { up[v] = up[up[v]]; v = up[v]; } return v; };
  for (const [a, b] of pairs) {
    const [x, y] = [find(a), find(b)];
    if (x !== y) up[Math.max(x, y)] = Math.min(x, y);
  }
  const rep = Int32Array.from({ length: n }, (_, v) => find(v));
  const reps = [];
  for (let v = 0; v < n; v++) if (rep[v] === v) reps.push(v);
  return { rep, reps };
}

/**
 * The layered graph: every node in its layer, a dummy node in every layer a link crosses.
 * links: [{source, target}] (node indexes, layerOf[source] < layerOf[target]); each link
 * gets `chain`: its sugi nodes from source to target. Layers start in input order.
 */
export function sugiLayers(n, layerOf, ids, links) {
  let height = 0;
  for (let v = 0; v < n; v++) height = Math.max(height, layerOf[v] + 1);
  const layers = Array.from({ length: height }, () => []);
  const nodes = [];
  for (let v = 0; v < n; v++) {
    const s = { role: "node", id: ids[v], layer: layerOf[v], parents: [], children: [], x: 0 };
    nodes.push(s);
    layers[s.layer].push(s);
  }
  let dummies = 0;
  for (const link of links) {
    let prev = nodes[link.source];
    const chain = [prev];
    for (let l = prev.layer + 1; l < layerOf[link.target]; l++) {
      const d = { role: "link", link, layer: l, parents: [prev], children: [], x: 0 };
      prev.children.push(d);
      layers[l].push(d);
      chain.push(d);
      prev = d;
      dummies++;
    }
    const t = nodes[link.target];
    prev.children.push(t);
    t.parents.push(prev);
    chain.push(t);
    link.chain = chain;
  }
  return { layers, nodes, dummies };
}

/**
 * Fewer crossings: from two starting orders (depth first from the sources, and from the
 * sinks), `passes` sweeps down and up, each layer sorted by the median position of its
 * neighbours in the layer before; with `greedy`, neighbours in a layer are then swapped
 * while that removes crossings. Keeps the order with the fewest crossings seen.
 */
export function decross(layers, { passes = 4, greedy = false } = {}) {
  if (layers.length < 2) return;
  const pos = new Map();
  const index = () => { for (const layer of layers) layer.forEach((v, i) => pos.set(v, i)); };
  const crossings = () => {
    let total = 0;
    for (let i = 0; i + 1 < layers.length; i++) total += crossingsBetween(layers[i], layers[i + 1], pos);
    return total;
  };
  index();
  let best = layers.map((l) => l.slice());
  let fewest = crossings();
  for (const init of [dfsOrder(layers, "children"), dfsOrder(layers, "parents")]) {
    for (let i = 0; i < layers.length; i++) layers[i] = init[i];
    index();
    for (let p = 0; p < passes && fewest > 0; p++) {
      for (let i = 1; i < layers.length; i++) sortLayer(layers[i], "parents", pos, greedy);
      for (let i = layers.length - 2; i >= 0; i--) sortLayer(layers[i], "children", pos, greedy);
      const c = crossings();
      if (c < fewest) {
        fewest = c;
        best = layers.map((l) => l.slice());
      }
    }
  }
  for (let i = 0; i < layers.length; i++) layers[i] = best[i];
}

/** Layer orders of a depth-first walk (sources, or sinks, in their order; neighbours in theirs). */
function dfsOrder(layers, along) {
  const starts = [];
  const back = along === "children" ? "parents" : "children";
  const all = along === "children" ? layers : [...layers].reverse();
  for (const layer of all) for (const v of layer) if (!v[back].length) starts.push(v);
  const out = layers.map(() => []);
  const seen = new Set();
  for (const s of starts) {
    const stack = [s];
    while (stack.length) {
      const v = stack.pop();
      if (seen.has(v)) continue;
      seen.add(v);
      out[v.layer].push(v);
      const next = v[along];
      for (let k = next.length - 1; k >= 0; k--) if (!seen.has(next[k])) stack.push(next[k]);
    }
  }
  for (const layer of layers) for (const v of layer) if (!seen.has(v)) out[v.layer].push(v);
  return out;
}

/** Sorts a layer by the median position of each node's neighbours (`side`) in place;
 *  nodes without neighbours keep their places. */
function sortLayer(layer, side, pos, greedy) {
  const keyed = [];
  const free = [];
  layer.forEach((v, i) => {
    const ps = v[side].map((u) => pos.get(u)).sort((a, b) => a - b);
    if (!ps.length) { free.push(i); return; }
    const m = ps.length >> 1;
    keyed.push([ps.length % 2 ? ps[m] : (ps[m - 1] + ps[m]) / 2, i, v]);
  });
  keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = new Array(layer.length);
  for (const i of free) out[i] = layer[i];
  let k = 0;
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = keyed[k++][2];
  if (greedy) swapAdjacent(out, side, pos);
  out.forEach((v, i) => { layer[i] = v; pos.set(v, i); });
}

/** Swaps neighbours while that removes crossings with the neighbouring layer. */
function swapAdjacent(layer, side, pos) {
  const pair = (a, b) => {  // crossings between a's and b's edges with a left of b
    let c = 0;
    for (const u of a[side]) for (const w of b[side]) if (pos.get(u) > pos.get(w)) c++;
    return c;
  };
  for (let round = 0, changed = true; changed && round < 8; round++) {
    changed = false;
    for (let j = 0; j + 1 < layer.length; j++) {
      if (pair(layer[j + 1], layer[j]) < pair(layer[j], layer[j + 1])) {
        [layer[j], layer[j + 1]] = [layer[j + 1], layer[j]];
        changed = true;
      }
    }
  }
}

/** Crossings between the edges of two neighbouring layers (accumulator tree, O(E log V)). */
function crossingsBetween(upper, lower, pos) {
  const targets = [];
  for (const u of upper) {
    const ps = u.children.map((w) => pos.get(w)).sort((a, b) => a - b);
    for (const p of ps) targets.push(p);
  }
  let size = 1;
  while (size < lower.length) size *= 2;
  const tree = new Int32Array(2 * size);
  let count = 0;
  for (const t of targets) {
    let i = t + size;
    tree[i]++;
    while (i > 1) {
      if (i % 2 === 0) count += tree[i + 1];
      i >>= 1;
      tree[i]++;
    }
  }
  return count;
}

/**
 * Straightest wires: minimises Σ weight·|x_u − x_v| over the segments of the layered graph
 * (weight 1 between two nodes, 2 node–dummy, 8 dummy–dummy, so long wires run straight),
 * keeping every layer's order and separations (sep(left, right); sep(undefined, v) is v's
 * half extent). Dot's auxiliary graph: one extra node per segment, below both its ends.
 * Returns the width; x is every sugi node's centre.
 */
export function coordSimplex(layers, sep) {
  const all = [];
  const idx = new Map();
  for (const layer of layers) for (const v of layer) { idx.set(v, all.length); all.push(v); }
  const edges = [];
  const init = [];
  // Start from coordAligned's coordinates (near the optimum: fewer pivots), in whole
  // pixels, pushed right where rounding brought two nodes too close (feasible).
  const whole = (a, b) => Math.ceil(sep(a, b));
  coordAligned(layers, whole);
  for (const layer of layers) {
    let x = -Infinity;
    layer.forEach((v, j) => {
      x = Math.max(Math.round(v.x), j ? x + whole(layer[j - 1], v) : whole(undefined, v));
      init[idx.get(v)] = x;
      if (j) edges.push({ tail: idx.get(layer[j - 1]), head: idx.get(v), minlen: whole(layer[j - 1], v), weight: 0 });
    });
  }
  let n = all.length;
  for (const v of all) {
    for (const w of v.children) {
      const weight = v.role === "link" && w.role === "link" ? 8 : v.role === "link" || w.role === "link" ? 2 : 1;
      const a = idx.get(v);
      const b = idx.get(w);
      init[n] = Math.min(init[a], init[b]);
      edges.push({ tail: n, head: a, minlen: 0, weight }, { tail: n, head: b, minlen: 0, weight });
      n++;
    }
  }
  // Joined parts (a graph in pieces; layers without wires between them).
  const pairs = edges.map((e) => [e.tail, e.head]);
  const { reps } = components(n, pairs);
  for (let c = 1; c < reps.length; c++) edges.push({ tail: reps[0], head: reps[c], minlen: -1e7, weight: 0 });
  const x = networkSimplex(n, edges, Float64Array.from(init));
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of all) {
    const i = idx.get(v);
    lo = Math.min(lo, x[i] - sep(undefined, v));
    hi = Math.max(hi, x[i] + sep(v, undefined));
  }
  for (const v of all) v.x = x[idx.get(v)] - lo;
  return hi - lo;
}

/**
 * Cross-axis coordinates in linear time, for large graphs (where coordSimplex's pivots
 * would take too long) and as coordSimplex's starting point. Returns the width.
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
export function coordAligned(layers, sep, { sweeps = 4, minBlock = 8 } = {}) {
  // Every sugi node numbered (v.i) and its place in its layer (pos[v.i]).
  let count = 0;
  for (const layer of layers) for (const v of layer) v.i = count++;
  const pos = new Int32Array(count);
  for (const layer of layers) layer.forEach((v, j) => { pos[v.i] = j; });
  const isDummy = (v) => v.role === "link";

  // Type-1 conflicts: a segment with a real end crossing an inner (dummy-dummy) segment;
  // such a (child, parent) pair is never aligned.
  const marked = new Set();  // child.i * count + parent.i
  for (let i = 0; i + 1 < layers.length; i++) {
    const upper = layers[i];
    const lower = layers[i + 1];
    let k0 = 0;
    let l = 0;
    for (let l1 = 0; l1 < lower.length; l1++) {
      const v = lower[l1];
      let inner;
      if (isDummy(v)) for (const u of v.parents) if (isDummy(u)) inner = pos[u.i];
      if (l1 === lower.length - 1 || inner !== undefined) {
        const k1 = inner ?? upper.length - 1;
        for (; l <= l1; l++) {
          const w = lower[l];
          for (const u of w.parents) {
            const p = pos[u.i];
            if ((p < k0 || p > k1) && !(isDummy(u) && isDummy(w))) marked.add(w.i * count + u.i);
          }
        }
        k0 = k1;
      }
    }
  }

  // 1. Vertical alignment into blocks.
  const root = new Int32Array(count);
  const weight = new Float64Array(count);  // by root: real nodes in the block (+ a little per dummy)
  const alignedDown = new Uint8Array(count);
  for (const layer of layers) {
    let r = -1;
    for (const v of layer) {
      let best;
      let bestWeight = -1;
      for (const u of v.parents) {
        const p = pos[u.i];
        // Sources (variables, constants) stay single: aligned into their consumers,
        // repeated side inputs would stack up into a staircase.
        if (p <= r || alignedDown[u.i] || u.parents.length === 0) continue;
        if (marked.has(v.i * count + u.i)) continue;
        const wgt = weight[root[u.i]];
        if (wgt > bestWeight || (wgt === bestWeight && p < pos[best.i])) {
          best = u;
          bestWeight = wgt;
        }
      }
      const add = isDummy(v) ? 1e-3 : 1;
      if (best === undefined) {
        root[v.i] = v.i;
        weight[v.i] = add;
      } else {
        alignedDown[best.i] = 1;
        const rt = root[best.i];
        root[v.i] = rt;
        weight[rt] += add;
        r = pos[best.i];
      }
    }
  }

  // Blocks, numbered in order of their roots (top-down, left to right). Blocks of fewer
  // than minBlock real nodes are split again: short side chains stacked one below the
  // other make staircases (a 2,115-node program: 7,456 px tall with every block kept,
  // 1,612 px with minBlock 8, 1,018 px with none but then no chain is straight).
  const blockIndex = new Int32Array(count).fill(-1);  // by root
  const blockOf = new Int32Array(count);
  const blockNodes = [];
  for (const layer of layers) {
    for (const v of layer) {
      const rt = weight[root[v.i]] >= minBlock ? root[v.i] : v.i;
      if (blockIndex[rt] < 0) {
        blockIndex[rt] = blockNodes.length;
        blockNodes.push([]);
      }
      blockOf[v.i] = blockIndex[rt];
      blockNodes[blockIndex[rt]].push(v);
    }
  }
  const nb = blockNodes.length;

  // "Is left of" constraints between blocks: b -> c with a minimal distance.
  const lefts = blockNodes.map(() => []);   // [block, distance, ...] flat pairs
  const rights = blockNodes.map(() => []);
  const leftHalf = new Float64Array(nb);
  const rightHalf = new Float64Array(nb);
  for (const layer of layers) {
    for (let j = 0; j < layer.length; j++) {
      const v = layer[j];
      const b = blockOf[v.i];
      leftHalf[b] = Math.max(leftHalf[b], sep(undefined, v));
      rightHalf[b] = Math.max(rightHalf[b], sep(v, undefined));
      if (j > 0) {
        const w = layer[j - 1];
        const a = blockOf[w.i];
        const d = sep(w, v);
        lefts[b].push(a, d);
        rights[a].push(b, d);
      }
    }
  }

  // 2. Left and right packing (longest paths in topological order), averaged.
  const topo = topologicalBlocks(nb, lefts, rights);
  const xl = new Float64Array(nb);
  for (const b of topo) {
    let x = leftHalf[b];
    const L = lefts[b];
    for (let k = 0; k < L.length; k += 2) x = Math.max(x, xl[L[k]] + L[k + 1]);
    xl[b] = x;
  }
  const dr = new Float64Array(nb);
  for (let t = nb - 1; t >= 0; t--) {
    const b = topo[t];
    let x = rightHalf[b];
    const R = rights[b];
    for (let k = 0; k < R.length; k += 2) x = Math.max(x, dr[R[k]] + R[k + 1]);
    dr[b] = x;
  }
  let width = 0;
  for (let b = 0; b < nb; b++) width = Math.max(width, xl[b] + rightHalf[b], dr[b] + leftHalf[b]);
  const x = new Float64Array(nb);
  for (let b = 0; b < nb; b++) x[b] = (xl[b] + (width - dr[b])) / 2;

  // 3. Sweeps towards the median of the neighbours, staying feasible.
  const neighbours = blockNodes.map((vs, b) => {
    const out = [];
    for (const v of vs) {
      for (const u of v.parents) if (blockOf[u.i] !== b) out.push(blockOf[u.i]);
      for (const u of v.children) if (blockOf[u.i] !== b) out.push(blockOf[u.i]);
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
      const L = lefts[b];
      for (let k = 0; k < L.length; k += 2) lo = Math.max(lo, x[L[k]] + L[k + 1]);
      let hi = width - rightHalf[b];
      const R = rights[b];
      for (let k = 0; k < R.length; k += 2) hi = Math.min(hi, x[R[k]] - R[k + 1]);
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
  for (const layer of layers) for (const v of layer) v.x = x[blockOf[v.i]] - min;
  return max - min;
}

/** Blocks in an order where every block comes after the blocks left of it (Kahn). */
function topologicalBlocks(nb, lefts, rights) {
  const indeg = new Int32Array(nb);
  for (let b = 0; b < nb; b++) indeg[b] = lefts[b].length / 2;
  const order = [];
  for (let b = 0; b < nb; b++) if (indeg[b] === 0) order.push(b);
  for (let i = 0; i < order.length; i++) {
    const R = rights[order[i]];
    for (let k = 0; k < R.length; k += 2) if (--indeg[R[k]] === 0) order.push(R[k]);
  }
  if (order.length !== nb) throw new Error("layout: crossing block alignment");
  return order;
}
