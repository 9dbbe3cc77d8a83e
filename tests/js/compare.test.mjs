// Side by side (compare.js): the pane beside's request, the paired step, the differences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { differences, pairedStep, parseValuesText, requestBeside, SCALE } from "../../static/js/compare.js";

const steps = (forward, backward) => [
  ...Array.from({ length: forward }, () => ({ kind: "node" })), { kind: "seed" },
  ...Array.from({ length: backward }, () => ({ kind: "edge" }))];

test("the pane beside: expanded, one input ×1000, or the learner's own", () => {
  const request = { expression: "sigmoid(w*x)", values: { w: 2, x: [[1, -2]] }, expand: false };
  assert.deepEqual(requestBeside("expand", request).request, { ...request, expand: true });
  assert.deepEqual(requestBeside("scale", request, { name: "x" }).request.values, { w: 2, x: [[SCALE, -2 * SCALE]] });
  assert.deepEqual(request.values.x, [[1, -2]]); // the first pane's request is left alone
  assert.equal(requestBeside("scale", request, { name: "nope" }).error, "compare.var");
  const own = requestBeside("custom", request, { expression: "tanh(w*x)", valuesText: "w = −3; x = [[0, 1]]" });
  assert.deepEqual(own.request, { ...request, expression: "tanh(w*x)", values: { w: -3, x: [[0, 1]] } });
  assert.equal(requestBeside("custom", request, { valuesText: "w 3" }).error, "compare.values_error");
  assert.deepEqual(parseValuesText("a = 1\nb=[1, 2]"), { values: { a: 1, b: [1, 2] } });
});

test("paired steps start, reach the seed and end together, and never go back", () => {
  const a = { steps: steps(3, 4) }; // seed at index 3
  const b = { steps: steps(7, 9) }; // seed at index 7
  assert.equal(pairedStep(0, a, b), 0);
  assert.equal(pairedStep(3, a, b), 7);
  assert.equal(pairedStep(a.steps.length, a, b), b.steps.length);
  let last = 0;
  for (let k = 0; k <= a.steps.length; k += 1) {
    const j = pairedStep(k, a, b);
    assert.ok(j >= last && j <= b.steps.length, `${k} → ${j}`);
    last = j;
  }
});

test("differences: the variables whose value or gradient differ, and the output", () => {
  const answer = (xg, yv, value) => ({ value, nodes: [
    { kind: "variable", name: "x", value: 1, grad: xg }, { kind: "variable", name: "y", value: yv, grad: 1 },
    { kind: "op", name: null, value, grad: 1 }] });
  assert.deepEqual(differences(answer(2, 3, 5), answer(2 + 1e-12, 3, 5)), { names: [], output: false });
  assert.deepEqual(differences(answer(2, 3, 5), answer(2.5, 3, 5)), { names: ["x"], output: false });
  assert.deepEqual(differences(answer(2, 3, 5), answer(2, [3], 6)), { names: ["y"], output: true });
});
