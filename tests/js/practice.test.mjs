// Practice mode: questions from the trace, answers read and checked to the shown precision,
// hints in order, and a score that survives localStorage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatNumber, formatValue } from "../../static/js/format.js";
import {
  bestOf, checkAnswer, deserialize, feedback, hints, newScore, parseAnswer, promptText, questionAt,
  questionSteps, record, scoreKey, scoreText, serialize, tally, wrongSteps,
} from "../../static/js/practice.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8"));
const OPS = load("ops");
const M = "\u2212";

// The timeline's k of every backward edge event (k shows steps[k − 1]).
function edgeKs(g) {
  return g.steps.map((s, i) => [s, i + 1]).filter(([s]) => s.kind === "edge").map(([, k]) => k);
}

test("every backward edge step of (x+y)*z is a gradient question answered by its contribution", () => {
  const g = load("chain-rule");
  const ks = edgeKs(g);
  assert.deepEqual(ks, [4, 5, 6, 7]);
  for (const k of ks) {
    const q = questionAt(g, k);
    assert.equal(q.kind, "gradient");
    assert.equal(q.k, k);
    assert.deepEqual(q.shape, []);
    assert.equal(q.answer, g.steps[k - 1].contribution);
    assert.equal(q.edge, g.steps[k - 1].edge);
  }
  assert.deepEqual(questionAt(g, 6).params, { source: "x", target: "x+y" });
  assert.deepEqual([4, 5, 6, 7].map((k) => questionAt(g, k).answer), [-4, 3, -4, -4]);
  assert.deepEqual(questionSteps(g), [4, 5, 6, 7]);
});

test("forward steps are asked only on request, the seed and out-of-range ks never", () => {
  const g = load("chain-rule");
  assert.equal(questionAt(g, 1), null);
  assert.equal(questionAt(g, 3, { forward: true }), null); // the seed
  assert.equal(questionAt(g, 0, { forward: true }), null);
  assert.equal(questionAt(g, 8, { forward: true }), null);
  const q = questionAt(g, 2, { forward: true });
  assert.deepEqual({ kind: q.kind, node: q.node, answer: q.answer, params: q.params },
    { kind: "value", node: "n4", answer: -12, params: { node: "f" } });
  assert.deepEqual(questionSteps(g, { forward: true }), [1, 2, 4, 5, 6, 7]);
  assert.equal(promptText(q, "en"), "What value does the forward pass compute for f?");
  assert.equal(promptText(questionAt(g, 6), "en"), "What gradient does x+y send back to x?");
});

test("the right number is right typed as shown or loosely; a wrong one is not", () => {
  const g = load("chain-rule");
  const q = questionAt(g, 6); // ∂f/∂x = −4
  const shown = formatNumber(q.answer, 4);
  assert.equal(shown, `${M}4`);
  for (const typed of [shown, "-4", `${M}4`, "-4.000", "-4.0001", " -4 ", "-4e0", "-3.9999"]) {
    assert.deepEqual(checkAnswer(q, typed, 4), { correct: true, attempt: true, expected: `${M}4` }, typed);
  }
  for (const typed of ["4", "-3.9", "-4.01", "-3.997"]) {
    assert.deepEqual(checkAnswer(q, typed, 4), { correct: false, attempt: true, expected: `${M}4` }, typed);
  }
  // Fewer digits shown, looser check: −4.01 is −4.0 to 2 digits.
  assert.equal(checkAnswer(q, "-4.01", 2).correct, true);
  assert.equal(checkAnswer(questionAt(g, 5), "+3", 4).correct, true);
});

