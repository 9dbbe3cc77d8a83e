// Tests of static/js/sugiyama.js against brute force: node --test tests/js/sugiyama.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";

import { coordSimplex, decross, networkSimplex, rankLongestPath, rankSimplex, sugiLayers } from "../../static/js/sugiyama.js";
import { mulberry32 } from "./prng.mjs";

/** A random DAG on n nodes (edges only from lower to higher index), connected. */
function randomDag(n, seed, extra = 1) {
  const r = mulberry32(seed);
  const seen = new Set();
  const pairs = [];
  const add = (a, b) => {
    if (a === b || seen.has(`${a},${b}`)) return;
    seen.add(`${a},${b}`);
    pairs.push([a, b]);
  };
  for (let v = 1; v < n; v++) add(Math.floor(r() * v), v);
  for (let k = 0; k < extra * n; k++) {
    const a = Math.floor(r() * n);
    const b = Math.floor(r() * n);
    if (a !== b) add(Math.min(a, b), Math.max(a, b));
  }
  return pairs;
}

const length = (pairs, rank) => pairs.reduce((s, [a, b]) => s + rank[b] - rank[a], 0);

/** The least total edge length over every layering with ranks in [0, n) (brute force). */
function bestLength(n, pairs) {
  const rank = new Array(n).fill(0);
  let best = Infinity;
  const walk = (v) => {
    if (v === n) {
      if (pairs.every(([a, b]) => rank[b] - rank[a] >= 1)) best = Math.min(best, length(pairs, rank));
      return;
    }
    for (let r = 0; r < n; r++) { rank[v] = r; walk(v + 1); }
  };
  walk(0);
  return best;
}

test("rankSimplex: least total wire length, as brute force finds it", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const n = 3 + (seed % 4);  // 3..6 nodes
    const pairs = randomDag(n, seed);
    const rank = rankSimplex(n, pairs);
    assert.ok(pairs.every(([a, b]) => rank[b] - rank[a] >= 1), `seed ${seed}: feasible`);
    assert.equal(length(pairs, rank), bestLength(n, pairs), `seed ${seed}: ${JSON.stringify(pairs)}`);
    assert.equal(Math.min(...rank), 0);
  }
});

test("rankLongestPath: feasible, the output last, inputs next to their first use", () => {
  // x, y -> a = x*y; z -> b = a + z; w -> f = b * w: every wire one layer long.
  const pairs = [[0, 2], [1, 2], [2, 4], [3, 4], [4, 6], [5, 6]];
  const rank = rankLongestPath(7, pairs);
  assert.deepEqual([...rank], [0, 0, 1, 1, 2, 2, 3]);
  for (let seed = 1; seed <= 30; seed++) {
    const n = 5 + seed;
    const p = randomDag(n, seed);
    const r = rankLongestPath(n, p);
    assert.ok(p.every(([a, b]) => r[b] - r[a] >= 1), `seed ${seed}`);
    assert.ok(length(p, r) >= length(p, rankSimplex(n, p)));
  }
});

test("disconnected pieces each start at layer 0", () => {
  const rank = rankSimplex(5, [[0, 1], [1, 2], [3, 4]]);
  assert.deepEqual([...rank], [0, 1, 2, 0, 1]);
  assert.deepEqual([...rankLongestPath(5, [[0, 1], [1, 2], [3, 4]])], [0, 1, 2, 0, 1]);
});

test("networkSimplex honours minimum lengths and weights (a small LP solved by hand)", () => {
  // minimise 3·(r1 − r0) + 1·(r2 − r1) + 1·(r2 − r0) with r1 − r0 ≥ 2, r2 − r1 ≥ −1,
  // r2 − r0 ≥ 0: r1 − r0 = 2 (its least), then r2 as low as allowed: r2 = max(r0, r1 − 1) = r0 + 1.
  const x = networkSimplex(3, [
    { tail: 0, head: 1, minlen: 2, weight: 3 },
    { tail: 1, head: 2, minlen: -1, weight: 1 },
    { tail: 0, head: 2, minlen: 0, weight: 1 },
  ]);
  assert.deepEqual([...x], [0, 2, 1]);
});

/** Σ weight·|x_u − x_v| of a layered drawing, weights as coordSimplex documents them. */
function wireCost(layers) {
  let cost = 0;
  for (const layer of layers) {
    for (const v of layer) {
      for (const w of v.children) {
        const weight = v.role === "link" && w.role === "link" ? 8 : v.role === "link" || w.role === "link" ? 2 : 1;
        cost += weight * Math.abs(v.x - w.x);
      }
    }
  }
  return cost;
}

