// The training lab's pure helpers: default parameters, NDJSON lines, batches, the scaling
// experiment's arithmetic, and the update formulas with the tutorial's rules (app/engine/optim.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  absorb, allFinite, batchData, columns, defaultParams, norm, readNumber, sameValues, scaleValue,
  size, splitLines, standardiseRows, updateLines,
} from "../../static/js/train-panel.js";

const M = "\u2212";

test("weights and biases are the default parameters; the data stay fixed", () => {
  assert.deepEqual(defaultParams(["W", "X", "b", "Y"]), ["W", "b"]);
  assert.deepEqual(defaultParams(["w0", "x0", "w1", "x1", "w2"]), ["w0", "w1", "w2"]);
  assert.deepEqual(defaultParams(["W1", "b1", "W2", "b2", "X", "Y"]), ["W1", "b1", "W2", "b2"]);
  assert.deepEqual(defaultParams(["x", "y", "z"]), []);
});

test("splitLines keeps an unfinished line for the next chunk", () => {
  assert.deepEqual(splitLines('{"step":1}\n{"st'), { lines: ['{"step":1}'], rest: '{"st' });
  assert.deepEqual(splitLines('{"step":1}\n\n{"step":2}\n'), { lines: ['{"step":1}', '{"step":2}'], rest: "" });
  assert.deepEqual(splitLines(""), { lines: [], rest: "" });
});

test("absorb builds a run from the streamed lines", () => {
  const run = { points: [], path: [], pathNames: ["w", "b"], lastParams: null };
  absorb(run, { step: 1, loss: 4.5, grad_norm: 3, params: { w: 0, b: 0 } });
  absorb(run, { step: 2, loss: "Infinity", grad_norm: "NaN", params: { w: 1, b: 2 } });
  absorb(run, { done: true, params: { w: 3, b: 4 }, stopped: "diverged" });
  assert.deepEqual(run.points.map((p) => [p.step, p.loss]), [[1, 4.5], [2, Infinity]]);
  assert.ok(Number.isNaN(run.points[1].gradNorm));
  assert.deepEqual(run.path, [[0, 0], [1, 2], [3, 4]]);
  assert.deepEqual(run.lastParams, { w: 1, b: 2 });
  assert.deepEqual(run.final, { w: 3, b: 4 });
  assert.equal(run.stopped, "diverged");

  const failed = { points: [], path: null };
  absorb(failed, { detail: [{ type: "limit_exceeded", loc: ["body"], msg: "too long", ctx: { msg_ko: "깁니다" } }] });
  assert.equal(failed.error.msg, "too long");
  assert.equal(failed.error.msg_ko, "깁니다");
});

test("a minibatch slices the non-parameter tensors that share the sample count", () => {
  const values = { w: 0, b: 0, X: [[1, 2, 3, 4]], Y: [[1, 2, 3, 4]], lam: 0.1 };
  assert.deepEqual(batchData(values, ["w", "b"]), { columns: 4, data: ["X", "Y"] });
  assert.deepEqual(batchData({ W: [[0, 0]], X: [[1, 2, 3], [4, 5, 6]], Y: [[0, 1, 0]] }, ["W"]),
                   { columns: 3, data: ["X", "Y"] });
  assert.equal(batchData({ x: 1, y: 2 }, ["x"]), null);
  assert.equal(columns([[1, 2, 3]]), 3);
  assert.equal(columns([1, 2]), 2);
  assert.equal(columns(5), null);
  assert.equal(size([[1, 2], [3, 4]]), 4);
});

test("scaling an input by k scales every number by k", () => {
  assert.deepEqual(scaleValue([[-1, 2]], 1000), [[-1000, 2000]]);
  assert.equal(scaleValue(-2, 1000), -2000);
  assert.equal(norm([[3, 4]]), 5);
  assert.equal(norm(-2), 2);
  assert.equal(norm(["Infinity"]), Infinity);
});

test("standardising gives every row mean 0 and standard deviation 1", () => {
  const x = standardiseRows([[-1500, -500, 500, 1500], [10, 10, 10, 10]]);
  const mean = x[0].reduce((a, b) => a + b) / 4;
  const std = Math.sqrt(x[0].reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
  assert.ok(Math.abs(mean) < 1e-12);
  assert.ok(Math.abs(std - 1) < 1e-12);
  assert.deepEqual(x[1], [0, 0, 0, 0]); // a constant row has nothing to scale
  // Scaling first changes nothing: standardising undoes the ×1000.
  const a = standardiseRows([1, 2, 4]);
  const b = standardiseRows(scaleValue([1, 2, 4], 1000));
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12));
  assert.equal(standardiseRows(3), 3);
});

