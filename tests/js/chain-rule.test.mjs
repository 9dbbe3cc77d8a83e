// The chain-rule panel: the arithmetic of each event, in the tutorial's notation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { displayName, explain as explainWith, forkInfo, outputName } from "../../static/js/chain-rule.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8"));
const OPS = load("ops");
const M = "\u2212";

// The page always has /api/ops (it says how each op is written); tests pass it too.
function explain(g, k, lang, options = {}) {
  return explainWith(g, k, lang, { ops: OPS, ...options });
}

// The k at which the edge event from `source` (a display name) is the current event.
function kOfEdge(g, sourceName, nth = 0) {
  const ks = g.steps.map((s, i) => [s, i + 1])
    .filter(([s]) => s.kind === "edge" && displayName(g, s.source) === sourceName);
  return ks[nth][1];
}

test("before the first step the panel invites the learner to step", () => {
  const g = load("chain-rule");
  const e = explain(g, 0, "en", { ops: OPS });
  assert.equal(e.kind, "idle");
  assert.equal(e.gate, null);
  assert.equal(e.fork, null);
  assert.match(e.lines[0], /Step forward/);
  assert.match(explain(g, 0, "ko").lines[0], /연쇄법칙/);
});

test("forward events show the op with names, input values and the result", () => {
  const g = load("chain-rule");
  assert.equal(explain(g, 1, "en").lines[1], `x + y = ${M}2 + 5 = 3`);
  assert.equal(explain(g, 2, "en").lines[1], `f = (x+y) \u00d7 z = 3 \u00d7 (${M}4) = ${M}12`);
  assert.equal(explain(g, 1, "en").kind, "forward");
});

test("a named stage is written with its name, as in q = x * y", () => {
  const g = load("fork");
  assert.equal(explain(g, 1, "en").lines[1], `q = x \u00d7 y = 3 \u00d7 (${M}2) = ${M}6`);
});

test("functions are written as they parse, and σ′ is stated as σ·(1 − σ) with its numbers", () => {
  const g = structuredClone(load("chain-rule"));
  // A one-node sigmoid graph built by hand, shaped like the API's.
  g.expression = "sigmoid(u)";
  g.nodes = [
    { id: "n0", kind: "variable", op: null, label: "u", name: "u", text: "u", inputs: [], shape: [], value: 1, grad: 0.19661193324148185, span: [8, 9] },
    { id: "n1", kind: "op", op: "sigmoid", label: "\u03c3", name: null, text: "sigmoid(u)", inputs: ["n0"], shape: [], value: 0.7310585786300049, grad: 1, span: [0, 10] },
  ];
  g.edges = [{ id: 0, source: "n0", target: "n1", index: 0, grad: 0.19661193324148185 }];
  g.output = "n1";
  g.steps = [
    { phase: "forward", kind: "node", node: "n1", value: 0.7310585786300049 },
    { phase: "backward", kind: "seed", node: "n1", grad: 1 },
    { phase: "backward", kind: "edge", edge: 0, source: "n0", target: "n1", index: 0, upstream: 1, local: 0.19661193324148185, contribution: 0.19661193324148185, accumulated: 0.19661193324148185 },
  ];
  assert.equal(explain(g, 1, "en").lines[1], "f = sigmoid(u) = sigmoid(1) = 0.7311");
  assert.equal(explain(g, 3, "en").lines[1], "\u2202f/\u2202u = \u03c3\u00b7(1 \u2212 \u03c3) = 0.7311\u00b7(1 \u2212 0.7311) = 0.1966");
  assert.equal(explain(g, 3, "en").lines.length, 2);
});

test("the seed is ∂f/∂f = 1 by default", () => {
  const e = explain(load("chain-rule"), 3, "en");
  assert.equal(e.kind, "seed");
  assert.equal(e.lines[1], "\u2202f/\u2202f = 1");
});

test("a given upstream gradient seeds ∂L/∂f and carries through the chain", () => {
  const g = load("add-upstream");
  assert.equal(explain(g, 2, "en").lines[1], `\u2202L/\u2202f = ${M}4`);
  assert.match(explain(g, 2, "en").lines[0], /given upstream/);
  assert.equal(explain(g, 3, "en").lines[1], "\u2202f/\u2202x = 1");
  assert.equal(explain(g, 3, "en").lines[2], `\u2202L/\u2202x = \u2202L/\u2202f \u00b7 \u2202f/\u2202x = ${M}4 \u00b7 1 = ${M}4`);
});

test("the tutorial's edge into x reads upstream × local = contribution: −4 · 1 = −4", () => {
  const g = load("chain-rule");
  const e = explain(g, kOfEdge(g, "x"), "en", { ops: OPS });
  assert.equal(e.kind, "edge");
  assert.equal(e.lines[1], "\u2202(x+y)/\u2202x = 1");
  assert.equal(e.lines[2], `\u2202f/\u2202x = \u2202f/\u2202(x+y) \u00b7 \u2202(x+y)/\u2202x = ${M}4 \u00b7 1 = ${M}4`);
  assert.equal(e.fork, null);
  assert.match(e.lines[0], /upstream gradient × local gradient/);
  assert.match(explain(g, kOfEdge(g, "x"), "ko").lines[0], /상위 기울기 × 지역 기울기/);
});

test("an edge into the output reads ∂f/∂q = local, not ∂f/∂f · ∂f/∂q", () => {
  const g = load("chain-rule");
  assert.deepEqual(explain(g, 4, "en").lines.slice(1), [`\u2202f/\u2202(x+y) = z = ${M}4`]);
  // with a given upstream gradient the product says something: ∂L/∂f · ∂f/∂x
  assert.equal(explain(load("add-upstream"), 3, "en").lines.length, 3);
});

