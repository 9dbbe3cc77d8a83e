// The timeline is an index k into graph.steps; everything shown at k comes from the trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { keyToAction, phaseStarts, prepare, reduceAction, stateAt, withoutConstantSteps } from "../../static/js/timeline.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8"));
// Every saved API response with a trace (layout fixtures are kept without their steps).
const GRAPHS = readdirSync(FIXTURES).filter((f) => f.endsWith(".json") && f !== "ops.json")
  .map((f) => f.slice(0, -5))
  .filter((name) => Array.isArray(JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES))).steps));

test("phaseStarts finds the forward start and the seed", () => {
  assert.deepEqual(phaseStarts(load("chain-rule").steps), { forward: 0, backward: 2 });
  assert.deepEqual(phaseStarts(load("fork").steps), { forward: 0, backward: 3 });
  assert.deepEqual(phaseStarts([{ phase: "backward", kind: "seed", node: "n0", grad: 1 }]), { forward: 0, backward: 0 });
});

test("at k = 0 only the given values are known and nothing is active", () => {
  const g = load("chain-rule");
  const s = stateAt(g, 0);
  assert.equal(s.k, 0);
  assert.equal(s.n, 7);
  assert.equal(s.phase, "start");
  assert.equal(s.current, null);
  assert.deepEqual([...s.values], [["n0", -2], ["n1", 5], ["n3", -4]]);
  assert.equal(s.grads.size, 0);
  assert.equal(s.edgeGrads.size, 0);
  assert.equal(s.activeNodes.size, 0);
  assert.equal(s.activeEdges.size, 0);
});

test("constants count as given values from the start", () => {
  const s = stateAt(load("dead-node"), 0);
  assert.equal(s.values.get("n1"), 2);
  assert.equal(s.values.get("n4"), 1);
});

test("a forward event computes its node and lights up the wires it reads", () => {
  const g = load("chain-rule");
  const s = stateAt(g, 1);
  assert.equal(s.phase, "forward");
  assert.equal(s.current, g.steps[0]);
  assert.equal(s.values.get("n2"), 3);
  assert.equal(s.values.has("n4"), false);
  assert.deepEqual([...s.activeNodes].sort(), ["n0", "n1", "n2"]);
  assert.deepEqual([...s.activeEdges].sort(), [0, 1]);
});

test("after the forward pass every value is known and no gradient is", () => {
  const g = load("fork");
  const { backward } = phaseStarts(g.steps);
  const s = stateAt(g, backward);
  assert.equal(s.phase, "forward");
  for (const node of g.nodes) assert.deepEqual(s.values.get(node.id), node.value, node.id);
  assert.equal(s.grads.size, 0);
});

test("the seed sets the output's gradient", () => {
  const g = load("add-upstream");
  const { backward } = phaseStarts(g.steps);
  const s = stateAt(g, backward + 1);
  assert.equal(s.phase, "backward");
  assert.equal(s.current.kind, "seed");
  assert.deepEqual([...s.grads], [[g.output, -4]]);
  assert.deepEqual([...s.activeNodes], [g.output]);
  assert.equal(s.activeEdges.size, 0);
});

test("an edge event sets its source's accumulated gradient and the edge's contribution", () => {
  const g = load("fork");
  // steps[8] is the second contribution into x (a fork): −6 then −8, accumulated −14.
  const s = stateAt(g, 9);
  assert.equal(s.current.edge, 0);
  assert.equal(s.grads.get("n0"), -14);
  assert.equal(s.edgeGrads.get(0), -8);
  assert.equal(s.edgeGrads.get(3), -6);
  assert.deepEqual([...s.activeNodes].sort(), ["n0", "n2"]);
  assert.deepEqual([...s.activeEdges], [0]);
  // One step earlier x has received only its first contribution.
  assert.equal(stateAt(g, 8).grads.get("n0"), -6);
});

for (const name of GRAPHS) {
  test(`at the end of ${name} every node and edge has its final gradient`, () => {
    const g = load(name);
    const s = stateAt(g, g.steps.length);
    assert.equal(s.phase, "end");
    for (const node of g.nodes) {
      assert.deepEqual(s.values.get(node.id), node.value, `value of ${node.id}`);
      assert.deepEqual(s.grads.get(node.id), node.grad, `grad of ${node.id}`);
    }
    for (const edge of g.edges) assert.deepEqual(s.edgeGrads.get(edge.id), edge.grad, `edge ${edge.id}`);
  });
}