test("hyperparameters are read strictly", () => {
  assert.equal(readNumber("0.1", { min: 0, open: true }), 0.1);
  assert.equal(readNumber("0", { min: 0, open: true }), null);
  assert.equal(readNumber(" 1e-3 ", { min: 0, open: true }), 0.001);
  assert.equal(readNumber("1", { min: 0, max: 1 }), null); // β must be < 1
  assert.equal(readNumber("2.5", { min: 1, integer: true }), null);
  assert.equal(readNumber("", { empty: 0 }), 0);
  assert.equal(readNumber("", {}), null);
  assert.equal(readNumber("abc", {}), null);
  assert.equal(readNumber(`${M}2`, {}), -2);
});

test("values compare deeply and non-finite params are caught", () => {
  assert.ok(sameValues({ W: [[1, 2]], b: 0 }, { W: [[1, 2]], b: 0 }));
  assert.ok(!sameValues({ W: [[1, 2]] }, { W: [[1, 2.5]] }));
  assert.ok(allFinite({ w: 1, W: [[1, 2]] }));
  assert.ok(!allFinite({ w: "NaN" }));
  assert.ok(!allFinite({ W: [[1, "Infinity"]] }));
});

test("the SGD update reads p ← p − η·g with its numbers", () => {
  const lines = updateLines("w", { param: 0, grad: -3.5, new: 0.35 }, { optimizer: { name: "sgd", lr: 0.1 } });
  assert.deepEqual(lines, [`g = ∂L/∂w = ${M}3.5`, `w ← w − η·g = 0 − 0.1 · (${M}3.5) = 0.35`]);
  const l2 = updateLines("W", { param: [[1, -1]], grad: [[0.7, -0.7]], new: [[0.93, -0.93]] },
                         { optimizer: { name: "sgd", lr: 0.1 }, l2: 0.1 });
  assert.equal(l2[0], `g = ∂L/∂W + 2λ·W = [[0.7, ${M}0.7]]`);
  assert.equal(l2[1], `W ← W − η·g = [[1, ${M}1]] − 0.1 · [[0.7, ${M}0.7]] = [[0.93, ${M}0.93]]`);
});

test("momentum shows v ← μ·v + g from the previous v", () => {
  const lines = updateLines("b", { param: 1, grad: 2, v: 3.8, new: 0.62 },
                            { optimizer: { name: "momentum", lr: 0.1, momentum: 0.9 }, prev: { v: 2 } });
  assert.equal(lines[1], "v ← μ·v + g = 0.9 · 2 + 2 = 3.8");
  assert.equal(lines[2], "b ← b − η·v = 1 − 0.1 · 3.8 = 0.62");
});

test("Adam shows m, v and the bias-corrected m̂, v̂ at update t", () => {
  // The first update of Adam's rule at g = −3.5: m̂ = g, v̂ = g², a step of lr.
  const u = { param: 0, grad: -3.5, m: -0.35, v: 0.01225, m_hat: -3.5, v_hat: 12.25, new: 0.1 };
  const lines = updateLines("w", u, { optimizer: { name: "adam", lr: 0.1 }, t: 1 });
  assert.deepEqual(lines.slice(1), [
    `m ← β1·m + (1−β1)·g = 0.9 · 0 + 0.1 · (${M}3.5) = ${M}0.35`,
    `v ← β2·v + (1−β2)·g² = 0.999 · 0 + 0.001 · (${M}3.5)² = 0.01225`,
    `m̂ = m / (1−β1¹) = (${M}0.35) / 0.1 = ${M}3.5`,
    "v̂ = v / (1−β2¹) = 0.01225 / 0.001 = 12.25",
    `w ← w − η·m̂ / (√v̂ + ε) = 0 − 0.1 · (${M}3.5) / (√12.25 + 1e${M}8) = 0.1`,
  ]);
  const later = updateLines("w", u, { optimizer: { name: "adam", lr: 0.1 }, t: 12 });
  assert.match(later[3], /1−β1¹²\) = .* \/ 0\.7176 =/); // 1 − 0.9¹² = 0.71757…
});

test("names like constructor and toString are the run's own params, never Object.prototype's", () => {
  const run = { points: [], path: [], pathNames: ["constructor", "toString"], lastParams: null };
  absorb(run, { step: 1, loss: 1, grad_norm: 1, params: { constructor: 2, toString: 3 } });
  absorb(run, { step: 2, loss: 1, grad_norm: 1, params: {} }); // a line without them
  assert.deepEqual(run.path[0], [2, 3]);
  assert.ok(run.path[1].every(Number.isNaN), run.path[1]);
  const data = batchData({ constructor: [[1, 2, 3]], valueOf: [[4, 5, 6]], hasOwnProperty: 1 }, ["hasOwnProperty"]);
  assert.deepEqual(data, { columns: 3, data: ["constructor", "valueOf"] });
  const [line] = updateLines("valueOf", { grad: 2, param: 1, new: 0.8 }, { optimizer: { name: "sgd", lr: 0.1 } });
  assert.equal(line, "g = ∂L/∂valueOf = 2");
});
