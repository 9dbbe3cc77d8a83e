// The page's state and its changes: a preset, a share link or typing sets what the next Run
// sends and what the share link keeps, with no DOM in between.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeState, encodeState } from "../../static/js/share.js";
import {
  initialState, linkedExample, parseValue, requestOf, shareStateOf, valueText, valuesOf, withExample, withExpression,
  withLink, withValues, withVariables,
} from "../../static/js/store.js";

// The tutorial's preset, as /api/examples serves it (app/examples.py).
const TUTORIAL = {
  id: "chain-rule", expression: "q = x + y\nf = q * z",
  values: { x: -2, y: 5, z: -4 }, expand: false,
};

const change = (state, patch) => ({ ...state, ...patch });

test("a new page has nothing to run and reads as the template's defaults", () => {
  const s = initialState();
  assert.equal(s.expression, "");
  assert.deepEqual(s.variables, []);
  assert.ok(s.values instanceof Map);
  assert.equal(s.digits, 4);
  assert.equal(s.speed, 1);
  assert.equal(s.graph, null);
  assert.deepEqual(requestOf(s), { request: { expression: "", values: {}, expand: false } });
  assert.notEqual(initialState().values, s.values, "each page gets its own maps");
});

test("loading the tutorial preset gives the tutorial's request", () => {
  const s = change(initialState(), withExample(TUTORIAL));
  assert.equal(s.example, TUTORIAL);
  assert.deepEqual(s.variables, ["x", "y", "z"]);
  assert.deepEqual([...s.values], [["x", "-2"], ["y", "5"], ["z", "-4"]]);
  assert.equal(s.outputGrad, "");
  assert.deepEqual(requestOf(s).request,
                   { expression: "q = x + y\nf = q * z", values: { x: -2, y: 5, z: -4 }, expand: false });
});

test("a preset's matrices, seed and expand option become editor text", () => {
  const ex = { id: "m", expression: "W @ x", values: { W: [[1, 2], [3, 4]], x: [1, 0] },
               output_grad: [1, -1], expand: true };
  const s = change(initialState(), withExample(ex));
  assert.equal(s.values.get("W"), "[[1,2],[3,4]]");
  assert.equal(s.outputGrad, "[1,-1]");
  assert.equal(s.expand, true);
  assert.deepEqual(requestOf(s).request.output_grad, [1, -1]);
});

test("typing leaves the preset and the failed share link behind, values stay", () => {
  const before = change(change(initialState(), withExample(TUTORIAL)), { shareError: "truncated" });
  const s = change(before, withExpression(before, "(x+y)*z"));
  assert.equal(s.expression, "(x+y)*z");
  assert.equal(s.example, null);
  assert.equal(s.shareError, null);
  assert.equal(s.values, before.values);
});

test("a preset's upstream seed goes with the preset when a new expression is typed", () => {
  const preset = { ...TUTORIAL, expression: "x + y", values: { x: -2, y: 5 }, output_grad: -4 };
  const loaded = change(initialState(), withExample(preset));
  assert.equal(loaded.outputGrad, "-4");
  const typed = change(loaded, withExpression(loaded, "x * y"));
  assert.equal(typed.outputGrad, "");
  assert.equal(requestOf(typed).request.output_grad, undefined);
  // a seed the user typed is theirs: it stays
  const mine = change(loaded, { outputGrad: "2" });
  assert.equal(change(mine, withExpression(mine, "x * y")).outputGrad, "2");
});

test("a parse's new variables start at 1 and old names keep their text", () => {
  const s0 = change(initialState(), withExample(TUTORIAL));
  const s = change(s0, withVariables(s0, ["x", "w"]));
  assert.deepEqual(s.variables, ["x", "w"]);
  assert.equal(s.values.get("w"), "1");
  assert.equal(s.values.get("z"), "-4", "kept for when z comes back");
  assert.equal(s0.values.has("w"), false, "the change does not touch the old state");
});

test("typed values replace the editor's text, names like constructor included", () => {
  const s0 = change(initialState(), withVariables(initialState(), ["constructor"]));
  const s = change(s0, withValues(s0, [["constructor", "[1, 2]"]]));
  assert.deepEqual(valuesOf(s), { values: { constructor: [1, 2] } });
  assert.equal(s0.values.get("constructor"), "1");
});

test("a bad value is reported at its variable, in both languages", () => {
  const s0 = change(initialState(), withExample(TUTORIAL));
  const { error } = requestOf(change(s0, withValues(s0, [["y", "five"]])));
  assert.deepEqual(error.loc, ["body", "values", "y"]);
  assert.match(error.msg, /^y: /);
  assert.match(error.msg_ko, /^y: /);
});

test("a bad seed is reported at output_grad; a blank one means the default", () => {
  const s = change(initialState(), withExample(TUTORIAL));
  assert.deepEqual(requestOf(change(s, { outputGrad: "[1," })).error.loc, ["body", "output_grad"]);
  assert.equal("output_grad" in requestOf(change(s, { outputGrad: "  " })).request, false);
  assert.equal(requestOf(change(s, { outputGrad: "−2" })).request.output_grad, -2);
});

test("values are numbers or non-empty lists of numbers; a typed minus sign counts", () => {
  assert.equal(parseValue(" −4 "), -4);
  assert.deepEqual(parseValue("[[1, 2], [3, 4]]"), [[1, 2], [3, 4]]);
  for (const bad of ["", "[]", "[[]]", "\"1\"", "true", "{\"a\": 1}", "1,"]) {
    assert.equal(parseValue(bad), undefined, bad);
  }
  assert.equal(valueText(-2), "-2");
  assert.equal(parseValue(valueText([[1.5, 2]])).at(0).at(0), 1.5);
});

test("the share link keeps only the current variables, and opens back to the same state", () => {
  const s0 = change(change(initialState(), withExample(TUTORIAL)), { k: 5, lang: "ko", outputGrad: "2" });
  const s = change(s0, withVariables(s0, ["x", "z"]));
  const shared = shareStateOf(s);
  assert.deepEqual([...shared.values], [["x", "-2"], ["z", "-4"]]);
  const link = decodeState(encodeState(shared)).state;
  const opened = change(initialState(), withLink(link));
  // the preset travels with the link, and comes back while its expression is the preset's
  assert.equal(link.example, TUTORIAL.id);
  const example = linkedExample(link, [TUTORIAL]);
  assert.equal(example, TUTORIAL);
  assert.equal(linkedExample({ ...link, expression: "x" }, [TUTORIAL]), null);
  assert.deepEqual(shareStateOf(change(opened, { k: link.step, lang: link.lang, example })), shared);
  assert.deepEqual(requestOf(opened).request,
                   { expression: s.expression, values: { x: -2, z: -4 }, expand: false, output_grad: 2 });
});

test("the constants' steps shown travel with the link; hidden is the default", () => {
  const s = change(change(initialState(), withExample(TUTORIAL)), { showConstants: true });
  const link = decodeState(encodeState(shareStateOf(s))).state;
  assert.equal(change(initialState(), withLink(link)).showConstants, true);
  const plain = decodeState(encodeState(shareStateOf(change(s, { showConstants: false })))).state;
  assert.equal(Object.hasOwn(plain, "constants"), false);
  assert.equal(change(initialState(), withLink(plain)).showConstants, false);
});

test("a link without values or options opens with empty ones", () => {
  const s = change(initialState(), withLink({ expression: "x * 2" }));
  assert.deepEqual(s.variables, []);
  assert.equal(s.outputGrad, "");
  assert.equal(s.expand, false);
});
