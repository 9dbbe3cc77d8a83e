// Tests of static/js/layout.js: node --test tests/js/layout.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { layoutBounds, layoutGraph, LAYOUT_DEFAULTS } from "../../static/js/layout.js";
import { layoutOptions } from "../../static/js/node-sizes.js";
import { mulberry32 } from "./prng.mjs";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));

// ---------------------------------------------------------------- graph generators

const rng = mulberry32;

/** Builds a graph in the API's shape (nodes in topological order, edges with indexes). */
function builder() {
  const nodes = [];
  const edges = [];
  const add = (kind, op, inputs = [], name = null) => {
    const id = `n${nodes.length}`;
    nodes.push({ id, kind, op, label: op ?? name ?? "1", name, inputs, shape: [] });
    inputs.forEach((source, index) => edges.push({ id: edges.length, source, target: id, index }));
    return id;
  };
  return { add, graph: () => ({ nodes, edges }) };
}

/**
 * A staged scalar program with forks: a chain of ops, each combining the previous value with
 * a variable (reused: forks), a fresh constant, a recent value, or itself (x*x).
 */
function staged(target, seed = 1, nvars = 8) {
  const r = rng(seed);
  const b = builder();
  const vars = [];
  for (let i = 0; i < nvars; i++) vars.push(b.add("variable", null, [], `v${i}`));
  const recent = [...vars];
  let last = vars[0];
  let count = nvars;
  while (count < target) {
    if (r() < 0.25) {
      last = b.add("op", ["sin", "exp", "neg", "log"][Math.floor(r() * 4)], [last]);
    } else {
      const w = r();
      let other;
      if (w < 0.1) other = last;
      else if (w < 0.45) other = vars[Math.floor(r() * vars.length)];
      else if (w < 0.65) { other = b.add("constant", null, []); count++; }
      else other = recent[Math.max(0, recent.length - 1 - Math.floor(r() * 12))];
      const op = ["add", "mul", "sub", "div", "max"][Math.floor(r() * 5)];
      last = b.add("op", op, r() < 0.5 ? [last, other] : [other, last]);
    }
    count++;
    recent.push(last);
  }
  return b.graph();
}

/** w0*x0 + w1*x1 + ... (left-associative, as the engine parses it): 4 * terms - 1 nodes. */
function sumOfProducts(terms) {
  const b = builder();
  let acc = null;
  for (let i = 0; i < terms; i++) {
    const m = b.add("op", "mul", [b.add("variable", null, [], `w${i}`),
      b.add("variable", null, [], `x${i}`)]);
    acc = acc === null ? m : b.add("op", "add", [acc, m]);
  }
  return b.graph();
}

// ---------------------------------------------------------------- checks

const EPS = 1e-6;

/** Does the segment p-q pass through the open rectangle (Liang-Barsky)? */
function segmentHitsRect([x0, y0], [x1, y1], left, top, right, bottom) {
  let t0 = 0;
  let t1 = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const clip = (p, q) => {
    if (Math.abs(p) < 1e-12) return q > 0;
    const t = q / p;
    if (p < 0) {
      if (t > t1) return false;
      if (t > t0) t0 = t;
    } else {
      if (t < t0) return false;
      if (t < t1) t1 = t;
    }
    return true;
  };
  return clip(-dx, x0 - (left + EPS)) && clip(dx, (right - EPS) - x0)
    && clip(-dy, y0 - (top + EPS)) && clip(dy, (bottom - EPS) - y0) && t0 < t1;
}