test("negative local gradients are parenthesised: 4 · (−2) = −8", () => {
  const g = load("fork");
  const e = explain(g, kOfEdge(g, "x", 1), "en");
  assert.ok(e.lines.includes(`\u2202f/\u2202q \u00b7 \u2202q/\u2202x = 4 \u00b7 (${M}2) = ${M}8`), e.lines.join("\n"));
});

test("at a fork the running sum is shown: previous + contribution = accumulated", () => {
  const g = load("fork");
  const first = explain(g, kOfEdge(g, "x", 0), "en", { ops: OPS });
  const second = explain(g, kOfEdge(g, "x", 1), "en", { ops: OPS });
  assert.ok(first.lines.includes(`\u2202f/\u2202x += ${M}6 \u2192 0 + (${M}6) = ${M}6`));
  assert.ok(second.lines.includes(`\u2202f/\u2202x += ${M}8 \u2192 ${M}6 + (${M}8) = ${M}14`));
  assert.ok(second.lines.includes("x is used 2 times: its gradient is the sum"));
  // The edge's own product is still shown, without claiming it is all of ∂f/∂x.
  assert.ok(second.lines.includes(`\u2202f/\u2202q \u00b7 \u2202q/\u2202x = 4 \u00b7 (${M}2) = ${M}8`));
  assert.deepEqual(second.fork, { node: "n0", count: 2, complete: true, sum: -14,
    contributions: [{ edge: 3, value: -6 }, { edge: 0, value: -8 }] });
  assert.equal(first.fork.complete, false);
  assert.equal(first.fork.sum, -6);
});

test("the fork line is localized in Korean with the tutorial's words", () => {
  const g = load("fork");
  const e = explain(g, kOfEdge(g, "x", 1), "ko", { ops: OPS });
  assert.ok(e.lines.some((l) => /분기 지점 x/.test(l) && /누적/.test(l)));
});

test("forkInfo lists the edges leaving a node with their contributions and the sum", () => {
  const g = load("fork");
  assert.deepEqual(forkInfo(g, "n0"), { node: "n0", name: "x", count: 2, isFork: true, sum: -14,
    contributions: [{ edge: 0, target: "n2", value: -8 }, { edge: 3, target: "n3", value: -6 }] });
  const y = forkInfo(g, "n1");
  assert.equal(y.isFork, false);
  assert.equal(y.count, 1);
  assert.equal(forkInfo(g, "nope"), null);
  assert.equal(forkInfo(g, g.output).count, 0);
});

test("the add gate distributes, in both languages", () => {
  const g = load("chain-rule");
  const k = kOfEdge(g, "x");
  assert.match(explain(g, k, "en", { ops: OPS }).gate, /^Add gate: passes the upstream gradient to each input unchanged/);
  assert.match(explain(g, k, "ko", { ops: OPS }).gate, /^합 게이트: 상위 기울기를 각 입력에 그대로 분배/);
});

test("the multiply gate swaps: the local gradient is the other input's value", () => {
  const g = load("chain-rule");
  const e = explain(g, kOfEdge(g, "z"), "en", { ops: OPS });
  assert.equal(e.gate, "Multiply gate: the inputs swap \u2014 the local gradient of z is the other input's value: x+y = 3.");
  assert.match(explain(g, kOfEdge(g, "x+y"), "ko", { ops: OPS }).gate, /^곱 게이트: 서로 스와핑된 입력값이 지역 기울기.*z = −4/);
});

test("the max gate routes to the input that won and gives 0 to the other", () => {
  const g = load("max-gate");
  const win = explain(g, kOfEdge(g, "x"), "en", { ops: OPS });
  const lose = explain(g, kOfEdge(g, "y"), "en", { ops: OPS });
  assert.match(win.gate, /^Max gate: routes .* Selected: x, so it gets all of it/);
  assert.match(lose.gate, /^Max gate: routes .* Not selected: y, so it gets 0/);
  assert.equal(lose.lines[1], "\u2202max(x, y)/\u2202y = [y > x] = [2 > 4] = 0");
  assert.ok(lose.lines[2].endsWith(`${M}1 \u00b7 0 = 0`));
  assert.match(explain(g, kOfEdge(g, "x"), "ko", { ops: OPS }).gate, /^맥스 게이트: 전방패스에서 선택된 입력에만/);
});

test("without the ops list, or for ops with no pattern, there is no gate sentence", () => {
  const g = load("chain-rule");
  assert.equal(explainWith(g, kOfEdge(g, "x"), "en").gate, null);
  const nan = load("nan");
  const k = nan.steps.findIndex((s) => s.kind === "edge" && s.target === "n1") + 1; // into log
  assert.equal(explain(nan, k, "en", { ops: OPS }).gate, null);
  assert.equal(explain(nan, k, "en", { ops: OPS.ops }).gate, null);
});

test("ops may be passed as the /api/ops response or its list", () => {
  const g = load("chain-rule");
  const k = kOfEdge(g, "x");
  assert.equal(explain(g, k, "en", { ops: OPS }).gate, explain(g, k, "en", { ops: OPS.ops }).gate);
});

test("a tensor forward event shows the shapes: W @ X: (2×3) @ (3×4) → (2×4)", () => {
  const e = explain(load("matmul"), 1, "en");
  assert.equal(e.lines[1], "f = W @ X: (2\u00d73) @ (3\u00d74) \u2192 (2\u00d74)");
  assert.equal(e.lines[2], "f = [[4, 5, 4, 7], [10, 11, 13, 16]]");
});

