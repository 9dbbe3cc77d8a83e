// Share links: the page state survives the URL, and a damaged link is refused whole, with a
// reason, never thrown at the page (README "The page").
import { test } from "node:test";
import assert from "node:assert/strict";
import { mulberry32 } from "./prng.mjs";
import {
  MAX_HASH_LENGTH, MAX_STEP, MAX_TEXT_LENGTH, MAX_VARIABLES, decodeState, encodeState, isVariableName,
} from "../../static/js/share.js";

const STATE = {
  expression: "q = x + y\nf = q * z  # 연쇄법칙 \u2212 \u{1F600}",
  values: new Map([["x", "-2"], ["y", "5"], ["z", "\u22124"], ["W", "[[1, 2], [3, 4]]"]]),
  outputGrad: "-4",
  expand: true,
  step: 5,
  lang: "ko",
};

function hashOf(payload) {
  const json = typeof payload === "string" ? payload : JSON.stringify(payload);
  return `#s=${Buffer.from(json, "utf8").toString("base64url")}`;
}

function restored(hash) {
  const decoded = decodeState(hash);
  assert.equal(decoded?.ok, true, `not restored: ${JSON.stringify(decoded)}`);
  return decoded.state;
}

function refused(hash) {
  const decoded = decodeState(hash);
  assert.equal(decoded?.ok, false, `not refused: ${String(hash).slice(0, 60)}`);
  assert.equal(typeof decoded.reason, "string");
  return decoded.reason;
}