/** Everything the layout promises, checked on every node and edge. */
export function checkLayout(graph, L, { labelRoom = LAYOUT_DEFAULTS.labelRoom } = {}) {
  assert.deepEqual([...L.nodes.keys()], graph.nodes.map((n) => n.id), "node keys");
  assert.deepEqual([...L.edges.keys()], graph.edges.map((e) => e.id), "edge keys");
  assert.ok(Number.isFinite(L.width) && Number.isFinite(L.height));

  const byLayer = new Map();
  for (const [id, n] of L.nodes) {
    for (const k of ["x", "y", "width", "height"]) {
      assert.ok(Number.isFinite(n[k]), `node ${id}.${k} = ${n[k]}`);
    }
    assert.ok(n.x - n.width / 2 >= -EPS && n.x + n.width / 2 <= L.width + EPS, `node ${id} x`);
    assert.ok(n.y - n.height / 2 - labelRoom >= -EPS
      && n.y + n.height / 2 + labelRoom <= L.height + EPS, `node ${id} y (with labels)`);
    assert.ok(Number.isInteger(n.layer) && n.layer >= 0 && n.layer < L.layers);
    if (!byLayer.has(n.layer)) byLayer.set(n.layer, []);
    byLayer.get(n.layer).push([id, n]);
  }
  // Columns: x ranges in layer order, to find the nodes a segment could meet.
  const layerX = [...byLayer.keys()].sort((a, b) => a - b).map((k) => {
    const ns = byLayer.get(k);
    return [k, Math.min(...ns.map(([, n]) => n.x - n.width / 2)),
      Math.max(...ns.map(([, n]) => n.x + n.width / 2))];
  });
  for (let i = 1; i < layerX.length; i++) assert.ok(layerX[i][1] > layerX[i - 1][2], "columns");

  for (const e of graph.edges) {
    const le = L.edges.get(e.id);
    const src = L.nodes.get(e.source);
    const tgt = L.nodes.get(e.target);
    assert.equal(le.source, e.source);
    assert.equal(le.target, e.target);
    assert.equal(le.index, e.index);
    assert.ok(src.x < tgt.x, `edge ${e.id}: source left of target`);
    assert.ok(src.layer < tgt.layer, `edge ${e.id}: layers`);
    const pts = le.points;
    assert.ok(pts.length >= 2, `edge ${e.id}: points`);
    for (const p of pts) assert.ok(Number.isFinite(p[0]) && Number.isFinite(p[1]));
    // Starts at the centre of the source's right side.
    assert.ok(Math.abs(pts[0][0] - (src.x + src.width / 2)) < EPS, `edge ${e.id} start x`);
    assert.ok(Math.abs(pts[0][1] - src.y) < EPS, `edge ${e.id} start y`);
    // Ends on the target's left side.
    const [ex, ey] = pts[pts.length - 1];
    assert.ok(ex < tgt.x, `edge ${e.id} ends on the left`);
    if (tgt.shape === "circle") {
      assert.ok(Math.abs(Math.hypot(ex - tgt.x, ey - tgt.y) - tgt.width / 2) < 1e-6,
        `edge ${e.id} ends on the circle`);
    } else {
      assert.ok(Math.abs(ex - (tgt.x - tgt.width / 2)) < EPS, `edge ${e.id} end x`);
      assert.ok(Math.abs(ey - tgt.y) < tgt.height / 2, `edge ${e.id} end y`);
    }
    // Left to right, never back.
    for (let i = 1; i < pts.length; i++) {
      assert.ok(pts[i][0] >= pts[i - 1][0] - EPS, `edge ${e.id} goes back at point ${i}`);
    }
    // No segment enters another node's box or its label room.
    for (let i = 1; i < pts.length; i++) {
      const p = pts[i - 1];
      const q = pts[i];
      let c = 0;  // first column not left of the segment (binary search)
      for (let hi = layerX.length; c < hi;) {
        const mid = (c + hi) >> 1;
        if (layerX[mid][2] < p[0]) c = mid + 1;
        else hi = mid;
      }
      for (; c < layerX.length && layerX[c][1] <= q[0]; c++) {
        const k = layerX[c][0];
        for (const [id, n] of byLayer.get(k)) {
          if (id === e.source || id === e.target) continue;
          const half = n.height / 2 + labelRoom;
          assert.ok(!segmentHitsRect(p, q, n.x - n.width / 2, n.y - half,
            n.x + n.width / 2, n.y + half),
          `edge ${e.id} (${e.source}->${e.target}) segment ${i} crosses node ${id}`);
        }
      }
    }
  }
}

function timed(fn) {
  const t0 = performance.now();
  const value = fn();
  return [value, performance.now() - t0];
}

// ---------------------------------------------------------------- tests