test("precision is the displayed one: 0.1966 for σ′, or within a relative 5·10⁻⁴", () => {
  const g = load("sigmoid-expanded");
  const k = g.steps.findIndex((s) => s.kind === "edge" && s.contribution === -0.19661193324148188) + 1;
  const q = questionAt(g, k);
  assert.equal(checkAnswer(q, "-0.1966", 4).correct, true);
  assert.equal(checkAnswer(q, "−.19661", 4).correct, true);
  // |0.1967 − 0.19661| = 0.9·10⁻⁴ ≤ 5·10⁻⁴ × 0.19661; 0.1968 is 1.9·10⁻⁴ away.
  assert.equal(checkAnswer(q, "-0.1967", 4).correct, true);
  assert.equal(checkAnswer(q, "-0.1968", 4).correct, false);
  assert.equal(checkAnswer(q, "0.1966", 4).correct, false);
  assert.equal(checkAnswer(q, "-0.197", 3).correct, true);
  assert.equal(checkAnswer(q, "-0.2", 4).correct, false);
  assert.equal(checkAnswer(q, "-0.2", 1).correct, true);
});

test("zero only matches zero, and NaN or ±∞ only the same non-finite value", () => {
  const g = load("nan");
  const [inf, zero, nan] = edgeKs(g).map((k) => questionAt(g, k));
  assert.deepEqual([inf.answer, zero.answer, nan.answer], ["-Infinity", 0, "NaN"]);
  assert.equal(checkAnswer(zero, "0").correct, true);
  assert.equal(checkAnswer(zero, "-0").correct, true);
  assert.equal(checkAnswer(zero, "0.00001").correct, false);
  assert.equal(checkAnswer(inf, `${M}\u221e`).correct, true);
  assert.equal(checkAnswer(inf, "-Infinity").correct, true);
  assert.equal(checkAnswer(inf, "Infinity").correct, false);
  assert.equal(checkAnswer(inf, "-1e308").correct, false);
  assert.equal(checkAnswer(nan, "NaN").correct, true);
  assert.equal(checkAnswer(nan, "0").correct, false);
  assert.equal(checkAnswer(nan, "0").expected, "NaN");
});

test("a matrix answer is right typed in either syntax, every cell and the shape must match", () => {
  const g = load("matmul");
  const q = questionAt(g, 3); // ∂L/∂W = G·Xᵀ = [[2, 0, 3], [−2, 0, 1]]
  assert.deepEqual(q.shape, [2, 3]);
  assert.deepEqual(q.answer, [[2, 0, 3], [-2, 0, 1]]);
  const expected = `[[2, 0, 3], [${M}2, 0, 1]]`;
  for (const typed of ["[[2, 0, 3], [-2, 0, 1]]", `2 0 3; ${M}2 0 1`, "2, 0, 3\n-2, 0, 1.0001\n", "[[2 0 3] [-2 0 1]]"]) {
    assert.deepEqual(checkAnswer(q, typed, 4), { correct: true, attempt: true, expected }, typed);
  }
  assert.equal(checkAnswer(q, "2 0 3; 2 0 1").correct, false);
  assert.deepEqual(checkAnswer(q, "2 0; 3 -2; 0 1"), { correct: false, attempt: true, expected,
    reason: "practice.wrong_shape", shape: [2, 3], typedShape: [3, 2] });
  assert.equal(checkAnswer(q, "2 0 3 -2 0 1").reason, "practice.wrong_shape");
  assert.equal(checkAnswer(q, "2").reason, "practice.wrong_shape");
  assert.equal(feedback(checkAnswer(q, "2"), "en"), "Wrong shape: the answer is 2×3, you typed one number.");
  // The 3×4 gradient of X is shown whole, not cut with "…".
  const x = questionAt(g, 4);
  assert.equal(checkAnswer(x, "1 4 -4 1; 2 5 -5 2; 3 6 -6 3").correct, true);
  assert.equal(checkAnswer(x, "0").expected, `[[1, 4, ${M}4, 1], [2, 5, ${M}5, 2], [3, 6, ${M}6, 3]]`);
  assert.match(promptText(x, "en"), /3×4 matrix/);
});

test("a scalar answer typed as a list has the wrong shape", () => {
  const q = questionAt(load("chain-rule"), 4);
  assert.equal(checkAnswer(q, "-4 1").reason, "practice.wrong_shape");
  assert.equal(checkAnswer(q, "[-4]").correct, true); // one cell is one number
});

