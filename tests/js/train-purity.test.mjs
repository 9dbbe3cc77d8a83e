// The training lab's split: the panel keeps its exports, no module but the API's answer
// names the optimizers' limits, and one run's state needs no browser (the purity of
// train-model and train-rules is checked with the others in purity.test.mjs).
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
  for (const name of ["train-panel", "train-run", "train-form", "train-view", "train-model", "loss-chart"]) {
    const source = readFileSync(new URL(`../../static/js/${name}.js`, import.meta.url), "utf8");
    assert.doesNotMatch(source, /MAX_STEPS|10_000|DETAIL_STEPS|TRACK_NUMBERS|export const OPTIMIZERS/, name);
  }
});

test("one run's state (train-run.js) touches no DOM, timer or network", () => {
  const source = readFileSync(new URL("../../static/js/train-run.js", import.meta.url), "utf8");
  assert.doesNotMatch(source, /\b(document|window|fetch|performance|requestAnimationFrame|AbortController|postJSON|streamTrain)\b/);
});