test("tutorial-sized real graphs: all fixtures lay out", () => {
  for (const name of fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).sort()) {
    const g = fixture(name);
    if (!Array.isArray(g.nodes) || !Array.isArray(g.edges)) continue;
    const L = layoutGraph(g);
    checkLayout(g, L);
    // The output is the right-most node (engine graphs: it is the last node).
    const out = L.nodes.get(g.output ?? g.nodes[g.nodes.length - 1].id);
    for (const n of L.nodes.values()) assert.ok(n.x <= out.x + EPS, `${name}: output right-most`);
  }
});

test("left to right: inputs in column 0, the output in the last column", () => {
  const g = fixture("layout-square-fork.json");
  const L = layoutGraph(g);
  checkLayout(g, L);
  const out = L.nodes.get(g.output);
  assert.equal(out.layer, L.layers - 1);
  assert.ok(L.nodes.get("n0").layer === 0 || L.nodes.get("n1").layer === 0);
  assert.equal(L.mode, "quality");
  assert.equal(L.threaded, 0);
  for (const [id, n] of L.nodes) {
    const kind = g.nodes.find((m) => m.id === id).kind;
    assert.equal(n.shape, kind === "op" ? "circle" : "box");
  }
});

test("multi-edges (x*x) are both present and end at different heights", () => {
  const b = builder();
  const x = b.add("variable", null, [], "x");
  const sq = b.add("op", "mul", [x, x]);
  const y = b.add("variable", null, [], "y");
  b.add("op", "add", [sq, y]);
  const g = b.graph();
  const L = layoutGraph(g);
  checkLayout(g, L);
  const [e0, e1] = [L.edges.get(0), L.edges.get(1)];
  assert.equal(e0.source, x);
  assert.equal(e1.source, x);
  const end0 = e0.points[e0.points.length - 1];
  const end1 = e1.points[e1.points.length - 1];
  assert.notDeepEqual(end0, end1);
  assert.ok(end0[1] < end1[1], "index 0 enters above index 1");
  assert.deepEqual(e0.points[0], e1.points[0], "both leave the same point");

  // The real response: q*q and x*x.
  const real = fixture("layout-square-fork.json");
  const RL = layoutGraph(real);
  const pairs = new Map();
  for (const e of real.edges) {
    const key = `${e.source}>${e.target}`;
    pairs.set(key, [...(pairs.get(key) || []), e]);
  }
  const multi = [...pairs.values()].filter((es) => es.length > 1);
  assert.ok(multi.length >= 2, "the fixture has q*q and x*x");
  for (const [a, c] of multi) {
    const pa = RL.edges.get(a.id).points;
    const pc = RL.edges.get(c.id).points;
    assert.ok(pa[pa.length - 1][1] < pc[pc.length - 1][1]);
  }
});

test("two inputs of one op enter at different heights: commutative ops upper source upper", () => {
  const g = staged(120, 5);
  const L = layoutGraph(g);
  checkLayout(g, L);
  const ends = new Map();
  for (const e of g.edges) {
    const pts = L.edges.get(e.id).points;
    ends.set(`${e.target}/${e.index}`, pts[pts.length - 1][1]);
  }
  let [ordered, sorted] = [0, 0];
  for (const n of g.nodes) {
    if (n.inputs.length !== 2) continue;
    const [y0, y1] = [ends.get(`${n.id}/0`), ends.get(`${n.id}/1`)];
    assert.notEqual(y0, y1, n.id);
    if (LAYOUT_DEFAULTS.commutative.includes(n.op)) {
      sorted++;
      const [a0, a1] = n.inputs.map((id, index) => arrivalHeight(L, g, n.id, index));
      if (a0 !== a1) {
        assert.equal(y0 < y1, a0 < a1, `${n.id} (${n.op}): upper source, upper port `
          + `(arrive ${a0}, ${a1}; enter ${y0}, ${y1})`);
      }
    } else {
      ordered++;
      assert.ok(y0 < y1, `${n.id} (${n.op}): argument order kept`);
    }
  }
  assert.ok(ordered > 10 && sorted > 10, `${ordered} ordered, ${sorted} sorted`);
});