test("coordSimplex: the straightest wires under the separations, as brute force finds them", () => {
  let checked = 0;
  for (let seed = 1; seed <= 25; seed++) {
    const n = 4 + (seed % 3);  // 4..6 nodes
    const pairs = randomDag(n, seed, 0.5);
    const rank = rankSimplex(n, pairs);
    const { layers } = sugiLayers(n, rank, [...Array(n).keys()], pairs.map(([source, target]) => ({ source, target })));
    const all = layers.flat();
    if (all.length > 7) continue;  // keep the brute force small
    const r = mulberry32(seed);
    const size = new Map(all.map((v) => [v, v.role === "node" ? 1 + Math.floor(r() * 3) : 0]));
    const sep = (a, b) => ((a ? size.get(a) : 0) + (b ? size.get(b) : 0)) / 2 + (a && b ? 1 : 0);
    coordSimplex(layers, sep);
    for (const layer of layers) {
      for (let j = 1; j < layer.length; j++) {
        assert.ok(layer[j].x - layer[j - 1].x >= Math.ceil(sep(layer[j - 1], layer[j])) - 1e-9, `seed ${seed}: separated`);
      }
    }
    const got = wireCost(layers);
    // Brute force: integer positions 0..span for every node, each layer in its order.
    const span = 10;
    let best = Infinity;
    const pos = new Map();
    const walk = (k) => {
      if (k === all.length) {
        const ok = layers.every((layer) => layer.every((v, j) => j === 0
          || pos.get(v) - pos.get(layer[j - 1]) >= Math.ceil(sep(layer[j - 1], v))));
        if (!ok) return;
        let cost = 0;
        for (const v of all) {
          for (const w of v.children) {
            const weight = v.role === "link" && w.role === "link" ? 8 : v.role === "link" || w.role === "link" ? 2 : 1;
            cost += weight * Math.abs(pos.get(v) - pos.get(w));
          }
        }
        best = Math.min(best, cost);
        return;
      }
      for (let x = 0; x <= span; x++) { pos.set(all[k], x); walk(k + 1); }
    };
    walk(0);
    assert.equal(got, best, `seed ${seed}`);
    checked++;
  }
  assert.ok(checked >= 8, `${checked} cases small enough`);
});

/** Crossings of a layered drawing, counted pair by pair (the definition). */
function crossingsOf(layers) {
  let c = 0;
  for (let i = 0; i + 1 < layers.length; i++) {
    const pos = new Map(layers[i + 1].map((v, j) => [v, j]));
    const segs = [];
    layers[i].forEach((v, j) => { for (const w of v.children) segs.push([j, pos.get(w)]); });
    for (let a = 0; a < segs.length; a++) {
      for (let b = a + 1; b < segs.length; b++) {
        if ((segs[a][0] - segs[b][0]) * (segs[a][1] - segs[b][1]) < 0) c++;
      }
    }
  }
  return c;
}

test("decross: a drawable tree ends with no crossings; never more crossings than it started with", () => {
  // A binary tree whose leaves are listed crosswise: every order given crosses.
  const pairs = [[3, 1], [6, 1], [4, 2], [5, 2], [1, 0], [2, 0]].map(([a, b]) => [b, a]);
  const rank = [0, 1, 1, 2, 2, 2, 2];
  const { layers } = sugiLayers(7, rank, [...Array(7).keys()], pairs.map(([source, target]) => ({ source, target })));
  assert.ok(crossingsOf(layers) > 0);
  decross(layers, { passes: 4, greedy: true });
  assert.equal(crossingsOf(layers), 0);
  for (let seed = 1; seed <= 30; seed++) {
    const n = 8 + seed;
    const p = randomDag(n, seed);
    const { layers: L } = sugiLayers(n, rankSimplex(n, p), [...Array(n).keys()], p.map(([source, target]) => ({ source, target })));
    const before = crossingsOf(L);
    const count = L.flat().length;
    decross(L, { passes: seed % 2 ? 1 : 4, greedy: seed % 2 === 0 });
    assert.ok(crossingsOf(L) <= before, `seed ${seed}`);
    assert.equal(L.flat().length, count);
    L.forEach((layer, i) => layer.forEach((v) => assert.equal(v.layer, i)));
  }
});
