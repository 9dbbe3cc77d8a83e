// The loss chart's and the landscape's pure helpers: axis domains (log scale guarded
// against non-positive and diverging losses), run styles, the box around the paths, and
// contour levels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { contourThresholds, gridValues, landscapeBox } from "../../static/js/contour.js";
import { clampPixel, drawable, lossDomain, runClasses, stepDomain } from "../../static/js/loss-chart.js";

const run = (name, losses, extra = {}) => ({
  optimizer: { name, lr: 0.1 }, points: losses.map((loss, i) => ({ step: i + 1, loss })), ...extra,
});

test("the linear loss axis starts at 0 and ends at the highest loss", () => {
  assert.deepEqual(lossDomain([run("sgd", [4.8, 1, 0.02])]), [0, 4.8]);
  assert.deepEqual(lossDomain([run("sgd", [-1, 2])]), [-1, 2]);
  assert.deepEqual(lossDomain([]), [0, 1]);
});

test("a diverging run does not flatten the others on a linear axis", () => {
  const fine = run("sgd", [4.8, 1, 0.02]);
  const diverging = run("sgd", [4.8, 1e6, 1e200, Infinity, NaN]);
  assert.deepEqual(lossDomain([fine, diverging]), [0, 4 * 4.8]);
});

test("the log axis skips non-positive and non-finite losses", () => {
  const [lo, hi] = lossDomain([run("adam", [10, 0, -1, 0.01, "NaN", "Infinity"])], true);
  assert.deepEqual([lo, hi], [0.01, 10]);
  assert.deepEqual(lossDomain([run("adam", [0, -2])], true), [1e-3, 1]);
  const [a, b] = lossDomain([run("adam", [2, 2])], true); // one value: a decade around it
  assert.ok(a < 2 && b > 2 && b / a >= 10 - 1e-9);
  assert.ok(!drawable(0, true) && !drawable(-1, true) && !drawable("NaN", false));
  assert.ok(drawable(0, false) && drawable("1e-3", true));
});

test("a running run reserves its steps on the step axis", () => {
  assert.deepEqual(stepDomain([run("sgd", [1, 2, 3], { running: true, steps: 100 })]), [1, 100]);
  assert.deepEqual(stepDomain([run("sgd", [1, 2, 3], { running: false, steps: 100 })]), [1, 3]);
  assert.deepEqual(stepDomain([]), [1, 2]);
});

test("each optimizer has its colour, and repeats of it a dash pattern", () => {
  const a = run("sgd", []);
  const b = run("adam", []);
  const c = run("sgd", []);
  const runs = [a, b, c];
  assert.equal(runClasses(a, runs), "opt-sgd v0");
  assert.equal(runClasses(b, runs), "opt-adam v0");
  assert.equal(runClasses(c, runs), "opt-sgd v1");
});

test("pixels stay parseable however far a run diverges", () => {
  assert.equal(clampPixel(1e300), 1e4);
  assert.equal(clampPixel(-Infinity), -1e4);
  assert.equal(clampPixel(42), 42);
});

test("the landscape box pads the paths by 30%", () => {
  const box = landscapeBox([[0, 0], [2, 1], [NaN, 5]]);
  assert.deepEqual(box.x.map((v) => +v.toFixed(12)), [-0.6, 2.6]);
  assert.deepEqual(box.y.map((v) => +v.toFixed(12)), [-0.3, 1.3]);
  const flat = landscapeBox([[1, 0], [1, 0]]);
  assert.deepEqual(flat, { x: [0.5, 1.5], y: [-0.5, 0.5] });
  assert.equal(landscapeBox([]), null);
});

test("contour levels are geometric when the loss spans decades", () => {
  const linear = contourThresholds([1, 2, 3, 4], 3);
  assert.deepEqual(linear, [1.75, 2.5, 3.25]);
  const geometric = contourThresholds([0.01, 100], 3);
  geometric.forEach((v, i) => assert.ok(Math.abs(v - [0.1, 1, 10][i]) < 1e-9 * [0.1, 1, 10][i], geometric));
  assert.deepEqual(contourThresholds([5, 5]), []);
});

test("the grid flattens row by row, adds λ(a² + b²) and lifts non-finite losses", () => {
  const grid = { x: [0, 1], y: [0, 2], loss: [[1, 2], [3, "Infinity"]] };
  assert.deepEqual(gridValues(grid), [1, 2, 3, 6]); // ∞ → 3 + 3
  assert.deepEqual(gridValues(grid, 0.5), [1, 2.5, 5, 10]); // ∞ → above the top (5) by its size
});