test("deterministic: the same input gives the same output", () => {
  const dump = (L) => JSON.stringify({ ...L, nodes: [...L.nodes], edges: [...L.edges] });
  for (const g of [fixture("layout-square-fork.json"), staged(400, 9), sumOfProducts(60)]) {
    assert.equal(dump(layoutGraph(g)), dump(layoutGraph(structuredClone(g))));
  }
});

test("sizes and spacing are options", () => {
  const g = fixture("layout-square-fork.json");
  const opts = { opSize: 60, varWidth: 80, varHeight: 40, labelRoom: 30, layerGap: 100 };
  const L = layoutGraph(g, opts);
  checkLayout(g, L, opts);
  for (const [id, n] of L.nodes) {
    const op = g.nodes.find((m) => m.id === id).kind === "op";
    assert.deepEqual([n.width, n.height], op ? [60, 60] : [80, 40]);
  }
  const sized = layoutGraph(g, { nodeSize: () => ({ width: 30, height: 20, shape: "box" }) });
  checkLayout(g, sized);
  for (const n of sized.nodes.values()) assert.deepEqual([n.width, n.height, n.shape], [30, 20, "box"]);
  // Slots leave room for the labels: in a column, boxes are >= 2 * labelRoom + nodeGap apart.
  const cols = new Map();
  for (const n of L.nodes.values()) cols.set(n.layer, [...(cols.get(n.layer) || []), n]);
  for (const ns of cols.values()) {
    ns.sort((a, b) => a.y - b.y);
    for (let i = 1; i < ns.length; i++) {
      const gap = (ns[i].y - ns[i].height / 2) - (ns[i - 1].y + ns[i - 1].height / 2);
      assert.ok(gap >= 2 * 30 + LAYOUT_DEFAULTS.nodeGap - EPS, `gap ${gap}`);
    }
  }
});

test("both settings give valid layouts on a ~300-node real program", (t) => {
  const g = fixture("layout-staged-230.json");
  for (const mode of ["auto", "quality", "fast"]) {
    const [L, ms] = timed(() => layoutGraph(g, { mode }));
    checkLayout(g, L);
    t.diagnostic(`${g.nodes.length} nodes, mode ${mode} -> ${L.mode}: ${ms.toFixed(0)} ms, `
      + `${L.layers} columns, ${L.dummies} dummy nodes, ${L.threaded} threaded edges, `
      + `${Math.round(L.width)} x ${Math.round(L.height)} px`);
    // No column holds more than 9 nodes: a much taller drawing would be a staircase.
    assert.ok(L.height < 2500, `height ${L.height}`);
  }
});

test("random staged programs, both settings and several dummy budgets", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const g = staged(20 + seed * 8, seed, 2 + (seed % 7));
    for (const opts of [{}, { mode: "fast" }, { mode: "fast", dummyBudget: seed * 3 },
      { mode: "quality", qualityLimit: g.nodes.length + seed * 4 }]) {
      const L = layoutGraph(g, opts);
      checkLayout(g, L);
    }
  }
});

test("long forks beyond the dummy budget are threaded around the nodes", () => {
  const g = staged(300, 3);
  const L = layoutGraph(g, { mode: "fast", dummyBudget: 50 });
  assert.ok(L.threaded > 20, `threaded ${L.threaded}`);
  assert.ok(L.dummies <= 50);
  checkLayout(g, L);
  const all = layoutGraph(g, { mode: "fast", dummyBudget: 1e9 });
  assert.equal(all.threaded, 0);
  checkLayout(g, all);
});

test("generated graphs of ~30, 300 and 2,000 nodes lay out (times printed)", (t) => {
  for (const [name, g] of [["staged 30", staged(30, 30)], ["staged 300", staged(300, 300)],
    ["staged 2000", staged(2000, 2000)]]) {
    const [L, ms] = timed(() => layoutGraph(g));
    checkLayout(g, L);
    t.diagnostic(`${name}: ${g.nodes.length} nodes, ${g.edges.length} edges, mode ${L.mode}: `
      + `${ms.toFixed(0)} ms (${L.layers} columns, ${L.threaded} threaded edges)`);
    assert.ok(ms < 15000, `${name} took ${ms} ms`);
  }
});