test("parseAnswer reads numbers and matrices and rejects anything else with a reason", () => {
  assert.equal(parseAnswer(`${M}2.5e${M}3`), -0.0025);
  assert.equal(parseAnswer("+.5"), 0.5);
  assert.deepEqual(parseAnswer("[[1, 2], [3, 4]]"), [[1, 2], [3, 4]]);
  assert.deepEqual(parseAnswer("1 2; 3 4"), [[1, 2], [3, 4]]);
  assert.deepEqual(parseAnswer("1,2\n3,4\n"), [[1, 2], [3, 4]]);
  assert.deepEqual(parseAnswer("[1 2 3]"), [1, 2, 3]);
  assert.deepEqual(parseAnswer("alert(1)"), { error: "practice.parse.number", token: "alert(1)" });
  assert.deepEqual(parseAnswer("1+"), { error: "practice.parse.number", token: "1+" });
  assert.deepEqual(parseAnswer("0x10"), { error: "practice.parse.number", token: "0x10" });
  assert.deepEqual(parseAnswer("[[1,2],[3]]"), { error: "practice.parse.ragged" });
  assert.deepEqual(parseAnswer("1 2; 3"), { error: "practice.parse.ragged" });
  assert.deepEqual(parseAnswer("[[1,2],3]"), { error: "practice.parse.ragged" });
  assert.deepEqual(parseAnswer("[[[1]]]"), { error: "practice.parse.rank" });
  assert.deepEqual(parseAnswer("[1, 2"), { error: "practice.parse.brackets" });
  assert.deepEqual(parseAnswer("[1] 2"), { error: "practice.parse.brackets" });
  assert.deepEqual(parseAnswer("1 2]"), { error: "practice.parse.brackets" });
  assert.deepEqual(parseAnswer("  "), { error: "practice.parse.empty" });
  assert.deepEqual(parseAnswer("[]"), { error: "practice.parse.empty" });
});

test("unreadable text is not an attempt, and says why in both languages", () => {
  const q = questionAt(load("chain-rule"), 4);
  const r = checkAnswer(q, "alert(1)");
  assert.deepEqual(r, { correct: false, attempt: false, expected: `${M}4`, reason: "practice.parse.number", token: "alert(1)" });
  assert.equal(feedback(r, "en"), "Not a number: alert(1)");
  assert.equal(feedback(r, "ko"), "숫자가 아닙니다: alert(1)");
  assert.equal(feedback(checkAnswer(q, "-4"), "en"), "Right.");
  assert.equal(feedback(checkAnswer(q, "4"), "en"), `Not quite: the engine says ${M}4.`);
});

test("hints come in order: the gate's pattern, the local formula in names, then the numbers", () => {
  const g = load("chain-rule");
  assert.deepEqual(hints(g, 6, "en", { ops: OPS }), [
    "Add gate: passes the upstream gradient to each input unchanged (local gradient 1).",
    "\u2202(x+y)/\u2202x = 1",
    `\u2202f/\u2202(x+y) \u00b7 \u2202(x+y)/\u2202x = ${M}4 \u00b7 1 = ${M}4`,
  ]);
  // Into the output the local gradient is the answer: the formula keeps it to names.
  const [gate, local, numbers] = hints(g, 4, "en", { ops: OPS });
  assert.match(gate, /^Multiply gate/);
  assert.equal(local, "\u2202f/\u2202(x+y) = z");
  assert.equal(numbers, `\u2202f/\u2202f \u00b7 \u2202f/\u2202(x+y) = 1 \u00b7 (${M}4) = ${M}4`);
  assert.deepEqual(hints(g, 3, "en", { ops: OPS }), []); // the seed
});

test("the third hint always holds the contribution as the page shows it", () => {
  for (const name of ["chain-rule", "fork", "sigmoid-expanded", "matmul"]) {
    const g = load(name);
    for (const k of edgeKs(g)) {
      const h = hints(g, k, "en", { ops: OPS, digits: 4 });
      assert.equal(h.length, 3, `${name} ${k}`);
      assert.ok(h[2].endsWith(formatValue(g.steps[k - 1].contribution, 4, { maxItems: 16, maxRows: 16 })), `${name} ${k}: ${h[2]}`);
      assert.ok(h.every((s) => typeof s === "string" && s.length > 0));
    }
  }
});