test("a tensor edge shows the rule with shapes: ∂L/∂W = G·Xᵀ: (2×4)·(4×3) → (2×3)", () => {
  const g = load("matmul");
  const w = explain(g, kOfEdge(g, "W"), "en", { ops: OPS });
  assert.equal(w.lines[1], "\u2202L/\u2202W = G\u00b7X\u1d40: (2\u00d74)\u00b7(4\u00d73) \u2192 (2\u00d73)");
  assert.ok(w.lines.includes("G = \u2202L/\u2202f"));
  assert.ok(w.lines.includes(`\u2202L/\u2202W = [[2, 0, 3], [${M}2, 0, 1]]`));
  const x = explain(g, kOfEdge(g, "X"), "en", { ops: OPS });
  assert.equal(x.lines[1], "\u2202L/\u2202X = W\u1d40\u00b7G: (3\u00d72)\u00b7(2\u00d74) \u2192 (3\u00d74)");
  assert.match(x.lines[0], /shape of X/);
});

test("a reduction edge shows the upstream shape and the source's shape", () => {
  const g = load("sum-square");
  const e = explain(g, g.steps.length, "en", { ops: OPS });
  assert.equal(e.lines[1], `\u2202f/\u2202x = ${g.steps.at(-1).local}: () \u2192 (2)`);
  assert.ok(e.lines.includes("\u2202f/\u2202x = [6, 6]"));
});

test("summarised tensors are shown by range, never dumped", () => {
  const g = load("summary");
  const e = explain(g, 1, "en");
  assert.equal(e.lines[1], "f = W @ X: (80\u00d780) @ (80\u00d780) \u2192 (80\u00d780)");
  assert.match(e.lines[2], /^f = 80×80: 15\.8 … 47\.4$/);
});

test("non-finite numbers are shown as ∞ and NaN, not as errors", () => {
  const g = load("nan");
  assert.equal(explain(g, 1, "en").lines[1], `log(x) = log(0) = ${M}\u221e`);
  assert.equal(explain(g, 2, "en").lines[1], `f = x \u00d7 log(x) = 0 \u00d7 (${M}\u221e) = NaN`);
  const last = explain(g, g.steps.length, "en", { ops: OPS });
  assert.ok(last.lines.includes(`\u2202f/\u2202x += NaN \u2192 ${M}\u221e + NaN = NaN`));
});

test("display names: assigned name, label, source text, else written from the inputs — never an id", () => {
  const g = load("sigmoid-expanded");
  assert.equal(displayName(g, "n0"), "w0");
  assert.equal(displayName(g, "n2"), "w0*x0");
  assert.equal(displayName(g, "n9"), "1");
  // Inside an expanded block every node carries the block's span; only its output may use
  // it. The others are written from their inputs, as the engine writes them.
  assert.equal(displayName(g, "n12"), "exp(\u2212(w0*x0 + w1*x1 + w2))");
  assert.equal(displayName(g, "n13"), "1 + exp(\u2212(w0*x0 + w1*x1 + w2))");
  for (const n of g.nodes) assert.ok(!displayName(g, n.id).includes("#"), n.id);
  assert.equal(displayName(g, g.output), "f");
  assert.equal(outputName(g), "f");
  assert.equal(outputName(load("fork")), "f");
});

test("the output keeps its assigned name, and 'f' gives way to a variable called f", () => {
  const g = structuredClone(load("chain-rule"));
  g.nodes.find((n) => n.id === g.output).name = "loss";
  assert.equal(outputName(g), "loss");
  assert.equal(explain(g, 3, "en").lines[1], "\u2202loss/\u2202loss = 1");
  const h = structuredClone(load("chain-rule"));
  h.nodes[0].name = "f";
  h.nodes[0].label = "f";
  assert.equal(outputName(h), "out");
});