test("a 500-term sum (1,999 nodes) lays out compactly", (t) => {
  const g = sumOfProducts(500);
  const [L, ms] = timed(() => layoutGraph(g));
  checkLayout(g, L);
  t.diagnostic(`500-term sum: ${g.nodes.length} nodes, mode ${L.mode}: ${ms.toFixed(0)} ms, `
    + `${Math.round(L.width)} x ${Math.round(L.height)} px`);
  assert.equal(L.layers, 501);
  // The chain of additions is one straight line, no staircase.
  const adds = g.nodes.filter((n) => n.op === "add").map((n) => L.nodes.get(n.id).y);
  assert.ok(Math.max(...adds) - Math.min(...adds) < EPS);
  assert.ok(L.height < 1000, `height ${L.height}`);
});

test("edge cases: empty graph, one node, a disconnected node, bad input", () => {
  const empty = layoutGraph({ nodes: [], edges: [] });
  assert.equal(empty.nodes.size, 0);
  assert.equal(empty.edges.size, 0);
  assert.ok(empty.width > 0 && empty.height > 0);

  const one = { nodes: [{ id: "n0", kind: "variable", inputs: [] }], edges: [] };
  const L1 = layoutGraph(one);
  checkLayout(one, L1);
  assert.equal(L1.layers, 1);

  const b = builder();
  const x = b.add("variable", null, [], "x");
  b.add("op", "exp", [x]);
  b.add("constant", null, []);  // unused
  const g = b.graph();
  checkLayout(g, layoutGraph(g));

  assert.throws(() => layoutGraph({ nodes: one.nodes,
    edges: [{ id: 0, source: "n0", target: "nope", index: 0 }] }), /unknown node/);
  assert.throws(() => layoutGraph({ nodes: [...one.nodes, ...one.nodes], edges: [] }),
    /duplicate/);
  const cycle = {
    nodes: [{ id: "a", kind: "op", inputs: ["b"] }, { id: "b", kind: "op", inputs: ["a"] }],
    edges: [{ id: 0, source: "b", target: "a", index: 0 }, { id: 1, source: "a", target: "b", index: 0 }],
  };
  assert.throws(() => layoutGraph(cycle), /cycle/);
});

// ---------------------------------------------------------------- ports and wire labels

/** The height at which input `index` of `target` enters the gap before the target's
 *  column (one wire stub past the previous column). */
function arrivalHeight(L, g, target, index) {
  const e = g.edges.find((d) => d.target === target && d.index === index);
  const pts = L.edges.get(e.id).points;
  const tgt = L.nodes.get(target);
  const half = Math.max(...[...L.nodes.values()].map((n) => n.width)) / 2;
  const xa = tgt.x - half - LAYOUT_DEFAULTS.layerGap + LAYOUT_DEFAULTS.wireStub;
  const i = pts.findIndex(([x]) => x > xa);
  if (i <= 0) return pts[0][1];
  const [[x0, y0], [x1, y1]] = [pts[i - 1], pts[i]];
  return y0 + ((y1 - y0) * (xa - x0)) / (x1 - x0);
}

/** Wires crossing just before their target: pairs entering one node in swapped order. */
function crossingsAtPorts(g, L) {
  const bad = [];
  for (const n of g.nodes) {
    const ins = g.edges.filter((e) => e.target === n.id);
    for (const a of ins) {
      for (const b of ins) {
        if (a.source === b.source) continue;
        const [ea, eb] = [L.edges.get(a.id).points, L.edges.get(b.id).points];
        const endA = ea[ea.length - 1][1];
        const endB = eb[eb.length - 1][1];
        if (arrivalHeight(L, g, n.id, a.index) < arrivalHeight(L, g, n.id, b.index) && endA > endB) {
          bad.push(`${n.id} (${n.op}): ${a.source} above ${b.source} but enters below`);
        }
      }
    }
  }
  return bad;
}

