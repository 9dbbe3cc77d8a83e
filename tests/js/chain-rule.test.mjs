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
