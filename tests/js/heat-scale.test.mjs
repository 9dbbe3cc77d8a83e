// The heatmaps' shared colour scale (static/js/heat-scale.js), the compact numbers drawn in
// their cells (formatCompact) and the contrast of those numbers on the strongest cell colour.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { absMax, heatLevel, legendStops, sharedScales } from "../../static/js/heat-scale.js";
import { formatCompact, MINUS } from "../../static/js/format.js";

// The matmul-gradients example: D = W @ X with output gradient G.
const W = [[1, 2, -1], [0, -1, 3]];
const X = [[1, 0, 2, -1], [2, 1, 0, 1], [-1, 3, 1, 0]];
const D = [[6, -1, 1, 1], [-5, 8, 3, -1]];
const G = [[1, -1, 0, 2], [0, 1, -2, 1]];
const dW = [[-1, 3, -4], [-5, 2, 1]];

test("the range is the largest |x| of all tensors together, symmetric around 0", () => {
  assert.equal(absMax([W, X, D]), 8);
  assert.equal(absMax([[[-1000]], [[1]]]), 1000); // ×1000 is no longer ×1
  assert.equal(absMax([]), 0);
});

test("non-finite entries, scalars and summaries do not stretch the range", () => {
  assert.equal(absMax([[1, "NaN", "-Infinity", -2]]), 2);
  assert.equal(absMax([5, { summary: true, min: -9, max: 9 }, [[0.5]]]), 0.5);
});

test("values and gradients get one scale each, from what is known at the step", () => {
  const drawn = [{ id: "W" }, { id: "X" }, { id: "D" }];
  const values = new Map([["W", W], ["X", X], ["D", D], ["s", 100]]);
  assert.deepEqual(sharedScales(drawn, values, new Map()), { value: 8, grad: 0 });
  const grads = new Map([["D", G], ["W", dW]]);
  assert.deepEqual(sharedScales(drawn, values, grads), { value: 8, grad: 5 });
  // A node not drawn as a heatmap (a scalar, a large tensor) is not in the range.
  assert.deepEqual(sharedScales([{ id: "W" }], values, grads), { value: 3, grad: 5 });
});

test("a cell's strength is |x| over the shared range; NaN and ∞ stand out", () => {
  assert.equal(heatLevel(-4, 8), 0.5);
  assert.equal(heatLevel(8, 8), 1);
  assert.equal(heatLevel(0, 8), 0);
  assert.equal(heatLevel("NaN", 8), 1);
  assert.equal(heatLevel("Infinity", 8), 1);
  assert.equal(heatLevel(3, 0), 0);
});

test("the legend's bar runs from −m through 0 to m", () => {
  assert.deepEqual(legendStops(8, 5), [-8, -4, 0, 4, 8]);
  assert.equal(legendStops(3).length, 9);
  assert.equal(legendStops(3)[4], 0);
});

test("cell numbers fit in five characters", () => {
  assert.equal(formatCompact(-2000, 4), `${MINUS}2000`);
  assert.equal(formatCompact(-0.25, 4), `${MINUS}0.25`);
  assert.equal(formatCompact(1.2345, 4), "1.23"); // at most 3 significant digits in a cell
  assert.equal(formatCompact(1.2345, 2), "1.2"); // fewer when the page asks for fewer
  assert.equal(formatCompact(123457, 4), "1.2e5");
  assert.equal(formatCompact(0.00001234, 4), `1e${MINUS}5`);
  assert.equal(formatCompact(0, 4), "0");
  assert.equal(formatCompact("NaN", 4), "NaN");
  for (const x of [-99999, 0.001234, 3.14159, -1e-7, 987654321]) {
    assert.ok(formatCompact(x, 6).length <= 5, `${x} → ${formatCompact(x, 6)}`);
  }
});

test("heat-scale.js uses no browser globals and imports only page modules", () => {
  const source = readFileSync(new URL("../../static/js/heat-scale.js", import.meta.url), "utf8");
  const code = source.split("\n").filter((line) => !/^\s*(\/\/|\*|\/\*\*)/.test(line)).join("\n");
  assert.doesNotMatch(code, /\b(document|window|globalThis|navigator|fetch|setTimeout|Math\.random|Date\.now)\b/);
  for (const [, spec] of code.matchAll(/\bfrom\s+["']([^"']+)["']/g)) assert.match(spec, /^\.\/[a-z0-9-]+\.js$/);
});

// ---------------------------------------------------------------- contrast of cell numbers
// A cell is the sign colour at opacity --heat-cap × level over the panel; its number is
// drawn in --ink. At the strongest level (1) the number must still reach WCAG AA (4.5:1) in
// both themes; the colours are read from static/style.css so the test follows them.

const CSS = readFileSync(new URL("../../static/style.css", import.meta.url), "utf8");

function themeVars(selector) {
  const start = CSS.indexOf(`${selector} {`);
  const block = CSS.slice(start, CSS.indexOf("}", start));
  return Object.fromEntries([...block.matchAll(/--([a-z-]+):\s*([^;]+);/g)].map(([, k, v]) => [k, v.trim()]));
}

function rgb(hex) {
  const h = hex.replace("#", "");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

function luminance([r, g, b]) {
  const lin = (c) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

for (const [name, selector] of [["light", ":root"], ["dark", '[data-theme="dark"]']]) {
  test(`cell numbers stay readable on the strongest cell colour (${name} theme)`, () => {
    const vars = { ...themeVars(":root"), ...themeVars(selector) };
    const cap = Number(vars["heat-cap"]);
    assert.ok(cap > 0.3 && cap <= 1, `--heat-cap ${vars["heat-cap"]}`);
    const panel = rgb(vars.panel);
    for (const sign of ["pos", "neg", "zero", "nan"]) {
      const cell = rgb(vars[sign]).map((c, i) => cap * c + (1 - cap) * panel[i]);
      const ratio = contrast(rgb(vars.ink), cell);
      assert.ok(ratio >= 4.5, `${name} ${sign}: ${ratio.toFixed(2)}`);
    }
  });
}
