// The training lab's split: the panel keeps its exports, and no module but the API's answer
// names the optimizers' limits (their purity is checked with the others in purity.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as panel from "../../static/js/train-panel.js";
import * as model from "../../static/js/train-model.js";

test("the panel still exports every pure helper it had", () => {
  for (const key of Object.keys(model)) assert.equal(panel[key], model[key], key);
  assert.equal(typeof panel.readNumber, "function");
  assert.equal(typeof panel.splitLines, "function");
});

test("the panel, the chart and the model name no optimizer limits of their own", () => {
  for (const name of ["train-panel", "train-model", "loss-chart"]) {
    const source = readFileSync(new URL(`../../static/js/${name}.js`, import.meta.url), "utf8");
    assert.doesNotMatch(source, /MAX_STEPS|10_000|DETAIL_STEPS|TRACK_NUMBERS|export const OPTIMIZERS/, name);
  }
});
