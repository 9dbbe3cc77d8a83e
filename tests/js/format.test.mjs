// Number and tensor formatting: what the learner reads on every node and edge.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatNumber, formatShape, formatValue, isSummary, isTensor, signClass, signGlyph, toNumber,
} from "../../static/js/format.js";

test("toNumber reads API numbers and the non-finite strings", () => {
  assert.equal(toNumber(-2.5), -2.5);
  assert.ok(Number.isNaN(toNumber("NaN")));
  assert.equal(toNumber("Infinity"), Infinity);
  assert.equal(toNumber("-Infinity"), -Infinity);
  assert.ok(Number.isNaN(toNumber("")));
  assert.ok(Number.isNaN(toNumber(null)));
  assert.ok(Number.isNaN(toNumber([1])));
});

const TABLE = [
  // [input, digits, expected]
  [0, 4, "0"],
  [-0, 4, "0"],
  [3, 4, "3"],
  [-12, 4, "\u221212"],
  [-4, 4, "\u22124"],
  [0.7310585786300049, 4, "0.7311"],
  [-0.19661193324148188, 4, "\u22120.1966"],
  [1.3678794411714423, 4, "1.368"],
  [0.1 + 0.2, 4, "0.3"],
  [2.5, 4, "2.5"],
  [1234.5678, 4, "1235"],
  [12345.678, 4, "12346"],
  [999999, 4, "1e6"],
  [9.99996, 4, "10"],
  [0.0001, 4, "0.0001"],
  [0.00012346, 4, "0.0001235"],
  [1.5e-7, 4, "1.5e\u22127"],
  [-1.5e-7, 4, "\u22121.5e\u22127"],
  [5e-324, 4, "4.941e\u2212324"],
  [1.5e6, 4, "1.5e6"],
  [123456789, 4, "1.235e8"],
  [1e300, 4, "1e300"],
  [3.14159, 2, "3.1"],
  [3.14159, 6, "3.14159"],
  ["NaN", 4, "NaN"],
  [NaN, 4, "NaN"],
  ["Infinity", 4, "\u221e"],
  ["-Infinity", 4, "\u2212\u221e"],
  [-Infinity, 4, "\u2212\u221e"],
];

for (const [input, digits, expected] of TABLE) {
  test(`formatNumber(${String(input)}, ${digits}) is ${expected}`, () => {
    assert.equal(formatNumber(input, digits), expected);
  });
}

test("formatNumber defaults to 4 significant digits and tolerates odd digit counts", () => {
  assert.equal(formatNumber(Math.PI), "3.142");
  assert.equal(formatNumber(Math.PI, 0), "3");
  assert.equal(formatNumber(Math.PI, "x"), "3.142");
});

test("formatShape is readable and language independent", () => {
  assert.equal(formatShape([2, 3]), "2\u00d73");
  assert.equal(formatShape([5]), "5");
  assert.equal(formatShape([]), "()");
  assert.equal(formatShape(undefined), "()");
});

test("formatValue shows scalars, vectors and matrices with the display minus", () => {
  assert.equal(formatValue(-2), "\u22122");
  assert.equal(formatValue([1, -2, 3]), "[1, \u22122, 3]");
  assert.equal(formatValue([[1, 2], [3, 4]]), "[[1, 2], [3, 4]]");
  assert.equal(formatValue(["NaN", "Infinity"]), "[NaN, \u221e]");
});

test("formatValue cuts long rows and columns with an ellipsis but keeps the last element", () => {
  const row = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(formatValue(row), "[1, 2, 3, 4, 5, \u2026, 100]");
  const matrix = Array.from({ length: 10 }, (_, i) => [i, i]);
  assert.equal(formatValue(matrix), "[[0, 0], [1, 1], [2, 2], \u2026, [9, 9]]");
  assert.equal(formatValue(row, 4, { maxItems: 3 }), "[1, 2, \u2026, 100]");
});

test("formatValue summarises large tensors by shape and range", () => {
  const summary = { summary: true, shape: [512, 512], size: 262144, min: -0.5, max: 47.4, mean: 3, non_finite: 0 };
  assert.equal(formatValue(summary), "512\u00d7512: \u22120.5 \u2026 47.4");
  assert.equal(formatValue({ ...summary, non_finite: 3 }), "512\u00d7512: \u22120.5 \u2026 47.4, 3 NaN/\u221e");
  assert.equal(formatValue({ summary: true, shape: [4, 4], size: 16, non_finite: 16 }), "4\u00d74: 16 NaN/\u221e");
});

test("isTensor recognises arrays and summaries, not scalars", () => {
  assert.equal(isTensor([1]), true);
  assert.equal(isTensor({ summary: true, shape: [2] }), true);
  assert.equal(isTensor(1), false);
  assert.equal(isTensor("NaN"), false);
  assert.equal(isTensor(null), false);
  assert.equal(isSummary({ summary: "yes" }), false);
});

test("signClass and signGlyph carry the sign without relying on colour", () => {
  const cases = [[3, "pos", "+"], [-0.5, "neg", "\u2212"], [0, "zero", "0"], [-0, "zero", "0"],
    ["NaN", "nan", "!"], ["Infinity", "pos", "+"], ["-Infinity", "neg", "\u2212"], [[1, -1], "zero", "0"]];
  for (const [v, cls, glyph] of cases) {
    assert.equal(signClass(v), cls, `signClass(${v})`);
    assert.equal(signGlyph(v), glyph, `signGlyph(${v})`);
  }
});