test("a node the output does not use gets its (zero) gradient when the backward pass starts", () => {
  const g = load("dead-node");
  const a = g.nodes.find((n) => n.name === "a");
  assert.equal(stateAt(g, 2).grads.has(a.id), false);
  assert.equal(stateAt(g, 3).grads.get(a.id), 0);
});

function plain(s) {
  return { ...s, values: [...s.values], grads: [...s.grads], edgeGrads: [...s.edgeGrads],
    activeNodes: [...s.activeNodes], activeEdges: [...s.activeEdges] };
}

// An independent replay, written from the trace's documented meaning, snapshotted at every k.
function referenceSnapshots(g) {
  const values = new Map(g.nodes.filter((n) => n.kind !== "op").map((n) => [n.id, n.value]));
  const grads = new Map();
  const edgeGrads = new Map();
  const snap = () => ({ values: [...values].sort(), grads: [...grads].sort(), edgeGrads: [...edgeGrads].sort() });
  const out = [snap()];
  for (const step of g.steps) {
    if (step.kind === "node") values.set(step.node, step.value);
    if (step.kind === "seed") {
      grads.set(step.node, step.grad);
      const used = new Set(g.edges.map((e) => e.source));
      for (const n of g.nodes) if (n.id !== g.output && !used.has(n.id)) grads.set(n.id, n.grad);
    }
    if (step.kind === "edge") {
      grads.set(step.source, step.accumulated);
      edgeGrads.set(step.edge, step.contribution);
    }
    out.push(snap());
  }
  return out;
}

function snapshotOf(s) {
  return { values: [...s.values].sort(), grads: [...s.grads].sort(), edgeGrads: [...s.edgeGrads].sort() };
}

test("stepping back to k is the same as stepping forward to k", () => {
  for (const name of ["fork", "sigmoid-expanded", "matmul", "nan"]) {
    const g = load(name);
    const n = g.steps.length;
    const expected = referenceSnapshots(g);
    const forward = [];
    for (let k = 0; k < n; k = reduceAction(k, n, "next")) forward.push(plain(stateAt(g, k)));
    forward.push(plain(stateAt(g, n)));
    for (let k = n; k >= 0; k -= 1) {
      const back = stateAt(g, k);
      assert.deepEqual(snapshotOf(back), expected[k], `${name}: state at ${k}`);
      assert.deepEqual(plain(back), forward[k], `${name}: back to ${k}`);
      if (k === 0) break;
      assert.equal(reduceAction(k, n, "prev"), k - 1);
    }
  }
});

test("stateAt returns fresh maps, so a caller changing one cannot corrupt the next frame", () => {
  const g = load("chain-rule");
  stateAt(g, 7).grads.set("n0", 999);
  stateAt(g, 0).values.delete("n0");
  assert.equal(stateAt(g, 7).grads.get("n0"), -4);
  assert.equal(stateAt(g, 0).values.get("n0"), -2);
});

test("stateAt clamps k and reuses the per-graph index", () => {
  const g = load("chain-rule");
  assert.equal(stateAt(g, -5).k, 0);
  assert.equal(stateAt(g, 99).k, 7);
  assert.equal(stateAt(g, 2.7).k, 2);
  assert.equal(stateAt(g, "x").k, 0);
  assert.equal(prepare(g), prepare(g));
});

test("stateAt handles a 2,000-node graph in linear work", () => {
  // A chain x → +1 → +1 → …: 2,000 op nodes, 4,000 edges. No timing assert (benchmarks
  // live in bench/); this checks the result and that a full replay per frame is feasible.
  const g = chainGraph(2000);
  const p = prepare(g);
  for (let k = 0; k <= g.steps.length; k += 97) stateAt(g, k, p);
  const end = stateAt(g, g.steps.length, p);
  assert.equal(end.grads.get("x"), 1);
  assert.equal(end.values.get(`a${1999}`), 2000);
});

