// The training rules from GET /api/optimizers: reading inputs by their bounds, and the
// hyperparameters the panel builds its inputs from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { allHyperparameters, findOptimizer, inLanguage, inputRule, readNumber, startingValues }
  from "../../static/js/train-rules.js";

const lr = { key: "lr", default: null, required: true, suggested: 0.1, min: 0, max: null, min_open: true,
             max_open: true, label: { en: "Learning rate η", ko: "학습률 η" } };
const beta1 = { key: "beta1", default: 0.9, required: false, suggested: 0.9, min: 0, max: 1, min_open: false,
                max_open: true, label: { en: "β1", ko: "β1" } };
const RULES = { optimizers: [{ name: "sgd", hyperparameters: [lr] },
                             { name: "adam", hyperparameters: [lr, beta1] }],
                limits: { max_train_steps: 10000 } };

test("an input is read by its hyperparameter's bounds", () => {
  assert.equal(readNumber("0", inputRule(lr)), null); // lr > 0
  assert.equal(readNumber("", inputRule(lr)), null); // required
  assert.equal(readNumber("0.5", inputRule(lr)), 0.5);
  assert.equal(readNumber("1", inputRule(beta1)), null); // β1 < 1
  assert.equal(readNumber("0", inputRule(beta1)), 0);
  assert.equal(readNumber("", inputRule(beta1)), 0.9); // empty: the default
  const closed = { ...beta1, max_open: false };
  assert.equal(readNumber("1", inputRule(closed)), 1);
  assert.equal(readNumber("1.01", inputRule(closed)), null);
});

test("every hyperparameter once, and the starting values", () => {
  assert.deepEqual(allHyperparameters(RULES).map((h) => h.key), ["lr", "beta1"]);
  assert.deepEqual(allHyperparameters(null), []);
  assert.equal(findOptimizer(RULES, "adam").hyperparameters.length, 2);
  assert.equal(findOptimizer(RULES, "rmsprop"), undefined);
  assert.deepEqual([...startingValues(RULES, { lr: 0.5 })], [["lr", 0.5], ["beta1", 0.9]]);
  assert.equal(inLanguage(lr.label, "ko"), "학습률 η");
  assert.equal(inLanguage(lr.label, "fr"), "Learning rate η");
});
