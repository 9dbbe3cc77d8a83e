// Asking ahead of the Run click: one request asked at a time, and what was made of its answer
// handed out for exactly that request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ahead, AHEAD_MAX_CHARS } from "../../static/js/ahead.js";

/** An `ask` that records its calls and answers when told to. */
function asker() {
  const calls = [];
  const ask = (request) => new Promise((resolve) => calls.push({ request, resolve }));
  return { calls, ask };
}

const REQUEST = { expression: "(x+y)*z", values: { x: -2, y: 5, z: -4 }, expand: false };

test("a request is asked once, and what was made of it is ready for an equal request only", async () => {
  const { calls, ask } = asker();
  const ahead = new Ahead(ask);
  const answer = ahead.want(REQUEST);
  assert.equal(ahead.want({ ...REQUEST, values: { ...REQUEST.values } }), answer, "asked once");
  assert.equal(calls.length, 1);
  assert.equal(ahead.ready(REQUEST), null, "nothing made of it yet");
  calls[0].resolve({ ok: true, status: 200, data: { value: -12 } });
  assert.deepEqual(await answer, { ok: true, status: 200, data: { value: -12 } });
  ahead.keep(structuredClone(REQUEST), "laid out");
  assert.equal(ahead.ready(structuredClone(REQUEST)), "laid out");
  for (const other of [{ ...REQUEST, values: { x: -2, y: 5, z: -3 } }, { ...REQUEST, expand: true },
    { ...REQUEST, mistake: "output_for_input" }, { ...REQUEST, output_grad: 2 },
    { ...REQUEST, expression: "(x+y)*z " }]) {
    assert.equal(ahead.ready(other), null, JSON.stringify(other));
  }
});

test("a new request replaces the one asked: what was made of the old answer is never handed out", () => {
  const { calls, ask } = asker();
  const ahead = new Ahead(ask);
  ahead.want(REQUEST);
  ahead.keep(REQUEST, "laid out");
  const changed = { ...REQUEST, values: { x: 1, y: 5, z: -4 } };
  ahead.want(changed);
  assert.equal(calls.length, 2);
  assert.equal(ahead.ready(REQUEST), null);
  assert.equal(ahead.ready(changed), null, "the old one is not handed out for the new request");
  ahead.keep(REQUEST, "stale");
  assert.equal(ahead.ready(REQUEST), null, "nothing is kept for a request no longer asked");
  assert.equal(ahead.ready(changed), null);
  ahead.keep(changed, "laid out");
  assert.equal(ahead.ready(changed), "laid out");
});

test("a request too big to ask unbidden is not asked, and forgets the last one", () => {
  const { calls, ask } = asker();
  const ahead = new Ahead(ask);
  ahead.want(REQUEST);
  ahead.keep(REQUEST, "laid out");
  const big = { ...REQUEST, expression: "x+".repeat(AHEAD_MAX_CHARS / 2) + "x" };
  assert.equal(ahead.want(big), null);
  assert.equal(calls.length, 1);
  ahead.keep(big, "laid out");
  assert.equal(ahead.ready(big), null);
  assert.equal(ahead.ready(REQUEST), null);
});
