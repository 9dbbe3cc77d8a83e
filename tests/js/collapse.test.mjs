// Tests of static/js/collapse.js: node --test tests/js/collapse.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";

import { groupsOf, collapse } from "../../static/js/collapse.js";

// ---------------------------------------------------------------- graphs

const SIG = { id: 1, op: "sigmoid" };

/** A node shaped like the API's (value, grad, shape, text; name and block when given). */
function node(id, kind, op, inputs = [], extra = {}) {
  return { id, kind, op, label: extra.label ?? op ?? id, name: extra.name ?? null,
    text: extra.text ?? id, inputs, shape: [], value: extra.value ?? 1, grad: extra.grad ?? 0.5,
    ...(extra.block ? { block: extra.block } : {}) };
}

/** Edges in the API's shape from the nodes' inputs: ids 0, 1, … in node then argument order. */
function withEdges(nodes, output = nodes.at(-1).id) {
  const edges = [];
  for (const n of nodes) {
    n.inputs.forEach((source, index) => edges.push({ id: edges.length, source, target: n.id, index,
      grad: edges.length / 10 }));
  }
  return { expression: "test", output, nodes, edges, steps: [{ kind: "seed", node: output, grad: 1 }] };
}

/** σ(w0*x0 + w1*x1 + w2), expanded; n9 carries its block, the constant n10 does not. */
function sigmoidNeuron() {
  return {
    output: "n14",
    steps: [{ kind: "node", node: "n2", value: 2 }],
    nodes: [
      node("n0", "variable", null, [], { name: "w0" }),
      node("n1", "variable", null, [], { name: "x0" }),
      node("n2", "op", "mul", ["n0", "n1"], { label: "×" }),
      node("n3", "variable", null, [], { name: "w1" }),
      node("n4", "variable", null, [], { name: "x1" }),
      node("n5", "op", "mul", ["n3", "n4"], { label: "×" }),
      node("n6", "op", "add", ["n2", "n5"], { label: "+" }),
      node("n7", "variable", null, [], { name: "w2" }),
      node("n8", "op", "add", ["n6", "n7"], { label: "+" }),
      node("n9", "constant", null, [], { label: "1", block: SIG }),
      node("n10", "constant", null, [], { label: "1" }),
      node("n11", "op", "neg", ["n8"], { label: "−", block: SIG }),
      node("n12", "op", "exp", ["n11"], { label: "exp", block: SIG }),
      node("n13", "op", "add", ["n10", "n12"], { label: "+", block: SIG }),
      node("n14", "op", "div", ["n9", "n13"], { label: "÷", block: SIG, text: "sigmoid(…)",
        value: 0.73, grad: 1 }),
    ],
    edges: [
      { id: 0, source: "n0", target: "n2", index: 0, grad: -0.2 },
      { id: 1, source: "n1", target: "n2", index: 1, grad: 0.39 },
      { id: 2, source: "n3", target: "n5", index: 0, grad: -0.39 },
      { id: 3, source: "n4", target: "n5", index: 1, grad: -0.59 },
      { id: 4, source: "n2", target: "n6", index: 0, grad: 0.2 },
      { id: 5, source: "n5", target: "n6", index: 1, grad: 0.2 },
      { id: 6, source: "n6", target: "n8", index: 0, grad: 0.2 },
      { id: 7, source: "n7", target: "n8", index: 1, grad: 0.2 },
      { id: 8, source: "n8", target: "n11", index: 0, grad: 0.2 },
      { id: 9, source: "n11", target: "n12", index: 0, grad: -0.2 },
      { id: 10, source: "n10", target: "n13", index: 0, grad: -0.53 },
      { id: 11, source: "n12", target: "n13", index: 1, grad: -0.53 },
      { id: 12, source: "n9", target: "n14", index: 0, grad: 0.73 },
      { id: 13, source: "n13", target: "n14", index: 1, grad: -0.53 },
    ],
  };
}

