// Share links: the page state survives the URL, and garbage never breaks the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_HASH_LENGTH, decodeState, encodeState } from "../../static/js/share.js";

const STATE = {
  expression: "q = x + y\nf = q * z  # 연쇄법칙 \u2212 \u{1F600}",
  values: { x: -2, y: 5, z: -4, W: [[1, 2], [3, 4]] },
  outputGrad: -4,
  expand: true,
  step: 5,
  lang: "ko",
};

test("a state round-trips through the hash, Unicode included", () => {
  const hash = encodeState(STATE);
  assert.match(hash, /^#s=[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeState(hash), STATE);
});

test("the hash is URL-safe and decodes with or without '#' and beside other parameters", () => {
  const hash = encodeState(STATE);
  assert.deepEqual(decodeState(hash.slice(1)), STATE);
  assert.deepEqual(decodeState(`#x=1&${hash.slice(1)}&y=2`), STATE);
  assert.equal(encodeURIComponent(hash.slice(3)), hash.slice(3));
});

test("missing fields stay missing", () => {
  assert.deepEqual(decodeState(encodeState({ expression: "x" })), { expression: "x" });
  assert.deepEqual(decodeState(encodeState({})), {});
  assert.deepEqual(decodeState(encodeState({ expression: "x", outputGrad: null })), { expression: "x", outputGrad: null });
});

function hashOf(payload) {
  const json = typeof payload === "string" ? payload : JSON.stringify(payload);
  return `#s=${Buffer.from(json, "utf8").toString("base64url")}`;
}

test("garbage decodes to null and never throws", () => {
  const garbage = [undefined, null, 42, {}, "", "#", "#s=", "#s=!!!!", "#s=%%%", "#t=abc", "#s=a",
    "#s=" + "A".repeat(10), hashOf("not json"), hashOf("[1, 2]"), hashOf("null"), hashOf("42"),
    hashOf('"string"'), `#s=${Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString("base64url")}`,
    hashOf("[".repeat(5000) + "]".repeat(5000)), hashOf({ v: 99, expression: "x" })];
  for (const hash of garbage) assert.equal(decodeState(hash), null, String(hash).slice(0, 40));
});

test("fields of the wrong type are dropped, the rest is kept", () => {
  const decoded = decodeState(hashOf({ expression: 7, values: { x: 1, y: { evil: true } }, expand: "yes",
    step: -1, lang: "fr", outputGrad: { a: 1 }, extra: "ignored" }));
  assert.deepEqual(decoded, {});
  const proto = decodeState(hashOf('{"__proto__": {"polluted": true}, "expression": "x", "values": {"__proto__": {"p": 1}}}'));
  assert.deepEqual(proto, { expression: "x" });
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.equal({}.polluted, undefined);
  const partial = decodeState(hashOf({ expression: "x*y", step: 2.5, values: { x: [1, 2] }, lang: "en" }));
  assert.deepEqual(partial, { expression: "x*y", values: { x: [1, 2] }, lang: "en" });
});

test("oversized hashes are refused before decoding", () => {
  const big = encodeState({ expression: "x+".repeat(60_000) + "x" });
  assert.ok(big.length > MAX_HASH_LENGTH);
  assert.equal(decodeState(big), null);
  const fits = encodeState({ expression: "x+".repeat(30_000) + "x" });
  assert.ok(fits.length <= MAX_HASH_LENGTH);
  assert.equal(decodeState(fits).expression.length, 60_001);
});