test("without a gate pattern or ops, the hints fall back to the chain rule itself", () => {
  const g = load("nan");
  const h = hints(g, 6, "en", { ops: OPS }); // log gate: no pattern sentence
  assert.equal(h[0], "Chain rule: upstream gradient \u00d7 local gradient = the gradient sent back to x.");
  assert.equal(h[1], "\u2202log(x)/\u2202x = 1/x");
  const bare = hints(g, 6, "en");
  assert.equal(bare[1], "Work out the local gradient, then multiply it by the upstream gradient: \u2202log(x)/\u2202x");
  assert.match(hints(g, 6, "ko", { ops: OPS })[0], /연쇄법칙/);
});

test("tensor and forward hints: rule with shapes, then the numbers", () => {
  const [, rule, numbers] = hints(load("matmul"), 3, "en", { ops: OPS });
  assert.equal(rule, "\u2202L/\u2202W = G\u00b7X\u1d40: (2\u00d74)\u00b7(4\u00d73) \u2192 (2\u00d73)");
  assert.equal(numbers, `Upstream gradient G = [[1, 0, 0, 1], [0, 1, ${M}1, 0]] \u2192 G\u00b7X\u1d40 = [[2, 0, 3], [${M}2, 0, 1]]`);
  assert.deepEqual(hints(load("chain-rule"), 2, "en", { ops: OPS }), [
    `The inputs' values, from earlier steps: x+y = 3, z = ${M}4`,
    "(x+y) \u00d7 z",
    `f = (x+y) \u00d7 z = 3 \u00d7 (${M}4) = ${M}12`,
  ]);
});

test("the score counts first tries only, once per step, and lists the steps got wrong", () => {
  let s = newScore();
  s = record(s, 4, true);
  s = record(s, 5, false);
  s = record(s, 5, true, false); // the retry after the wrong answer
  s = record(s, 7, false);
  s = record(s, 6, true);
  s = record(s, 6, false); // asked again after stepping back: already counted
  assert.deepEqual(tally(s), { right: 2, asked: 4 });
  assert.deepEqual(wrongSteps(s), [5, 7]);
  assert.equal(scoreText(s, "en"), "2 / 4 right on the first try");
  assert.equal(scoreText(s, "ko"), "첫 시도에 맞힌 문제: 2 / 4");
  assert.equal(scoreText(newScore(), "en"), "0 / 0 right on the first try");
  assert.deepEqual(newScore(), { asked: [], right: [], wrong: [] }); // record changed no score in place
});

test("the better score: a higher first-try rate, then more steps", () => {
  const a = record(record(newScore(), 1, true), 2, false); // 1 / 2
  const b = record(newScore(), 1, true); // 1 / 1
  const c = record(record(newScore(), 1, true), 2, true); // 2 / 2
  assert.equal(bestOf(a, b), b);
  assert.equal(bestOf(b, c), c);
  assert.equal(bestOf(null, a), a);
  assert.equal(bestOf(null, null), null);
});

test("a score survives serialize / deserialize; anything else reads as no score", () => {
  const s = record(record(record(newScore(), 4, true), 6, false), 5, true);
  const text = serialize(s);
  assert.deepEqual(deserialize(text), s);
  assert.deepEqual(deserialize(serialize(newScore())), newScore());
  for (const bad of [null, "", "{", "[]", '{"v": 2, "asked": []}', "null"]) assert.equal(deserialize(bad), null, String(bad));
  // Inconsistent stored lists are made consistent, not trusted.
  assert.deepEqual(deserialize('{"v":1,"asked":[3,3,"x",4,-1],"right":[3,9],"wrong":[]}'),
    { asked: [3, 4], right: [3], wrong: [4] });
  assert.equal(scoreKey("chain-rule"), "bpv-practice:chain-rule");
  assert.equal(scoreKey("  (x+y)   * z "), "bpv-practice:(x+y) * z");
});