/** a = x*y + 2; b = a*z + a  (a is used twice by b; b is the output). */
function staged() {
  return withEdges([
    node("n0", "variable", null, [], { name: "x" }),
    node("n1", "variable", null, [], { name: "y" }),
    node("n2", "op", "mul", ["n0", "n1"], { label: "×" }),
    node("n3", "constant", null, [], { label: "2" }),
    node("n4", "op", "add", ["n2", "n3"], { label: "+", name: "a" }),
    node("n5", "variable", null, [], { name: "z" }),
    node("n6", "op", "mul", ["n4", "n5"], { label: "×" }),
    node("n7", "op", "add", ["n6", "n4"], { label: "+", name: "b" }),
  ]);
}

/** h = sigmoid(w*x + b) expanded (a stage holding a whole block); y = h * 3. */
function stagedBlock() {
  return withEdges([
    node("n0", "variable", null, [], { name: "w" }),
    node("n1", "variable", null, [], { name: "x" }),
    node("n2", "op", "mul", ["n0", "n1"], { label: "×" }),
    node("n3", "variable", null, [], { name: "b" }),
    node("n4", "op", "add", ["n2", "n3"], { label: "+" }),
    node("n5", "constant", null, [], { label: "1", block: SIG }),
    node("n6", "constant", null, [], { label: "1", block: SIG }),
    node("n7", "op", "neg", ["n4"], { label: "−", block: SIG }),
    node("n8", "op", "exp", ["n7"], { label: "exp", block: SIG }),
    node("n9", "op", "add", ["n6", "n8"], { label: "+", block: SIG }),
    node("n10", "op", "div", ["n5", "n9"], { label: "÷", block: SIG, name: "h" }),
    node("n11", "constant", null, [], { label: "3" }),
    node("n12", "op", "mul", ["n10", "n11"], { label: "×", name: "y" }),
  ]);
}

/** t = x*y (unnamed) feeds two stages: a = t + 1; b = t * 2; c = a + b. */
function sharedNode() {
  return withEdges([
    node("n0", "variable", null, [], { name: "x" }),
    node("n1", "variable", null, [], { name: "y" }),
    node("n2", "op", "mul", ["n0", "n1"], { label: "×" }),
    node("n3", "constant", null, [], { label: "1" }),
    node("n4", "op", "add", ["n2", "n3"], { label: "+", name: "a" }),
    node("n5", "constant", null, [], { label: "2" }),
    node("n6", "op", "mul", ["n2", "n5"], { label: "×", name: "b" }),
    node("n7", "op", "add", ["n4", "n6"], { label: "+", name: "c" }),
  ]);
}

/** s = x*x + 1: two edges between x and the product. */
function square() {
  return withEdges([
    node("n0", "variable", null, [], { name: "x" }),
    node("n1", "op", "mul", ["n0", "n0"], { label: "×" }),
    node("n2", "constant", null, [], { label: "1" }),
    node("n3", "op", "add", ["n1", "n2"], { label: "+", name: "s" }),
  ]);
}

/** A block with two exits (hand-built): n1 feeds the stage N, n2 feeds O. */
function splitBlock() {
  const B = { id: 3, op: "weird" };
  return withEdges([
    node("n0", "variable", null, [], { name: "a" }),
    node("n1", "op", "exp", ["n0"], { block: B }),
    node("n2", "op", "neg", ["n0"], { block: B }),
    node("n3", "constant", null, [], { label: "2" }),
    node("n4", "op", "mul", ["n1", "n3"], { name: "N" }),
    node("n5", "op", "mul", ["n2", "n4"], { name: "O" }),
  ]);
}

// ---------------------------------------------------------------- checks

const ids = (list) => list.map((x) => x.id);
const members = (groups) => Object.fromEntries(groups.map((g) => [g.id, g.members]));

/** collapse(), checked: the input is left as it was, the result keeps its promises. */
function collapsed(graph, closed, groups) {
  const before = structuredClone(graph);
  const result = collapse(graph, new Set(closed), groups);
  assert.deepEqual(graph, before, "input not mutated");
  checkCollapsed(graph, result);
  return result;
}