test("the upper source takes the upper port of a commutative op (tutorial graphs)", () => {
  for (const name of ["chain-rule.json", "layout-square-fork.json", "sigmoid-expanded.json",
    "fork.json", "max-gate.json", "add-upstream.json"]) {
    const g = fixture(name);
    const L = layoutGraph(g);
    checkLayout(g, L);
    const commutative = g.nodes.filter((n) => LAYOUT_DEFAULTS.commutative.includes(n.op));
    const bad = crossingsAtPorts({ ...g, nodes: commutative }, L);
    assert.deepEqual(bad, [], name);
  }
});

test("x + y with y drawn above x: y takes the upper port, x the lower", () => {
  // (x + y) * y puts y next to both ops; whichever is higher must enter the + on top.
  const b = builder();
  const x = b.add("variable", null, [], "x");
  const y = b.add("variable", null, [], "y");
  const s = b.add("op", "add", [x, y]);
  b.add("op", "mul", [s, y]);
  const g = b.graph();
  const L = layoutGraph(g);
  checkLayout(g, L);
  const end = (id) => L.edges.get(id).points.at(-1)[1];
  const upper = L.nodes.get(x).y < L.nodes.get(y).y ? 0 : 1;
  assert.ok(end(upper) < end(1 - upper), "the upper variable enters the upper port");
  assert.deepEqual(crossingsAtPorts(g, L), []);
});

test("non-commutative ops keep argument order: the first argument enters on top", () => {
  for (const op of ["sub", "div", "pow", "matmul"]) {
    const b = builder();
    const y = b.add("variable", null, [], "y");
    const x = b.add("variable", null, [], "x");
    b.add("op", op, [x, y]);
    const g = b.graph();
    const L = layoutGraph(g);
    checkLayout(g, L);
    assert.ok(L.edges.get(0).points.at(-1)[1] < L.edges.get(1).points.at(-1)[1], op);
  }
});

/** The box a wire label takes, from the layout's anchor (as graph-view draws it). */
function labelBoxOf(g, le) {
  const src = g.nodes.find((n) => n.id === le.source);
  const chars = src.shape && src.shape.length ? src.shape.join("×").length : LAYOUT_DEFAULTS.edgeLabelChars;
  const w = (chars * LAYOUT_DEFAULTS.edgeLabelCharWidth) / 2;
  const [x, y] = le.label;
  return [x - w, y - LAYOUT_DEFAULTS.edgeLabelLift - LAYOUT_DEFAULTS.edgeLabelHeight, x + w,
    y - LAYOUT_DEFAULTS.edgeLabelLift];
}

const overlap = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

test("wire labels: anchor is the middle point, on the wire, off every node and each other", () => {
  const graphs = fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json") && f !== "layout-staged-230.json")
    .map((f) => [f, fixture(f)]).filter(([, g]) => Array.isArray(g.nodes) && Array.isArray(g.edges));
  graphs.push(["staged(60)", staged(60, 3)]);
  for (const [name, g] of graphs) {
    const L = layoutGraph(g);
    checkLayout(g, L);
    const boxes = [];
    for (const e of g.edges) {
      const le = L.edges.get(e.id);
      assert.deepEqual(le.points[Math.floor(le.points.length / 2)], le.label, `${name} edge ${e.id}`);
      const box = labelBoxOf(g, le);
      for (const [id, n] of L.nodes) {
        const slot = [n.x - n.width / 2, n.y - n.height / 2 - LAYOUT_DEFAULTS.labelRoom,
          n.x + n.width / 2, n.y + n.height / 2 + LAYOUT_DEFAULTS.labelRoom];
        assert.ok(!overlap(box, slot), `${name}: label of edge ${e.id} on node ${id}`);
      }
      // Shape labels (tensor wires) are all shown at once; a gradient label only while its
      // edge is the current step.
      const tensor = g.nodes.find((n) => n.id === e.source).shape?.length > 0;
      for (const [other, b, otherTensor] of boxes) {
        if (!tensor && !otherTensor) continue;
        assert.ok(!overlap(box, b), `${name}: labels of edges ${e.id} and ${other} overlap`);
      }
      boxes.push([e.id, box, tensor]);
    }
  }
});

