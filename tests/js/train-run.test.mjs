// One training run's state without a DOM: settings read from text, the request, the run
// record, how a stream's end decides its state and status, and single-update sessions.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  continues, endParams, endRun, endStatus, failure, followTicks, initialOf, newRun, pathNamesOf, readSettings,
  replay, runningStatus, startValues, stepConfig, stepStatus, trainRequest,
} from "../../static/js/train-run.js";

const SGD = { name: "sgd", hyperparameters: [{ key: "lr", min: 0, min_open: true, max: null, required: true }] };
const LIMITS = { max_train_steps: 1000, detail_steps: 50, track_numbers: 4 };
const PROBLEM = { expression: "(w*x+b-y)^2", values: { w: 0, b: 0, x: 2, y: 3 } };
const texts = (o) => ({ hyper: new Map([["lr", "0.1"]]), l2: "0", steps: "100", batch: "", ...o });

test("settings are read from the inputs' text; an empty batch means all samples", () => {
  assert.deepEqual(readSettings(SGD, texts(), LIMITS),
                   { settings: { optimizer: { name: "sgd", lr: 0.1 }, l2: 0, steps: 100, batch: null } });
  assert.equal(readSettings(SGD, texts({ batch: "2" }), LIMITS).settings.batch, 2);
});

test("the first input that does not read is named", () => {
  assert.deepEqual(readSettings(SGD, texts({ hyper: new Map([["lr", "0"]]) }), LIMITS).invalid,
                   { field: "hyper", key: "lr" });
  assert.deepEqual(readSettings(SGD, texts({ l2: "-1", steps: "x" }), LIMITS).invalid, { field: "l2", key: undefined });
  assert.equal(readSettings(SGD, texts({ steps: "1001" }), LIMITS).invalid.field, "steps"); // over the server's limit
  assert.equal(readSettings(SGD, texts({ steps: "1000" }), LIMITS).settings.steps, 1000);
  assert.equal(readSettings(SGD, texts({ batch: "1.5" }), LIMITS).invalid.field, "batch");
});

test("a request starts from the given values, tracks small problems and batches only below all samples", () => {
  const settings = { optimizer: { name: "sgd", lr: 0.1 }, l2: 0, steps: 10, batch: null };
  const plain = trainRequest(PROBLEM, ["w", "b"], settings, LIMITS);
  assert.deepEqual(plain, { expression: PROBLEM.expression, values: PROBLEM.values, params: ["w", "b"],
                            optimizer: settings.optimizer, steps: 10, track: true });
  const from = trainRequest(PROBLEM, ["w", "b"], { ...settings, l2: 0.5 }, { ...LIMITS, track_numbers: 1 }, { w: 7 });
  assert.equal(from.values.w, 7);
  assert.equal(from.l2, 0.5);
  assert.equal(from.track, undefined);
  const data = { expression: "e", values: { W: [[0]], X: [[1, 2, 3, 4]], Y: [[1, 2, 3, 4]] } };
  assert.deepEqual(trainRequest(data, ["W"], { ...settings, batch: 2 }, LIMITS).batch, { size: 2, data: ["X", "Y"] });
  assert.equal(trainRequest(data, ["W"], { ...settings, batch: 4 }, LIMITS).batch, undefined);
});

test("a run of two tracked scalars has a path and a landscape key shared by runs on the same data", () => {
  const request = trainRequest(PROBLEM, ["w", "b"], { optimizer: { name: "sgd", lr: 0.1 }, steps: 5 }, LIMITS);
  const run = newRun("run-1", "train", request, PROBLEM);
  assert.deepEqual(run.pathNames, ["w", "b"]);
  assert.deepEqual(run.path, []);
  assert.equal(run.state, "running");
  const other = newRun("run-2", "train", { ...request, optimizer: { name: "adam", lr: 0.1 } }, PROBLEM);
  assert.equal(other.landscapeKey, run.landscapeKey);
  const moved = newRun("run-3", "train", request, { ...PROBLEM, values: { ...PROBLEM.values, x: 5 } });
  assert.notEqual(moved.landscapeKey, run.landscapeKey);
  assert.equal(newRun("run-4", "train", { ...request, track: undefined }, PROBLEM).path, null);
  assert.equal(pathNamesOf(["w"], PROBLEM.values), null);
  assert.equal(pathNamesOf(["W", "b"], { W: [[1]], b: 0 }), null);
});

test("a run's status follows its stream: running, then how it ended", () => {
  const run = newRun("run-1", "train", { params: ["w"], optimizer: { name: "sgd", lr: 0.1 }, steps: 3 }, PROBLEM);
  assert.deepEqual(runningStatus(run), { key: "train.status.running", params: { step: 0, steps: 3, loss: "…" } });
  run.points.push({ step: 1, loss: 9 }, { step: 2, loss: 2.25 });
  assert.deepEqual(runningStatus(run).params, { step: 2, steps: 3, loss: "2.25" });
  run.lastParams = { w: 1 };
  endRun(run, { ok: false, aborted: true }, true);
  assert.equal(run.state, "paused");
  assert.equal(run.running, false);
  assert.deepEqual(endStatus(run), { key: "train.status.paused", params: { step: 2 } });
  assert.deepEqual(endParams(run), { step: 2, params: { w: 1 }, final: false });
});