/** What every collapsed graph promises. */
function checkCollapsed(original, { graph, owner, edgeOwner }) {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  assert.equal(byId.size, graph.nodes.length, "node ids unique");
  assert.equal(new Set(ids(graph.edges)).size, graph.edges.length, "edge ids unique");
  for (const e of graph.edges) {
    assert.ok(byId.has(e.source) && byId.has(e.target), `edge ${e.id} ends exist`);
    assert.equal(byId.get(e.target).inputs[e.index], e.source, `edge ${e.id} index`);
  }
  for (const n of graph.nodes) {
    for (const id of n.inputs) assert.ok(byId.has(id), `${n.id} reads existing ${id}`);
  }
  assert.deepEqual([...owner.keys()], ids(original.nodes), "owner keys");
  for (const id of owner.values()) assert.ok(byId.has(id), `owner ${id} shown`);
  assert.deepEqual([...edgeOwner.keys()], ids(original.edges), "edgeOwner keys");
  const shownEdges = new Set(ids(graph.edges));
  for (const [id, to] of edgeOwner) {
    if ("edge" in to) assert.ok(to.edge === id && shownEdges.has(id), `edge ${id} shown`);
    else assert.ok(byId.has(to.node) && !shownEdges.has(id), `edge ${id} hidden in ${to.node}`);
  }
  assert.ok(acyclic(graph), "no cycle");
  assert.equal(graph.output, original.output);
  assert.equal(graph.steps, original.steps, "steps carried over untouched");
}

/** Kahn's algorithm: true when every node can be ordered. */
function acyclic(graph) {
  const indegree = new Map(graph.nodes.map((n) => [n.id, 0]));
  const out = new Map(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) {
    indegree.set(e.target, indegree.get(e.target) + 1);
    out.get(e.source).push(e.target);
  }
  const ready = graph.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  let seen = 0;
  while (ready.length) {
    const id = ready.pop();
    seen += 1;
    for (const t of out.get(id)) {
      indegree.set(t, indegree.get(t) - 1);
      if (indegree.get(t) === 0) ready.push(t);
    }
  }
  return seen === graph.nodes.length;
}

const edgeList = (graph) => graph.edges.map((e) => [e.id, e.source, e.target, e.index]);

// ---------------------------------------------------------------- groupsOf

test("sigmoid neuron: one block with its untagged constant; output = the ÷", () => {
  assert.deepEqual(groupsOf(sigmoidNeuron()), [{
    id: "block:1", kind: "block", label: "sigmoid", output: "n14",
    members: ["n9", "n10", "n11", "n12", "n13", "n14"],
  }]);
});

test("staged program: one stage per named op, stopping at named ops and variables", () => {
  assert.deepEqual(groupsOf(staged()), [
    { id: "stage:n4", kind: "stage", label: "a", output: "n4", members: ["n2", "n3", "n4"] },
    { id: "stage:n7", kind: "stage", label: "b", output: "n7", members: ["n6", "n7"] },
  ]);
});

test("a stage holds a whole block; blocks come first", () => {
  assert.deepEqual(groupsOf(stagedBlock()), [
    { id: "block:1", kind: "block", label: "sigmoid", output: "n10",
      members: ["n5", "n6", "n7", "n8", "n9", "n10"] },
    { id: "stage:n10", kind: "stage", label: "h", output: "n10",
      members: ["n2", "n4", "n5", "n6", "n7", "n8", "n9", "n10"] },
    { id: "stage:n12", kind: "stage", label: "y", output: "n12", members: ["n11", "n12"] },
  ]);
});

test("a node feeding two stages stays outside both; one-node stages are dropped", () => {
  assert.deepEqual(members(groupsOf(sharedNode())), {
    "stage:n4": ["n3", "n4"],
    "stage:n6": ["n5", "n6"],
  });
});

test("x*x: both edges into the product, which joins the stage", () => {
  assert.deepEqual(members(groupsOf(square())), { "stage:n3": ["n1", "n2", "n3"] });
});

test("a block only partly inside a stage is left out of it", () => {
  assert.deepEqual(groupsOf(splitBlock()), [
    { id: "block:3", kind: "block", label: "weird", output: "n2", members: ["n1", "n2"] },
    { id: "stage:n4", kind: "stage", label: "N", output: "n4", members: ["n3", "n4"] },
  ]);
});