test("explain never throws on out-of-range k and covers every event of every fixture", () => {
  for (const name of ["chain-rule", "fork", "matmul", "nan", "sigmoid-expanded", "max-gate", "sum-square", "add-upstream", "dead-node", "summary"]) {
    const g = load(name);
    for (let k = -1; k <= g.steps.length + 1; k += 1) {
      for (const lang of ["en", "ko"]) {
        const e = explain(g, k, lang, { ops: OPS, digits: 3 });
        assert.ok(["idle", "forward", "seed", "edge"].includes(e.kind));
        assert.ok(e.lines.length >= 1 && e.lines.every((l) => typeof l === "string" && l.length > 0));
        assert.ok(!e.lines.some((l) => /undefined|\{[a-z]+\}/.test(l)), `${name} ${k} ${lang}: ${e.lines}`);
        assert.ok(!e.lines.some((l) => /#\d/.test(l)), `an id in ${name} ${k}: ${e.lines}`);
      }
    }
  }
});

test("an edge step carries its op's local derivative as LaTeX, for the page to typeset", () => {
  const g = load("chain-rule");
  const e = explain(g, kOfEdge(g, "z"), "en");
  assert.equal(e.latex, OPS.ops.find((op) => op.name === "mul").latex[1]);
  assert.equal(explain(g, 1, "en").latex, undefined);
});

test("a matrix rule is checked on its first entry with the numbers, as the tutorial does", () => {
  const g = load("matmul"); // W 2×3, X 3×4, G 2×4
  const w = explain(g, kOfEdge(g, "W"), "en");
  // ∂L/∂W[0][0] = G[0] · X[0] = 1·1 + 0·0 + 0·2 + 1·1 = 2 (the first entry of [[2, 0, 3], …])
  assert.ok(w.lines.includes("Entry (1, 1) = row 1 of G \u00b7 row 1 of X = 1\u00b71 + 0\u00b70 + 0\u00b72 + 1\u00b71 = 2"), w.lines.join("\n"));
  const x = explain(g, kOfEdge(g, "X"), "ko");
  // ∂L/∂X[0][0] = W[:,0] · G[:,0] = 1·1 + 4·0 = 1
  assert.ok(x.lines.includes("(1, 1) 원소 = W의 1열 \u00b7 G의 1열 = 1\u00b71 + 4\u00b70 = 1"), x.lines.join("\n"));
});

// ------------------------------------------------------------------ one entry at a time
// Real /api/graph answers (app.main via TestClient; the engine's `gradients`, `value`,
// `warnings`, node spans and edge grads left out), one node, edge or step a line.
//   BROADCAST: every add/sub/neg/mul case, with b (1×3), c (2×1), w and s broadcast
//   VECTOR: a 9-vector plus a scalar (a long Σ(G), elided)
//   WIDE: W (2×2) @ X (2×7), so ∂W's dot products have 7 terms (elided)
//   EXP: a rule whose local factor must be computed (exp), so it has no entry story
const EXP = { expression: "y = exp(v)", output: "n1",
  nodes: [
    {"id":"n0","kind":"variable","op":null,"label":"v","name":"v","text":"v","inputs":[],"shape":[2],"value":[0,1],"grad":[1,5.43656365691809]},
    {"id":"n1","kind":"op","op":"exp","label":"exp","name":"y","text":"y","inputs":["n0"],"shape":[2],"value":[1,2.718281828459045],"grad":[1,2]},
  ],
  edges: [
    {"id":0,"source":"n0","target":"n1","index":0},
  ],
  steps: [
    {"phase":"forward","kind":"node","node":"n1","value":[1,2.718281828459045]},
    {"phase":"backward","kind":"seed","node":"n1","grad":[1,2]},
    {"phase":"backward","kind":"edge","edge":0,"source":"n0","target":"n1","index":0,"upstream":[1,2],"local":"G⊙exp(v)","contribution":[1,5.43656365691809],"accumulated":[1,5.43656365691809],"shapes":{"upstream":[2],"source":[2]}},
  ],
};
const BROADCAST = { expression: "Z = -(A * X) + b - c * X + w * A - s", output: "n13",
  nodes: [
    {"id":"n0","kind":"variable","op":null,"label":"A","name":"A","text":"A","inputs":[],"shape":[2,3],"value":[[1,-2,0.5],[2,1,-1]],"grad":[[-0.5,-0.5,5],[0.75,-3,-10.5]]},
    {"id":"n1","kind":"variable","op":null,"label":"X","name":"X","text":"X","inputs":[],"shape":[2,3],"value":[[2,1,-1],[0,3,-2]],"grad":[[-3,0,-5],[-0.75,-1,-4.5]]},
    {"id":"n2","kind":"op","op":"mul","label":"×","name":null,"text":"A * X","inputs":["n0","n1"],"shape":[2,3],"value":[[2,-2,-0.5],[0,3,2]],"grad":[[-1,1,-2],[-0.5,-2,3]]},
    {"id":"n3","kind":"op","op":"neg","label":"−","name":null,"text":"-(A * X)","inputs":["n2"],"shape":[2,3],"value":[[-2,2,0.5],[-0,-3,-2]],"grad":[[1,-1,2],[0.5,2,-3]]},
    {"id":"n4","kind":"variable","op":null,"label":"b","name":"b","text":"b","inputs":[],"shape":[1,3],"value":[[1,2,3]],"grad":[[1.5,1,-1]]},
    {"id":"n5","kind":"op","op":"add","label":"+","name":null,"text":"-(A * X) + b","inputs":["n3","n4"],"shape":[2,3],"value":[[-1,4,3.5],[1,-1,1]],"grad":[[1,-1,2],[0.5,2,-3]]},
    {"id":"n6","kind":"variable","op":null,"label":"c","name":"c","text":"c","inputs":[],"shape":[2,1],"value":[[2],[-0.5]],"grad":[[1],[-12]]},
    {"id":"n7","kind":"op","op":"mul","label":"×","name":null,"text":"c * X","inputs":["n6","n1"],"shape":[2,3],"value":[[4,2,-2],[-0,-1.5,1]],"grad":[[-1,1,-2],[-0.5,-2,3]]},
    {"id":"n8","kind":"op","op":"sub","label":"−","name":null,"text":"-(A * X) + b - c * X","inputs":["n5","n7"],"shape":[2,3],"value":[[-5,2,5.5],[1,0.5,0]],"grad":[[1,-1,2],[0.5,2,-3]]},
    {"id":"n9","kind":"variable","op":null,"label":"w","name":"w","text":"w","inputs":[],"shape":[],"value":1.5,"grad":10},
    {"id":"n10","kind":"op","op":"mul","label":"×","name":null,"text":"w * A","inputs":["n9","n0"],"shape":[2,3],"value":[[1.5,-3,0.75],[3,1.5,-1.5]],"grad":[[1,-1,2],[0.5,2,-3]]},
    {"id":"n11","kind":"op","op":"add","label":"+","name":null,"text":"-(A * X) + b - c * X + w * A","inputs":["n8","n10"],"shape":[2,3],"value":[[-3.5,-1,6.25],[4,2,-1.5]],"grad":[[1,-1,2],[0.5,2,-3]]},
    {"id":"n12","kind":"variable","op":null,"label":"s","name":"s","text":"s","inputs":[],"shape":[],"value":2,"grad":-1.5},
    {"id":"n13","kind":"op","op":"sub","label":"−","name":"Z","text":"Z","inputs":["n11","n12"],"shape":[2,3],"value":[[-5.5,-3,4.25],[2,0,-3.5]],"grad":[[1,-1,2],[0.5,2,-3]]},
  ],
  edges: [
    {"id":0,"source":"n0","target":"n2","index":0},
    {"id":1,"source":"n1","target":"n2","index":1},
    {"id":2,"source":"n2","target":"n3","index":0},
    {"id":3,"source":"n3","target":"n5","index":0},
    {"id":4,"source":"n4","target":"n5","index":1},
    {"id":5,"source":"n6","target":"n7","index":0},
    {"id":6,"source":"n1","target":"n7","index":1},
    {"id":7,"source":"n5","target":"n8","index":0},
    {"id":8,"source":"n7","target":"n8","index":1},
    {"id":9,"source":"n9","target":"n10","index":0},
    {"id":10,"source":"n0","target":"n10","index":1},
    {"id":11,"source":"n8","target":"n11","index":0},
    {"id":12,"source":"n10","target":"n11","index":1},
    {"id":13,"source":"n11","target":"n13","index":0},
    {"id":14,"source":"n12","target":"n13","index":1},
  ],
  steps: [
    {"phase":"forward","kind":"node","node":"n2","value":[[2,-2,-0.5],[0,3,2]]},
    {"phase":"forward","kind":"node","node":"n3","value":[[-2,2,0.5],[-0,-3,-2]]},
    {"phase":"forward","kind":"node","node":"n5","value":[[-1,4,3.5],[1,-1,1]]},
    {"phase":"forward","kind":"node","node":"n7","value":[[4,2,-2],[-0,-1.5,1]]},
    {"phase":"forward","kind":"node","node":"n8","value":[[-5,2,5.5],[1,0.5,0]]},
    {"phase":"forward","kind":"node","node":"n10","value":[[1.5,-3,0.75],[3,1.5,-1.5]]},
    {"phase":"forward","kind":"node","node":"n11","value":[[-3.5,-1,6.25],[4,2,-1.5]]},
    {"phase":"forward","kind":"node","node":"n13","value":[[-5.5,-3,4.25],[2,0,-3.5]]},
    {"phase":"backward","kind":"seed","node":"n13","grad":[[1,-1,2],[0.5,2,-3]]},
    {"phase":"backward","kind":"edge","edge":13,"source":"n11","target":"n13","index":0,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"G","contribution":[[1,-1,2],[0.5,2,-3]],"accumulated":[[1,-1,2],[0.5,2,-3]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":14,"source":"n12","target":"n13","index":1,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"Σ(−G)","contribution":-1.5,"accumulated":-1.5,"shapes":{"upstream":[2,3],"source":[]}},
    {"phase":"backward","kind":"edge","edge":11,"source":"n8","target":"n11","index":0,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"G","contribution":[[1,-1,2],[0.5,2,-3]],"accumulated":[[1,-1,2],[0.5,2,-3]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":12,"source":"n10","target":"n11","index":1,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"G","contribution":[[1,-1,2],[0.5,2,-3]],"accumulated":[[1,-1,2],[0.5,2,-3]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":9,"source":"n9","target":"n10","index":0,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"Σ(G⊙A)","contribution":10,"accumulated":10,"shapes":{"upstream":[2,3],"source":[]}},
    {"phase":"backward","kind":"edge","edge":10,"source":"n0","target":"n10","index":1,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"G⊙w","contribution":[[1.5,-1.5,3],[0.75,3,-4.5]],"accumulated":[[1.5,-1.5,3],[0.75,3,-4.5]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":7,"source":"n5","target":"n8","index":0,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"G","contribution":[[1,-1,2],[0.5,2,-3]],"accumulated":[[1,-1,2],[0.5,2,-3]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":8,"source":"n7","target":"n8","index":1,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"−G","contribution":[[-1,1,-2],[-0.5,-2,3]],"accumulated":[[-1,1,-2],[-0.5,-2,3]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":5,"source":"n6","target":"n7","index":0,"upstream":[[-1,1,-2],[-0.5,-2,3]],"local":"Σ₁(G⊙X)","contribution":[[1],[-12]],"accumulated":[[1],[-12]],"shapes":{"upstream":[2,3],"source":[2,1]}},
    {"phase":"backward","kind":"edge","edge":6,"source":"n1","target":"n7","index":1,"upstream":[[-1,1,-2],[-0.5,-2,3]],"local":"G⊙c","contribution":[[-2,2,-4],[0.25,1,-1.5]],"accumulated":[[-2,2,-4],[0.25,1,-1.5]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":3,"source":"n3","target":"n5","index":0,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"G","contribution":[[1,-1,2],[0.5,2,-3]],"accumulated":[[1,-1,2],[0.5,2,-3]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":4,"source":"n4","target":"n5","index":1,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"Σ₀(G)","contribution":[[1.5,1,-1]],"accumulated":[[1.5,1,-1]],"shapes":{"upstream":[2,3],"source":[1,3]}},
    {"phase":"backward","kind":"edge","edge":2,"source":"n2","target":"n3","index":0,"upstream":[[1,-1,2],[0.5,2,-3]],"local":"−G","contribution":[[-1,1,-2],[-0.5,-2,3]],"accumulated":[[-1,1,-2],[-0.5,-2,3]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":0,"source":"n0","target":"n2","index":0,"upstream":[[-1,1,-2],[-0.5,-2,3]],"local":"G⊙X","contribution":[[-2,1,2],[-0,-6,-6]],"accumulated":[[-0.5,-0.5,5],[0.75,-3,-10.5]],"shapes":{"upstream":[2,3],"source":[2,3]}},
    {"phase":"backward","kind":"edge","edge":1,"source":"n1","target":"n2","index":1,"upstream":[[-1,1,-2],[-0.5,-2,3]],"local":"G⊙A","contribution":[[-1,-2,-1],[-1,-2,-3]],"accumulated":[[-3,0,-5],[-0.75,-1,-4.5]],"shapes":{"upstream":[2,3],"source":[2,3]}},
  ],
};
const VECTOR = { expression: "y = v + s", output: "n2",
  nodes: [
    {"id":"n0","kind":"variable","op":null,"label":"v","name":"v","text":"v","inputs":[],"shape":[9],"value":[1,2,3,4,5,6,7,8,9],"grad":[2,-1,0.5,1,0,-2,3,1,-0.5]},
    {"id":"n1","kind":"variable","op":null,"label":"s","name":"s","text":"s","inputs":[],"shape":[],"value":0.5,"grad":4},
    {"id":"n2","kind":"op","op":"add","label":"+","name":"y","text":"y","inputs":["n0","n1"],"shape":[9],"value":[1.5,2.5,3.5,4.5,5.5,6.5,7.5,8.5,9.5],"grad":[2,-1,0.5,1,0,-2,3,1,-0.5]},
  ],
  edges: [
    {"id":0,"source":"n0","target":"n2","index":0},
    {"id":1,"source":"n1","target":"n2","index":1},
  ],
  steps: [
    {"phase":"forward","kind":"node","node":"n2","value":[1.5,2.5,3.5,4.5,5.5,6.5,7.5,8.5,9.5]},
    {"phase":"backward","kind":"seed","node":"n2","grad":[2,-1,0.5,1,0,-2,3,1,-0.5]},
    {"phase":"backward","kind":"edge","edge":0,"source":"n0","target":"n2","index":0,"upstream":[2,-1,0.5,1,0,-2,3,1,-0.5],"local":"G","contribution":[2,-1,0.5,1,0,-2,3,1,-0.5],"accumulated":[2,-1,0.5,1,0,-2,3,1,-0.5],"shapes":{"upstream":[9],"source":[9]}},
    {"phase":"backward","kind":"edge","edge":1,"source":"n1","target":"n2","index":1,"upstream":[2,-1,0.5,1,0,-2,3,1,-0.5],"local":"Σ(G)","contribution":4,"accumulated":4,"shapes":{"upstream":[9],"source":[]}},
  ],
};
const WIDE = { expression: "D = W @ X", output: "n2",
  nodes: [
    {"id":"n0","kind":"variable","op":null,"label":"W","name":"W","text":"W","inputs":[],"shape":[2,2],"value":[[1,-1],[2,0.5]],"grad":[[-2.5,1],[10,-1]]},
    {"id":"n1","kind":"variable","op":null,"label":"X","name":"X","text":"X","inputs":[],"shape":[2,7],"value":[[1,2,0,-1,3,1,2],[0,1,1,2,-1,0.5,1]],"grad":[[5,2,-1,0,2.5,1,0],[0,0.5,1,-2.5,0,-1,2.5]]},
    {"id":"n2","kind":"op","op":"matmul","label":"@","name":"D","text":"D","inputs":["n0","n1"],"shape":[2,7],"value":[[1,1,-1,-3,4,0.5,1],[2,4.5,0.5,-1,5.5,2.25,4.5]],"grad":[[1,0,-1,2,0.5,1,-2],[2,1,0,-1,1,0,1]]},
  ],
  edges: [
    {"id":0,"source":"n0","target":"n2","index":0},
    {"id":1,"source":"n1","target":"n2","index":1},
  ],
  steps: [
    {"phase":"forward","kind":"node","node":"n2","value":[[1,1,-1,-3,4,0.5,1],[2,4.5,0.5,-1,5.5,2.25,4.5]]},
    {"phase":"backward","kind":"seed","node":"n2","grad":[[1,0,-1,2,0.5,1,-2],[2,1,0,-1,1,0,1]]},
    {"phase":"backward","kind":"edge","edge":0,"source":"n0","target":"n2","index":0,"upstream":[[1,0,-1,2,0.5,1,-2],[2,1,0,-1,1,0,1]],"local":"G·Xᵀ","contribution":[[-2.5,1],[10,-1]],"accumulated":[[-2.5,1],[10,-1]],"shapes":{"upstream":[2,7],"source":[2,2]}},
    {"phase":"backward","kind":"edge","edge":1,"source":"n1","target":"n2","index":1,"upstream":[[1,0,-1,2,0.5,1,-2],[2,1,0,-1,1,0,1]],"local":"Wᵀ·G","contribution":[[5,2,-1,0,2.5,1,0],[0,0.5,1,-2.5,0,-1,2.5]],"accumulated":[[5,2,-1,0,2.5,1,0],[0,0.5,1,-2.5,0,-1,2.5]],"shapes":{"upstream":[2,7],"source":[2,7]}},
  ],
};

const ENTRY_GRAPHS = { BROADCAST, VECTOR, WIDE, matmul: load("matmul") };

// A value as a matrix, the way the forward pass broadcast it: a scalar 1×1, a vector a row.
const lift = (v) => (typeof v === "number" ? [[v]] : typeof v[0] === "number" ? [v] : v);
const nodeOf = (g, id) => g.nodes.find((n) => n.id === id);

// The terms of entry (i, j) of the gradient an edge sends back, straight from the
// definitions, with the target's gradient G and the operands' values only (never the step's
// upstream, local or contribution): each term is what one product G·local adds.
function expectedTerms(g, step, [i, j]) {
  const target = nodeOf(g, step.target);
  const G = lift(target.grad);
  const [A, B] = target.inputs.map((id) => lift(nodeOf(g, id).value));
  if (target.op === "matmul") {
    return step.index === 0
      ? G[i].map((x, k) => x * B[j][k])
      : A.map((row, k) => row[i] * G[k][j]);
  }
  const source = lift(nodeOf(g, step.source).value);
  const at = (m, r, c) => m[m.length === 1 ? 0 : r][m[0].length === 1 ? 0 : c];
  const local = {
    add: () => 1,
    sub: () => (step.index === 0 ? 1 : -1),
    neg: () => -1,
    mul: (r, c) => at(step.index === 0 ? B : A, r, c),
  }[target.op];
  // Broadcasting copied source cell (i, j) to every cell of G that maps back to it.
  const terms = [];
  G.forEach((row, r) => row.forEach((x, c) => {
    const back = [source.length === 1 ? 0 : r, source[0].length === 1 ? 0 : c];
    if (back[0] === i && back[1] === j) terms.push(x * local(r, c));
  }));
  return terms;
}

const parse = (text) => Number(text.replace(/[()]/g, "").replaceAll(M, "-"));
const near = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

// "… = 1·2 + (−1)·3 + … = 4": the written terms (each a product of its factors) and value.
function writtenArithmetic(line) {
  const parts = line.split(" = ");
  const terms = parts.at(-2).split(" + ").map((term) =>
    term === "\u2026" ? null : term.split(/ ?\u00b7 ?/).map(parse).reduce((x, y) => x * y, 1));
  return { terms, value: parse(parts.at(-1)) };
}

function tensorEdges(g) {
  return g.steps.map((s, i) => [s, i + 1]).filter(([s]) => s.kind === "edge" && s.shapes);
}

test("every entry of every tensor edge is the arithmetic it claims, recomputed from the raw values", () => {
  let checked = 0;
  for (const [name, g] of Object.entries(ENTRY_GRAPHS)) {
    for (const [step, k] of tensorEdges(g)) {
      const out = lift(step.contribution);
      for (let i = 0; i < out.length; i += 1) {
        for (let j = 0; j < out[0].length; j += 1) {
          const e = explain(g, k, "en", { entry: [i, j], digits: 6 });
          const where = `${name} ${displayName(g, step.source)}→${displayName(g, step.target)} (${i}, ${j})`;
          assert.ok(e.entry, where);
          assert.deepEqual([e.entry.index, e.entry.rows, e.entry.cols], [[i, j], out.length, out[0].length], where);
          assert.ok(e.lines.includes(e.entry.line), where);
          const expected = expectedTerms(g, step, [i, j]);
          const total = expected.reduce((x, y) => x + y, 0);
          assert.ok(near(total, out[i][j]), `${where}: the step's contribution ${out[i][j]} vs ${total}`);
          const written = writtenArithmetic(e.entry.line);
          assert.ok(near(written.value, total), `${where}: ${e.entry.line}`);
          // Written out in full, or its first 3 terms and "…" when there are more than fit.
          const shown = written.terms.at(-1) === null ? written.terms.slice(0, -1) : written.terms;
          assert.equal(shown.length, written.terms.at(-1) === null ? 3 : expected.length, where);
          shown.forEach((x, n) => assert.ok(near(x, expected[n]), `${where} term ${n + 1}: ${e.entry.line}`));
          checked += 1;
        }
      }
    }
  }
  assert.ok(checked > 60, `${checked} entries`);
});

test("a matrix rule walks entry by entry: row i of G · row j of X, column i of W · column j of G", () => {
  const g = load("matmul");
  const w = explain(g, kOfEdge(g, "W"), "en", { entry: [1, 2] });
  // ∂L/∂W[1][2] = G[1] · X[2] = 0·1 + 1·1 + (−1)·0 + 0·2 = 1
  assert.equal(w.entry.line, `Entry (2, 3) = row 2 of G \u00b7 row 3 of X = 0\u00b71 + 1\u00b71 + (${M}1)\u00b70 + 0\u00b72 = 1`);
  assert.deepEqual([w.entry.index, w.entry.rows, w.entry.cols], [[1, 2], 2, 3]);
  const x = explain(g, kOfEdge(g, "X"), "ko", { entry: [2, 1] });
  assert.equal(x.entry.line, "(3, 2) 원소 = W의 3열 \u00b7 G의 2열 = 3\u00b70 + 6\u00b71 = 6");
  // The default entry is (1, 1), the tutorial's check, and it is among the lines.
  assert.equal(explain(g, kOfEdge(g, "W"), "en").entry.line, "Entry (1, 1) = row 1 of G \u00b7 row 1 of X = 1\u00b71 + 0\u00b70 + 0\u00b72 + 1\u00b71 = 2");
});

test("a dot product too long to write keeps its first 3 terms and its value", () => {
  const w = explain(WIDE, kOfEdge(WIDE, "W"), "en");
  assert.equal(w.entry.line, `Entry (1, 1) = row 1 of G \u00b7 row 1 of X = 1\u00b71 + 0\u00b72 + (${M}1)\u00b70 + \u2026 = ${M}2.5`);
});

test("a broadcast operand's entry is the sum of the cells it was copied to", () => {
  const g = BROADCAST; // b is 1×3, c is 2×1, w and s are scalars; G is 2×3
  const entry = (source, at, lang = "en", nth = 0) => explain(g, kOfEdge(g, source, nth), lang, { entry: at }).entry;
  assert.equal(entry("b", [0, 2]).line, `Entry (1, 3) = \u03a3 of column 3 of G = 2 + (${M}3) = ${M}1`);
  assert.equal(entry("c", [1, 0]).line,
    `Entry (2, 1) = \u03a3 of row 2 of (G\u2299X) = ${M}0.5\u00b70 + (${M}2)\u00b73 + 3\u00b7(${M}2) = ${M}12`);
  assert.equal(entry("c", [1, 0], "ko").line,
    `(2, 1) 원소 = \u03a3((G\u2299X)의 2행) = ${M}0.5\u00b70 + (${M}2)\u00b73 + 3\u00b7(${M}2) = ${M}12`);
  assert.equal(entry("b", [0, 0], "ko").line, "(1, 1) 원소 = \u03a3(G의 1열) = 1 + 0.5 = 1.5");
  // A scalar's rule is its whole story, as before: Σ(−G), Σ(G⊙A) with the numbers.
  assert.equal(entry("s").line, `\u03a3(${M}G) = ${M}1 + 1 + (${M}2) + (${M}0.5) + (${M}2) + 3 = ${M}1.5`);
  assert.equal(entry("w").line, `\u03a3(G\u2299A) = 1\u00b71 + (${M}1)\u00b7(${M}2) + 2\u00b70.5 + 0.5\u00b72 + 2\u00b71 + (${M}3)\u00b7(${M}1) = 10`);
  assert.deepEqual([entry("s").rows, entry("s").cols, entry("b").rows, entry("b").cols, entry("c").rows, entry("c").cols],
    [1, 1, 1, 3, 2, 1]);
  assert.equal(explain(VECTOR, kOfEdge(VECTOR, "s"), "en").entry.line, `\u03a3(G) = 2 + (${M}1) + 0.5 + \u2026 = 4`);
});

test("an elementwise entry is G(i, j) times a local factor that is a value at hand", () => {
  const g = BROADCAST;
  const entry = (source, target, at) => {
    const k = g.steps.findIndex((s) => s.kind === "edge" && displayName(g, s.source) === source && displayName(g, s.target) === target) + 1;
    return explain(g, k, "en", { entry: at }).entry.line;
  };
  assert.equal(entry("A", "A * X", [1, 2]), `Entry (2, 3) = G(2, 3) \u00b7 X(2, 3) = 3 \u00b7 (${M}2) = ${M}6`);
  // c (2×1) was stretched over the columns: its cell is written where it was read from.
  assert.equal(entry("X", "c * X", [1, 2]), `Entry (2, 3) = G(2, 3) \u00b7 c(2, 1) = 3 \u00b7 (${M}0.5) = ${M}1.5`);
  assert.equal(entry("A", "w * A", [0, 0]), "Entry (1, 1) = G(1, 1) \u00b7 w = 1 \u00b7 1.5 = 1.5");
  assert.equal(entry("c * X", "-(A * X) + b - c * X", [0, 0]), `Entry (1, 1) = G(1, 1) \u00b7 (${M}1) = 1 \u00b7 (${M}1) = ${M}1`);
  assert.equal(entry("A * X", "-(A * X)", [1, 2]), `Entry (2, 3) = G(2, 3) \u00b7 (${M}1) = ${M}3 \u00b7 (${M}1) = 3`);
  // A vector is one row.
  assert.equal(explain(VECTOR, kOfEdge(VECTOR, "v"), "en", { entry: [0, 8] }).entry.line,
    `Entry (1, 9) = G(1, 9) \u00b7 1 = ${M}0.5 \u00b7 1 = ${M}0.5`);
});

test("the entry index is clamped into the source's rows and columns, (1, 1) by default", () => {
  const g = load("matmul"); // ∂W is 2×3
  const k = kOfEdge(g, "W");
  const at = (entry) => explain(g, k, "en", { entry }).entry.index;
  assert.deepEqual(at(undefined), [0, 0]);
  assert.deepEqual(at([9, 9]), [1, 2]);
  assert.deepEqual(at([-3, 1.7]), [0, 1]);
  assert.deepEqual(at(["x", null]), [0, 0]);
  assert.deepEqual(at("nonsense"), [0, 0]);
  // A scalar source has one entry only.
  assert.deepEqual(explain(BROADCAST, kOfEdge(BROADCAST, "s"), "en", { entry: [4, 4] }).entry.index, [0, 0]);
});

test("no entry for scalar steps, reductions, summaries or a local factor that must be computed", () => {
  const scalar = load("chain-rule");
  for (let k = 0; k <= scalar.steps.length; k += 1) assert.equal(explain(scalar, k, "en", { entry: [0, 0] }).entry, null);
  const sum = load("sum-square"); // into sum(x): G·𝟙, no per-entry rule here
  assert.equal(explain(sum, sum.steps.length, "en").entry, null);
  const big = load("summary");
  for (const [, k] of tensorEdges(big)) assert.equal(explain(big, k, "en").entry, null);
  // exp's factor is exp(v): writing it would need a number the graph only has as the answer.
  const e = explain(EXP, EXP.steps.length, "en");
  assert.equal(e.entry, null);
  assert.ok(!e.lines.some((l) => /Entry/.test(l)));
  assert.equal(explain(BROADCAST, 1, "en").entry, null); // a forward event
});