function chainGraph(size) {
  const nodes = [{ id: "x", kind: "variable", label: "x", name: "x", inputs: [], shape: [], value: 0, grad: 1 }];
  const edges = [];
  const forward = [];
  const backward = [];
  let prev = "x";
  for (let i = 0; i < size; i += 1) {
    const c = `c${i}`;
    const a = `a${i}`;
    nodes.push({ id: c, kind: "constant", label: "1", inputs: [], shape: [], value: 1, grad: 1 });
    nodes.push({ id: a, kind: "op", op: "add", label: "+", inputs: [prev, c], shape: [], value: i + 1, grad: 1 });
    edges.push({ id: 2 * i, source: prev, target: a, index: 0, grad: 1 });
    edges.push({ id: 2 * i + 1, source: c, target: a, index: 1, grad: 1 });
    forward.push({ phase: "forward", kind: "node", node: a, value: i + 1 });
    backward.unshift(
      { phase: "backward", kind: "edge", edge: 2 * i, source: prev, target: a, index: 0, upstream: 1, local: 1, contribution: 1, accumulated: 1 },
      { phase: "backward", kind: "edge", edge: 2 * i + 1, source: c, target: a, index: 1, upstream: 1, local: 1, contribution: 1, accumulated: 1 });
    prev = a;
  }
  const seed = { phase: "backward", kind: "seed", node: prev, grad: 1 };
  return { expression: "", output: prev, nodes, edges, steps: [...forward, seed, ...backward], warnings: [] };
}

test("reduceAction steps, jumps and clamps", () => {
  const starts = { forward: 0, backward: 2 };
  assert.equal(reduceAction(0, 7, "next"), 1);
  assert.equal(reduceAction(7, 7, "next"), 7);
  assert.equal(reduceAction(0, 7, "prev"), 0);
  assert.equal(reduceAction(3, 7, "prev"), 2);
  assert.equal(reduceAction(4, 7, "start"), 0);
  assert.equal(reduceAction(4, 7, "end"), 7);
  assert.equal(reduceAction(4, 7, "forward", starts), 0);
  assert.equal(reduceAction(0, 7, "backward", starts), 3);
  assert.equal(reduceAction(0, 2, "backward", { forward: 0, backward: 2 }), 2);
  assert.equal(reduceAction(4, 7, "toggle"), 4);
  assert.equal(reduceAction(4, 7, "bogus"), 4);
  assert.equal(reduceAction(40, 7, "bogus"), 7);
  assert.equal(reduceAction(-3, 7, "next"), 1);
  assert.equal(reduceAction(3, 0, "next"), 0);
});

test("reduceAction 'backward' lands just after the seed, so the seed is shown", () => {
  const g = load("chain-rule");
  const k = reduceAction(0, g.steps.length, "backward", phaseStarts(g.steps));
  assert.equal(stateAt(g, k).current.kind, "seed");
});

test("keyToAction maps the timeline keys", () => {
  assert.equal(keyToAction("ArrowRight"), "next");
  assert.equal(keyToAction("ArrowLeft"), "prev");
  assert.equal(keyToAction(" "), "toggle");
  assert.equal(keyToAction("Home"), "start");
  assert.equal(keyToAction("End"), "end");
  assert.equal(keyToAction("a"), null);
  assert.equal(keyToAction("toString"), null);
  assert.equal(keyToAction(undefined), null);
});

test("constants get no backward steps unless asked: the same graph otherwise", () => {
  const g = load("sigmoid-expanded");
  const constants = new Set(g.nodes.filter((n) => n.kind === "constant").map((n) => n.id));
  assert.ok(constants.size >= 2);
  const h = withoutConstantSteps(g);
  assert.ok(!h.steps.some((s) => s.kind === "edge" && constants.has(s.source)));
  const dropped = g.steps.filter((s) => s.kind === "edge" && constants.has(s.source)).length;
  assert.equal(h.steps.length, g.steps.length - dropped);
  assert.equal(h.nodes, g.nodes); // values and everything else are kept
  const plain = load("chain-rule");
  assert.equal(withoutConstantSteps(plain), plain);
  // the gradients of the variables at the end are unchanged
  const end = (graph) => stateAt(graph, graph.steps.length).grads;
  for (const n of g.nodes.filter((m) => m.kind === "variable")) assert.equal(end(h).get(n.id), end(g).get(n.id));
});
