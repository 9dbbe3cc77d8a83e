// The page writes nodes and derivatives exactly as the engine does (app/engine/writing.py):
// the cases below were rendered by the engine (scripts/make_fixtures.py → writing.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gateCase, gateSentence, isAtomic, render } from "../../static/js/writing.js";

const load = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8"));
const OPS = new Map(load("ops").ops.map((op) => [op.name, op]));

test("every template renders as the engine renders it", () => {
  const { cases } = load("writing");
  assert.ok(cases.length > 100);
  for (const c of cases) assert.equal(render(c.template, c.parts, c.y), c.expected, JSON.stringify(c));
});

test("names, numbers, calls and bracketed groups are atomic; sums and negatives are not", () => {
  for (const text of ["x", "가중치", "2.5", "1e-05", "sigmoid(x)", "Σ₀(exp(z))", "(x + y)", "[a > b]"]) assert.ok(isAtomic(text), text);
  for (const text of ["(x) + (y)", "\u22122", "x + y", "f(x) + g(y)"]) assert.ok(!isAtomic(text), text);
});

test("the gate's case follows the tutorial and its sentence comes from the registry", () => {
  const add = OPS.get("add"), sub = OPS.get("sub"), max = OPS.get("max"), relu = OPS.get("relu"), mul = OPS.get("mul");
  assert.equal(gateCase(add, 0, 1, false), "same");
  assert.equal(gateCase(sub, 1, -1, false), "negated");
  assert.equal(gateCase(add, 1, "G", true), "summed");
  assert.deepEqual([1, 0, 0.5].map((v) => gateCase(max, 0, v, false)), ["win", "lose", "tie"]);
  assert.equal(gateCase(relu, 0, 0, false), "lose");
  assert.equal(gateCase(OPS.get("exp"), 0, 1, false), null);
  assert.equal(gateSentence(mul, "other", "en", "x", "y = 5"),
    "Multiply gate: the inputs swap \u2014 the local gradient of x is the other input's value: y = 5.");
  assert.match(gateSentence(add, "summed", "ko", "b"), /^합 게이트: .*b이\(가\) 브로드캐스트/);
});