test("matmul: the two shape labels ('2×3', '3×4') sit apart, off the @ circle", () => {
  const g = fixture("matmul.json");
  const L = layoutGraph(g);
  const tensorEdges = g.edges.filter((e) => g.nodes.find((n) => n.id === e.source).shape.length);
  assert.ok(tensorEdges.length >= 2);
  const boxes = tensorEdges.map((e) => labelBoxOf(g, L.edges.get(e.id)));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) assert.ok(!overlap(boxes[i], boxes[j]), `${i} ${j}`);
  }
});

test("x*x on a tensor: both wires share one label spot and split after it to their ports", () => {
  const b = builder();
  const x = b.add("variable", null, [], "x");
  b.add("op", "mul", [x, x]);
  const g = b.graph();
  g.nodes[0].shape = [1, 4];
  g.nodes[1].shape = [1, 4];
  const L = layoutGraph(g);
  checkLayout(g, L);
  const [e0, e1] = [L.edges.get(0), L.edges.get(1)];
  assert.deepEqual(e0.label, e1.label);
  const upTo = (pts, at) => pts.slice(0, pts.findIndex((p) => p[0] === at[0] && p[1] === at[1]) + 1);
  assert.deepEqual(upTo(e0.points, e0.label).filter((p) => p[1] === e0.points[0][1]).at(-1),
    upTo(e1.points, e1.label).filter((p) => p[1] === e1.points[0][1]).at(-1));
  assert.notEqual(e0.points.at(-1)[1], e1.points.at(-1)[1], "own ports");
});

// ---------------------------------------------------------------- presets: blocks, all labels

// fixtures/presets.json: every preset of app/examples.py as POST /api/graph answers it, as it
// comes and with expand ("id+expand"), structure only (scripts/make_fixtures.py), laid out
// with the page's own options (node-sizes.js).
const PRESETS = JSON.parse(fs.readFileSync(path.join(FIXTURES, "presets.json"), "utf8")).graphs;

/** Problems of a preset's layout: blocks apart and whole, every label (all wire labels and
 *  block names at once, as at the timeline's end) off the others and off every slot. */
export function presetProblems(g, L, labelRoom) {
  const problems = [];
  const slot = (id) => {
    const n = L.nodes.get(id);
    return [n.x - n.width / 2, n.y - n.height / 2 - labelRoom, n.x + n.width / 2, n.y + n.height / 2 + labelRoom];
  };
  // Block members contiguous in their columns.
  const columns = new Map();
  for (const n of g.nodes) {
    const k = L.nodes.get(n.id).layer;
    if (!columns.has(k)) columns.set(k, []);
    columns.get(k).push(n);
  }
  for (const [k, ns] of columns) {
    const seq = ns.sort((a, b) => L.nodes.get(a.id).y - L.nodes.get(b.id).y).map((n) => n.block?.id ?? null);
    const seen = new Set();
    seq.forEach((b, i) => {
      if (b === null || seq[i - 1] === b) return;
      if (seen.has(b)) problems.push(`block ${b} split in column ${k}`);
      seen.add(b);
    });
  }
  // Frames: around their members' slots, clear of every other slot and frame.
  const blockIds = new Set(g.nodes.filter((n) => n.block).map((n) => n.block.id));
  if (L.blocks.size !== blockIds.size) problems.push(`${L.blocks.size} frames for ${blockIds.size} blocks`);
  const frames = [...L.blocks].map(([id, b]) => [id, [b.x0, b.y0, b.x1, b.y1]]);
  for (const [id, fr] of frames) {
    for (const n of g.nodes) {
      const s = slot(n.id);
      if (n.block?.id === id) {
        if (!(s[0] >= fr[0] - EPS && s[1] >= fr[1] - EPS && s[2] <= fr[2] + EPS && s[3] <= fr[3] + EPS)) {
          problems.push(`frame of block ${id} misses its node ${n.id}`);
        }
      } else if (overlap(fr, s)) problems.push(`frame of block ${id} over node ${n.id}`);
    }
    for (const [other, fr2] of frames) if (other > id && overlap(fr, fr2)) problems.push(`frames ${id}, ${other} meet`);
  }
  // Labels: every wire's (estimated from its characters), every block's name.
  const labels = [];
  for (const e of g.edges) {
    const box = labelBoxOf(g, L.edges.get(e.id));
    // x*x: one spot, its text drawn twice in one place.
    if (!labels.some((l) => l.box.every((v, i) => Math.abs(v - box[i]) < EPS))) labels.push({ what: `edge ${e.id}`, box });
  }
  for (const [id, b] of L.blocks) {
    assert.equal(b.op, g.nodes.find((n) => n.block?.id === id).block.op);
    const w = b.op.length * 11 * 0.6;
    labels.push({ what: `block ${id} name`, box: [b.label[0], b.label[1] - 11, b.label[0] + w, b.label[1] + 3] });
    if (!overlap(labels.at(-1).box, [b.x0, b.y0, b.x1, b.y1])) problems.push(`block ${id} name off its frame`);
  }
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      if (overlap(labels[i].box, labels[j].box)) problems.push(`${labels[i].what} on ${labels[j].what}`);
    }
    for (const n of g.nodes) if (overlap(labels[i].box, slot(n.id))) problems.push(`${labels[i].what} on node ${n.id}`);
  }
  return problems;
}