test("a state round-trips through the hash, Unicode included", () => {
  const hash = encodeState(STATE);
  assert.match(hash, /^#s=[A-Za-z0-9_-]+$/);
  assert.deepEqual(restored(hash), STATE);
});

test("the hash is URL-safe and decodes with or without '#' and beside other parameters", () => {
  const hash = encodeState(STATE);
  assert.deepEqual(restored(hash.slice(1)), STATE);
  assert.deepEqual(restored(`#x=1&${hash.slice(1)}&y=2`), STATE);
  assert.equal(encodeURIComponent(hash.slice(3)), hash.slice(3));
});

test("no share link is null: nothing to restore, nothing to report", () => {
  for (const hash of [undefined, null, 42, {}, "", "#", "#t=abc", "#x=1&y=2", `#${"a".repeat(200_000)}`]) {
    assert.equal(decodeState(hash), null, String(hash).slice(0, 40));
  }
});

test("names that are Object.prototype's members are names like any other", () => {
  const names = ["constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf",
    "propertyIsEnumerable", "toLocaleString", "_proto", "가중치", "θ", "x_1"];
  const values = new Map(names.map((name, i) => [name, String(i - 3)]));
  const state = restored(encodeState({ expression: names.join(" + "), values }));
  assert.deepEqual([...state.values], [...values]);
  // A plain object works as input too, "constructor" included.
  const fromObject = restored(encodeState({ expression: "constructor", values: { constructor: "2" } }));
  assert.deepEqual([...fromObject.values], [["constructor", "2"]]);
  assert.equal(typeof restored(hashOf({ expression: "x", values: { valueOf: 3 } })).values.get("valueOf"), "string");
});

test("values written as JSON numbers or lists become the editor's text", () => {
  const state = restored(hashOf({ v: 1, expression: "x*y+W", values: { x: 3, y: -2.5, W: [[1, 2], [3, 4]], v: [1e-7] },
    outputGrad: -4, step: 2 }));
  assert.deepEqual([...state.values], [["x", "3"], ["y", "-2.5"], ["W", "[[1,2],[3,4]]"], ["v", "[1e-7]"]]);
  assert.equal(state.outputGrad, "-4");
  assert.equal(restored(hashOf({ expression: "x", outputGrad: null })).outputGrad, "");
  assert.equal(restored(hashOf({ expression: "x", outputGrad: [1, 2] })).outputGrad, "[1,2]");
});

test("missing fields stay missing, but the expression is required", () => {
  assert.deepEqual(restored(encodeState({ expression: "x" })), { expression: "x" });
  assert.deepEqual(restored(hashOf({ expression: "" })), { expression: "" });
  assert.equal(refused(encodeState({})), "expression");
  assert.equal(refused(hashOf({ values: { x: "1" } })), "expression");
});

test("garbage is refused with a reason and never throws", () => {
  const cases = [
    ["#s=", "json"], ["#s=!!!!", "encoding"], ["#s=%%%", "encoding"], ["#s=a", "encoding"],
    ["#s=" + "A".repeat(10), "json"], [hashOf("not json"), "json"], [hashOf("[1, 2]"), "shape"],
    [hashOf("null"), "shape"], [hashOf("42"), "shape"], [hashOf('"string"'), "shape"],
    [`#s=${Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString("base64url")}`, "encoding"],
    [hashOf("[".repeat(5000) + "]".repeat(5000)), "shape"], [hashOf({ v: 99, expression: "x" }), "version"],
    [hashOf({ v: "1", expression: "x" }), "version"],
  ];
  for (const [hash, reason] of cases) assert.equal(refused(hash), reason, hash.slice(0, 40));
});

test("every field is checked: one wrong field refuses the whole link", () => {
  const good = { v: 1, expression: "x*y", values: { x: "1", y: "2" }, outputGrad: "", expand: false, step: 3, lang: "en" };
  restored(hashOf(good));
  const bad = [
    ["expression", 7], ["expression", null], ["expression", ["x"]], ["expression", "x".repeat(MAX_TEXT_LENGTH + 1)],
    ["values", [1, 2]], ["values", "x=1"], ["values", null], ["values", { x: { evil: true } }],
    ["values", { x: true }], ["values", { x: null }], ["values", { x: [] }], ["values", { x: [[[1]]] }],
    ["values", { x: ["1"] }], ["values", { "1x": "1" }], ["values", { "x y": "1" }], ["values", { "": "1" }],
    ["values", { __dunder: "1" }], ["values", { "a-b": "1" }],
    ["outputGrad", { a: 1 }], ["outputGrad", true],
    ["expand", "yes"], ["expand", 1], ["step", -1], ["step", 2.5], ["step", "3"], ["step", MAX_STEP + 1],
    ["step", 1e300], ["lang", "fr"], ["lang", "KO"],
  ];
  for (const [key, value] of bad) {
    assert.equal(refused(hashOf({ ...good, [key]: value })), key, `${key}: ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  assert.equal(refused(hashOf({ ...good, extra: "ignored?" })), "shape");
  // Huge numbers: 1e999 parses as Infinity, which no field accepts.
  assert.equal(refused(hashOf('{"expression": "x", "values": {"x": 1e999}}')), "values");
  assert.equal(refused(hashOf('{"expression": "x", "step": 1e999}')), "step");
  assert.equal(restored(hashOf('{"expression": "x", "values": {"x": 1e308}}')).values.get("x"), "1e+308");
});

test("__proto__ and friends as JSON keys pollute nothing and are refused", () => {
  const payloads = [
    '{"__proto__": {"polluted": true}, "expression": "x"}',
    '{"expression": "x", "values": {"__proto__": {"polluted": true}}}',
    '{"expression": "x", "values": {"__proto__": "1"}}',
    '{"expression": "x", "values": {"x": "1", "__proto__": 5}}',
    '{"constructor": {"prototype": {"polluted": true}}, "expression": "x"}',
    '{"expression": "x", "prototype": 1}',
  ];
  for (const json of payloads) refused(hashOf(json));
  assert.equal({}.polluted, undefined);
  assert.equal(Object.prototype.polluted, undefined);
  // "constructor" and "prototype" are fine as variable names.
  const state = restored(hashOf('{"expression": "x", "values": {"constructor": "5", "prototype": 6}}'));
  assert.deepEqual([...state.values], [["constructor", "5"], ["prototype", "6"]]);
});

test("variable names follow Python's identifier rule, without the reserved '__'", () => {
  for (const name of ["x", "_", "_x1", "W2", "가중치", "θ", "ñame", "constructor", "_proto"]) {
    assert.ok(isVariableName(name), name);
  }
  for (const name of ["", "1x", "a b", "a-b", "__init__", "__proto__", "x\n", "∂", "a.b", 7, null]) {
    assert.ok(!isVariableName(name), String(name));
  }
});

test("oversized hashes and too many values are refused", () => {
  const big = encodeState({ expression: "x+".repeat(60_000) + "x" });
  assert.ok(big.length > MAX_HASH_LENGTH);
  assert.equal(refused(big), "too_long");
  const fits = encodeState({ expression: "x+".repeat(30_000) + "x" });
  assert.ok(fits.length <= MAX_HASH_LENGTH);
  assert.equal(restored(fits).expression.length, 60_001);
  const many = Object.fromEntries(Array.from({ length: MAX_VARIABLES + 1 }, (_, i) => [`v${i}`, "1"]));
  assert.equal(refused(hashOf({ expression: "x", values: many })), "values");
});

// ------------------------------------------------------------------ fuzzing

const random = mulberry32;

const NAMES = ["x", "y", "W", "b1", "constructor", "toString", "hasOwnProperty", "valueOf", "_proto",
  "isPrototypeOf", "가중치", "θ"];
const NASTY_KEYS = ["__proto__", "constructor", "prototype", "toString", "valueOf", "__defineGetter__",
  "hasOwnProperty", "v", "values", "", "1", "x y"];
const ODD_VALUES = () => [null, true, false, 0, -0, -1, 2.5, 1e308, -1e308, 2 ** 53 + 1, "", "x", "1e999",
  "\u0000", [], [[]], [1, [2]], [[[1]]], {}, { a: 1 }, "[".repeat(50),
  Array.from({ length: 30 }, (_, i) => i), JSON.parse('{"__proto__": {"polluted": true}}')];

function pick(rnd, list) {
  return list[Math.floor(rnd() * list.length)];
}

function validState(rnd) {
  const names = NAMES.filter(() => rnd() < 0.4);
  const state = {
    expression: names.join(" * ") || "1 + 2",
    values: new Map(names.map((n) => [n, pick(rnd, ["1", "-2.5", "[[1, 2], [3, 4]]", "[1, 2, 3]", "0"])])),
  };
  if (rnd() < 0.7) state.outputGrad = pick(rnd, ["", "-4", "[1, 2]"]);
  if (rnd() < 0.7) state.expand = rnd() < 0.5;
  if (rnd() < 0.7) state.step = Math.floor(rnd() * 40);
  if (rnd() < 0.7) state.lang = pick(rnd, ["ko", "en"]);
  return state;
}

// A JSON payload with one part replaced, added or removed (keys may be hostile).
function mutatePayload(rnd, payload) {
  const out = JSON.parse(JSON.stringify(payload));
  const inValues = rnd() < 0.5 && out.values !== null && typeof out.values === "object";
  const target = inValues ? out.values : out;
  const keys = Object.keys(target);
  const r = rnd();
  if (r < 0.4 && keys.length) target[pick(rnd, keys)] = pick(rnd, ODD_VALUES());
  else if (r < 0.7) Object.defineProperty(target, pick(rnd, NASTY_KEYS), { value: pick(rnd, ODD_VALUES()), enumerable: true, writable: true, configurable: true });
  else if (keys.length) delete target[pick(rnd, keys)];
  return out;
}

function flipByte(rnd, text) {
  const bytes = Buffer.from(text, "utf8");
  if (!bytes.length) return text;
  bytes[Math.floor(rnd() * bytes.length)] ^= 1 << Math.floor(rnd() * 8);
  return bytes.toString("latin1"); // any bytes, not necessarily valid UTF-8
}

function mutateHash(rnd, hash) {
  const body = hash.slice(3); // after "#s="
  const json = Buffer.from(body, "base64url").toString("utf8");
  switch (Math.floor(rnd() * 7)) {
    case 0: return `#s=${body.slice(0, Math.floor(rnd() * body.length))}`; // truncated link
    case 1: { // a character of the link changed
      const i = Math.floor(rnd() * body.length);
      return `#s=${body.slice(0, i)}${pick(rnd, ["A", "_", "-", "=", "%", "!", "é", ""])}${body.slice(i + 1)}`;
    }
    case 2: return `#s=${Buffer.from(flipByte(rnd, json), "latin1").toString("base64url")}`; // a bit flipped
    case 3: return hashOf(json.slice(0, Math.floor(rnd() * json.length))); // truncated JSON
    case 4: { // structure changes, one to three
      let payload = JSON.parse(json);
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n -= 1) payload = mutatePayload(rnd, payload);
      return hashOf(payload);
    }
    case 5: // huge numbers and deep nesting in place of a field's value
      return hashOf(json.replace(/("step":)\d+|("expand":)(true|false)/,
        (_, a, b) => `${a ?? b}${pick(rnd, ["1e999", "-1e999", "9".repeat(400), "[[[[[[1]]]]]]", "[".repeat(3000) + "]".repeat(3000)])}`));
    default: // the whole payload nested in arrays, or under a prototype key
      return hashOf(pick(rnd, [`[${json}]`, `{"__proto__": ${json}}`, `{"constructor": ${json}, "expression": "x"}`, `${json}${json}`]));
  }
}

// What a valid decoded state must look like, checked independently of the decoder.
function assertValidState(state, where) {
  assert.equal(Object.getPrototypeOf(state), Object.prototype, where);
  const allowed = new Set(["expression", "values", "outputGrad", "expand", "step", "lang"]);
  for (const key of Object.keys(state)) assert.ok(allowed.has(key), `${where}: key ${key}`);
  assert.equal(typeof state.expression, "string", where);
  if ("values" in state) {
    assert.ok(state.values instanceof Map, where);
    for (const [name, text] of state.values) {
      assert.match(name, /^(?!__)[\p{L}_][\p{L}\p{M}\p{N}_]*$/u, where);
      assert.equal(typeof text, "string", where);
    }
  }
  if ("outputGrad" in state) assert.equal(typeof state.outputGrad, "string", where);
  if ("expand" in state) assert.equal(typeof state.expand, "boolean", where);
  if ("step" in state) assert.ok(Number.isSafeInteger(state.step) && state.step >= 0 && state.step <= MAX_STEP, where);
  if ("lang" in state) assert.ok(state.lang === "ko" || state.lang === "en", where);
}

test("fuzz: valid links round-trip", () => {
  const rnd = random(20240607);
  for (let i = 0; i < 500; i += 1) {
    const state = validState(rnd);
    assert.deepEqual(restored(encodeState(state)), state, `case ${i}`);
  }
});

test("fuzz: damaged links restore a valid state or are refused, never throw or pollute", () => {
  const rnd = random(7);
  const outcomes = { restored: 0, refused: 0 };
  for (let i = 0; i < 4000; i += 1) {
    const state = validState(rnd);
    const hash = mutateHash(rnd, encodeState(state));
    const where = `case ${i}: ${hash.slice(0, 80)}`;
    let decoded;
    assert.doesNotThrow(() => { decoded = decodeState(hash); }, where);
    assert.ok(decoded !== null && typeof decoded === "object", where); // it is a link: never null
    if (decoded.ok) {
      assertValidState(decoded.state, where);
      outcomes.restored += 1;
    } else {
      assert.equal(decoded.ok, false, where);
      assert.equal(typeof decoded.reason, "string", where);
      outcomes.refused += 1;
    }
    assert.equal({}.polluted, undefined, where);
  }
  // Both outcomes happen: the mutator is neither too gentle nor too rough.
  assert.ok(outcomes.restored > 200 && outcomes.refused > 1000, JSON.stringify(outcomes));
});