test("groupsOf leaves its input as it was and is deterministic", () => {
  const g = stagedBlock();
  const before = structuredClone(g);
  const first = groupsOf(g);
  assert.deepEqual(g, before);
  assert.deepEqual(groupsOf(g), first);
});

// ---------------------------------------------------------------- collapse

test("closed sigmoid block: one σ node with the ÷'s id, value and gradient", () => {
  const g = sigmoidNeuron();
  const { graph, owner, edgeOwner } = collapsed(g, ["block:1"]);
  assert.deepEqual(ids(graph.nodes), ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n14"]);
  assert.deepEqual(graph.nodes.at(-1), {
    id: "n14", kind: "op", op: "sigmoid", label: "σ", name: null, text: "sigmoid(…)",
    inputs: ["n8"], shape: [], value: 0.73, grad: 1,
    collapsed: { group: "block:1", kind: "block", count: 6 },
  });
  assert.deepEqual(edgeList(graph), [
    [0, "n0", "n2", 0], [1, "n1", "n2", 1], [2, "n3", "n5", 0], [3, "n4", "n5", 1],
    [4, "n2", "n6", 0], [5, "n5", "n6", 1], [6, "n6", "n8", 0], [7, "n7", "n8", 1],
    [8, "n8", "n14", 0],
  ]);
  assert.equal(graph.edges.at(-1).grad, 0.2, "edge keeps its gradient");
  assert.equal(graph.nodes[0], g.nodes[0], "untouched nodes are the input's objects");
  assert.deepEqual([...owner].filter(([id, to]) => id !== to),
    [["n9", "n14"], ["n10", "n14"], ["n11", "n14"], ["n12", "n14"], ["n13", "n14"]]);
  assert.deepEqual([...edgeOwner].filter(([, to]) => "node" in to).map(([id]) => id),
    [9, 10, 11, 12, 13]);
  assert.deepEqual(edgeOwner.get(9), { node: "n14" });
  assert.deepEqual(edgeOwner.get(8), { edge: 8 });
});

test("nothing closed, or only unknown ids: the same nodes and edges", () => {
  const g = sigmoidNeuron();
  for (const closed of [[], ["block:9", "stage:n3", "nope"]]) {
    const { graph, owner, edgeOwner } = collapsed(g, closed);
    assert.deepEqual(graph, g);
    assert.ok([...owner].every(([id, to]) => id === to));
    assert.ok([...edgeOwner].every(([id, to]) => to.edge === id));
  }
});

test("closed stages: a used twice by b keeps both edges into b's box", () => {
  const { graph, owner, edgeOwner } = collapsed(staged(), ["stage:n4", "stage:n7"]);
  assert.deepEqual(ids(graph.nodes), ["n0", "n1", "n4", "n5", "n7"]);
  const [a, b] = [graph.nodes[2], graph.nodes[4]];
  assert.deepEqual(a, { id: "n4", kind: "op", op: null, label: "+", name: "a", text: "n4",
    inputs: ["n0", "n1"], shape: [], value: 1, grad: 0.5,
    collapsed: { group: "stage:n4", kind: "stage", count: 3 } });
  assert.deepEqual([b.inputs, b.name, b.collapsed], [["n4", "n5"], "b",
    { group: "stage:n7", kind: "stage", count: 2 }]);
  assert.deepEqual(edgeList(graph), [
    [0, "n0", "n4", 0], [1, "n1", "n4", 1], [4, "n4", "n7", 0], [5, "n5", "n7", 1],
    [7, "n4", "n7", 0],
  ]);
  assert.deepEqual(Object.fromEntries(owner), { n0: "n0", n1: "n1", n2: "n4", n3: "n4",
    n4: "n4", n5: "n5", n6: "n7", n7: "n7" });
  assert.deepEqual([...edgeOwner.values()], [{ edge: 0 }, { edge: 1 }, { node: "n4" },
    { node: "n4" }, { edge: 4 }, { edge: 5 }, { node: "n7" }, { edge: 7 }]);
});

test("one stage closed: edges leaving it start at its output, unchanged", () => {
  const g = staged();
  const { graph } = collapsed(g, ["stage:n4"]);
  assert.deepEqual(ids(graph.nodes), ["n0", "n1", "n4", "n5", "n6", "n7"]);
  assert.deepEqual(edgeList(graph), [
    [0, "n0", "n4", 0], [1, "n1", "n4", 1], [4, "n4", "n6", 0], [5, "n5", "n6", 1],
    [6, "n6", "n7", 0], [7, "n4", "n7", 1],
  ]);
  assert.equal(graph.edges[2], g.edges[4], "edges out of the box are the input's objects");
});

test("nested: a closed stage wins over the closed block inside it", () => {
  const { graph, owner } = collapsed(stagedBlock(), ["block:1", "stage:n10"]);
  assert.deepEqual(ids(graph.nodes), ["n0", "n1", "n3", "n10", "n11", "n12"]);
  const h = graph.nodes[3];
  assert.deepEqual([h.op, h.label, h.name, h.inputs, h.collapsed, "block" in h],
    [null, "÷", "h", ["n0", "n1", "n3"], { group: "stage:n10", kind: "stage", count: 8 }, false]);
  assert.deepEqual(edgeList(graph), [
    [0, "n0", "n10", 0], [1, "n1", "n10", 1], [3, "n3", "n10", 2], [10, "n10", "n12", 0],
    [11, "n11", "n12", 1],
  ]);
  for (const id of ["n2", "n4", "n5", "n9", "n10"]) assert.equal(owner.get(id), "n10");
});

test("nested: an open stage lets its closed block collapse on its own", () => {
  const { graph } = collapsed(stagedBlock(), ["block:1", "stage:n12"]);
  assert.deepEqual(ids(graph.nodes), ["n0", "n1", "n2", "n3", "n4", "n10", "n12"]);
  const [h, y] = graph.nodes.slice(-2);
  assert.deepEqual([h.op, h.label, h.name, h.inputs, h.collapsed.kind], ["sigmoid", "σ", null, ["n4"], "block"]);
  assert.deepEqual([y.inputs, y.collapsed.count], [["n10"], 2]);
  assert.deepEqual(edgeList(graph), [
    [0, "n0", "n2", 0], [1, "n1", "n2", 1], [2, "n2", "n4", 0], [3, "n3", "n4", 1],
    [4, "n4", "n10", 0], [10, "n10", "n12", 0],
  ]);
});

test("a block with two exits: readers of its hidden gate read the block's node", () => {
  const { graph, owner } = collapsed(splitBlock(), ["block:3"]);
  assert.deepEqual(graph.nodes.map((n) => [n.id, n.inputs]),
    [["n0", []], ["n2", ["n0"]], ["n3", []], ["n4", ["n2", "n3"]], ["n5", ["n2", "n4"]]]);
  assert.deepEqual(edgeList(graph), [
    [0, "n0", "n2", 0], [1, "n0", "n2", 0], [2, "n2", "n4", 0], [3, "n3", "n4", 1],
    [4, "n2", "n5", 0], [5, "n4", "n5", 1],
  ]);
  assert.equal(owner.get("n1"), "n2");
});

test("a source hidden in another closed group feeds the box through that group's node", () => {
  const { graph } = collapsed(splitBlock(), ["block:3", "stage:n4"]);
  assert.deepEqual(graph.nodes.map((n) => [n.id, n.inputs]),
    [["n0", []], ["n2", ["n0"]], ["n4", ["n2"]], ["n5", ["n2", "n4"]]]);
  assert.deepEqual(edgeList(graph), [
    [0, "n0", "n2", 0], [1, "n0", "n2", 0], [2, "n2", "n4", 0], [4, "n2", "n5", 0],
    [5, "n4", "n5", 1],
  ]);
});

test("shared node: both stages closed, the shared product between them", () => {
  const { graph } = collapsed(sharedNode(), ["stage:n4", "stage:n6"]);
  assert.deepEqual(ids(graph.nodes), ["n0", "n1", "n2", "n4", "n6", "n7"]);
  assert.deepEqual(graph.nodes.map((n) => n.inputs),
    [[], [], ["n0", "n1"], ["n2"], ["n2"], ["n4", "n6"]]);
  assert.deepEqual(edgeList(graph), [
    [0, "n0", "n2", 0], [1, "n1", "n2", 1], [2, "n2", "n4", 0], [4, "n2", "n6", 0],
    [6, "n4", "n7", 0], [7, "n6", "n7", 1],
  ]);
});

test("x*x inside a closed stage: both edges kept, both at the box's only input", () => {
  const { graph, edgeOwner } = collapsed(square(), ["stage:n3"]);
  assert.deepEqual(ids(graph.nodes), ["n0", "n3"]);
  assert.deepEqual(graph.nodes[1].inputs, ["n0"]);
  assert.deepEqual(edgeList(graph), [[0, "n0", "n3", 0], [1, "n0", "n3", 0]]);
  assert.deepEqual([...edgeOwner.values()], [{ edge: 0 }, { edge: 1 }, { node: "n3" }, { node: "n3" }]);
});

// ---------------------------------------------------------------- size

/**
 * s_i = s_(i-1) * w + c_i for i = 1..stages, every 5th wrapped in an expanded sigmoid:
 * 21 nodes per 5 stages, 2 variables.
 */
function chain(stages) {
  const nodes = [];
  const add = (kind, op, inputs = [], extra = {}) => {
    const id = `n${nodes.length}`;
    nodes.push(node(id, kind, op, inputs, extra));
    return id;
  };
  let prev = add("variable", null, [], { name: "x" });
  const w = add("variable", null, [], { name: "w" });
  for (let i = 1; i <= stages; i++) {
    const m = add("op", "mul", [prev, w]);
    const c = add("constant", null);
    if (i % 5) {
      prev = add("op", "add", [m, c], { name: `s${i}` });
    } else {
      const block = { id: i / 5, op: "sigmoid" };
      const u = add("op", "add", [m, c]);
      const one = add("constant", null, [], { block });
      const one2 = add("constant", null);  // untagged, like some expansions make them
      const e = add("op", "exp", [add("op", "neg", [u], { block })], { block });
      prev = add("op", "div", [one, add("op", "add", [one2, e], { block })], { block, name: `s${i}` });
    }
  }
  return withEdges(nodes);
}

test("20,000-node chain: every stage and block found, all of them collapse", () => {
  const stages = 4760;
  const g = chain(stages);
  assert.equal(g.nodes.length, 2 + (stages / 5) * 21);
  const groups = groupsOf(g);
  const blocks = groups.filter((x) => x.kind === "block");
  assert.equal(blocks.length, stages / 5);
  assert.equal(groups.length, stages / 5 + stages);
  assert.deepEqual(groups.slice(stages / 5).map((x) => x.label),
    Array.from({ length: stages }, (_, i) => `s${i + 1}`));
  // The first five stages: n2..n7 are s1, s2; s5 (n14..) holds its block.
  const first = groups[stages / 5];
  assert.deepEqual(first, { id: "stage:n4", kind: "stage", label: "s1", output: "n4",
    members: ["n2", "n3", "n4"] });
  assert.deepEqual(groups[stages / 5 + 4].members,
    ["n14", "n15", "n16", "n17", "n18", "n19", "n20", "n21", "n22"]);
  assert.deepEqual(blocks[0].members, ["n17", "n18", "n19", "n20", "n21", "n22"]);

  const all = collapsed(g, groups.map((x) => x.id), groups);
  assert.equal(all.graph.nodes.length, 2 + stages);
  assert.equal(all.graph.edges.length, 2 * stages);
  assert.ok(all.graph.nodes.slice(2).every((n) => n.collapsed.kind === "stage"
    && n.inputs.length === 2 && n.inputs[1] === "n1"));
  assert.equal(all.owner.get("n20"), "n22");

  const onlyBlocks = collapse(g, new Set(blocks.map((x) => x.id)), groups);
  checkCollapsed(g, onlyBlocks);
  assert.equal(onlyBlocks.graph.nodes.length, g.nodes.length - 5 * blocks.length);
});