test("a stream that ends without its last line is a network error; a finished one is done", () => {
  const cut = { points: [], final: null, error: null, stopped: null };
  endRun(cut, { ok: true }, false);
  assert.equal(cut.state, "error");
  assert.deepEqual(endStatus(cut), { error: { key: "error.network" } });
  assert.equal(endParams(cut), null);
  const server = { points: [], final: null, error: null };
  endRun(server, { ok: false, status: 500 }, false);
  assert.deepEqual(server.error, { key: "error.server", params: { status: 500 } });
  const done = { points: [{ step: 1, loss: 4 }, { step: 2, loss: 1 }], final: { w: 2 }, error: null, stopped: null };
  endRun(done, { ok: true }, false);
  assert.deepEqual(endStatus(done), { key: "train.status.done", params: { count: 2, first: "4", last: "1" } });
  assert.deepEqual(endParams(done), { step: 2, params: { w: 2 }, final: true });
  const diverged = { ...done, final: { w: "Infinity" }, stopped: "diverged" };
  endRun(diverged, { ok: true }, false);
  assert.deepEqual(endStatus(diverged), { key: "train.status.diverged", params: { step: 2 } });
  assert.equal(endParams(diverged), null); // non-finite parameters never go into the graph
});

test("a failed call shows the API's own message, else server or network", () => {
  const detail = [{ type: "x", loc: ["body"], msg: "bad", ctx: {} }];
  assert.equal(failure({ ok: false, status: 422, data: { detail } }).msg, "bad");
  assert.deepEqual(failure({ ok: false }), { key: "error.network" });
});

test("new weight-like variables are ticked, vanished ones dropped, the learner's choice kept", () => {
  const next = followTicks(new Set(["w", "x"]), ["w", "x"], ["w", "x", "b", "y"]);
  assert.deepEqual([...next], ["w", "x", "b"]);
  assert.deepEqual([...followTicks(new Set(["w", "x"]), ["w", "x"], ["x"])], ["x"]);
  assert.deepEqual([...followTicks(new Set(), ["w"], ["w"])], []); // unticked by hand stays unticked
});

test("every run starts from the initial values unless the learner edited a parameter", () => {
  const initial = initialOf(PROBLEM).values;
  const applied = new Map([["w", 5]]);
  assert.deepEqual(startValues(initial, applied, { ...PROBLEM.values, w: 5 }, ["w"]), { w: 0 }); // the panel wrote 5
  assert.deepEqual(startValues(initial, applied, { ...PROBLEM.values, w: 9 }, ["w"]), { w: 9 }); // edited by hand
  assert.equal(initial.get("w"), 9);
});

test("single updates continue one session while the settings and the page's values hold", () => {
  const request = { expression: "e", params: ["w"], optimizer: { name: "sgd", lr: 0.1 }, steps: 1 };
  const config = stepConfig(request);
  assert.equal(config, stepConfig({ ...request, steps: 7 }));
  assert.notEqual(config, stepConfig({ ...request, l2: 0.1 }));
  const run = { id: "run-1" };
  const session = { config, expected: { w: 1 }, run };
  assert.ok(continues(session, config, { w: 1 }, [run]));
  assert.ok(!continues(session, config, { w: 2 }, [run]));
  assert.ok(!continues(session, config, { w: 1 }, []));
  assert.ok(!continues(null, config, { w: 1 }, [run]));
});

test("a replay rebuilds the manual run from the whole history", () => {
  const run = { points: [{ step: 1, loss: 0 }], pathNames: null, path: null };
  const history = [{ step: 1, loss: 4, grad_norm: 2, params: { w: 0 } }, { step: 2, loss: 1, grad_norm: 1, params: { w: 1 } }];
  replay(run, { history, params: { w: 1.5 }, stopped: null });
  assert.deepEqual(run.points.map((p) => p.loss), [4, 1]);
  assert.equal(run.steps, 2);
  assert.equal(run.state, "done");
  assert.deepEqual(run.final, { w: 1.5 });
  assert.deepEqual(stepStatus(history[1], null), { key: "train.status.stepped", params: { step: 2, loss: "1" } });
  assert.deepEqual(stepStatus(history[1], "diverged"), { key: "train.status.diverged", params: { step: 2 } });
});

test("an output that goes below 0 is called out: it is not a loss bounded below", () => {
  const run = { points: [{ step: 1, loss: 5995 }, { step: 2, loss: -3.959e7 }], final: { w: 1 }, error: null, stopped: null };
  endRun(run, { ok: true }, false);
  assert.equal(endStatus(run).key, "train.status.not_a_loss");
  const fine = { points: [{ step: 1, loss: 4 }, { step: 2, loss: 1 }], final: { w: 1 }, error: null, stopped: null };
  endRun(fine, { ok: true }, false);
  assert.equal(endStatus(fine).key, "train.status.done");
});