test("every preset: blocks together and framed apart, all wire labels off each other and the nodes", () => {
  assert.ok(Object.keys(PRESETS).length >= 30);
  let framed = 0;
  for (const [name, g] of Object.entries(PRESETS)) {
    const options = layoutOptions(g);
    const L = layoutGraph(g, options);
    checkLayout(g, L, { labelRoom: options.labelRoom ?? LAYOUT_DEFAULTS.labelRoom });
    const problems = presetProblems(g, L, options.labelRoom ?? LAYOUT_DEFAULTS.labelRoom);
    assert.deepEqual(problems, [], name);
    framed += L.blocks.size;
  }
  assert.ok(framed >= 10, `${framed} block frames`);
});

test("the preset checks find problems: blocks interleaved, frames moved, labels on labels", () => {
  const g = PRESETS["input-scaling+expand"];
  const L = layoutGraph(g);
  assert.equal(L.blocks.size, 2);
  assert.deepEqual(presetProblems(g, L, LAYOUT_DEFAULTS.labelRoom), []);
  // One sigmoid's frame moved over the other's nodes.
  const [a, b] = [...L.blocks.values()];
  const moved = { ...L, blocks: new Map([[1, a], [2, { ...b, y0: a.y0, y1: a.y1 }]]) };
  assert.ok(presetProblems(g, moved, LAYOUT_DEFAULTS.labelRoom).some((p) => p.startsWith("frames")));
  // Two wire labels nearly at one spot.
  const edges = new Map(L.edges);
  const [x, y] = edges.get(5).label;
  edges.set(0, { ...edges.get(0), label: [x + 10, y + 3] });
  assert.ok(presetProblems(g, { ...L, edges }, LAYOUT_DEFAULTS.labelRoom).some((p) => p.includes(" on edge ")));
  // Without grouping (the blocks' ids taken away), frames are not computed at all.
  const plain = { ...g, nodes: g.nodes.map(({ block, ...n }) => n) };
  assert.equal(layoutGraph(plain).blocks.size, 0);
});

test("layoutBounds never exceeds the layout: presets, staged programs, closed boxes", () => {
  // The page skips laying out a closing whose bounds are already unreadable: that is only
  // right if the real layout is never smaller than its bounds.
  const graphs = [...Object.values(PRESETS), ...[30, 120, 400].map((n) => staged(n, n)), sumOfProducts(40)];
  for (const g of graphs) {
    const options = layoutOptions(g);
    const L = layoutGraph(g, options);
    const b = layoutBounds(g, options);
    assert.ok(b.width <= L.width + 1e-6 && b.height <= L.height + 1e-6,
      `${g.nodes.length} nodes: bounds ${b.width}x${b.height}, layout ${L.width}x${L.height}`);
    // and not uselessly loose: at least half the layout on each axis
    assert.ok(b.width >= L.width / 2 && b.height >= L.height / 4, `${g.nodes.length} nodes: loose bounds`);
  }
});
