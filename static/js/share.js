// The share link: the page's state in the URL hash, "#s=<base64url of UTF-8 JSON>".
//
// A hash can come from anyone: hand-edited, cut short by a chat app, made up. So decoding
// never throws, refuses anything oversized before decoding it, and checks the whole shape:
// a link is restored whole or refused whole, with a reason the page turns into a message
// (restoring half of a damaged link would show a state nobody shared). TextEncoder/
// TextDecoder and btoa/atob exist in browsers and in Node ≥ 16.

export const MAX_HASH_LENGTH = 100_000;
// The longest expression or value text (UTF-16 units): thousands of operations, more than
// anyone shares by link; the engine's own limit (200,000) is for files and the API.
export const MAX_TEXT_LENGTH = 65_536;
export const MAX_VARIABLES = 1_000; // the engine's default max_variables
// Far beyond any graph the engine builds (≤ 50,000 nodes); the page clamps to the real count.
export const MAX_STEP = 1_000_000;
const VERSION = 1;
const PREFIX = "s=";

// Python's identifier rule (what the engine accepts, or soon will), minus the leading "__"
// the engine reserves. Any script: "가중치" and "θ" are names too.
const NAME = /^(?!__)[\p{XID_Start}_]\p{XID_Continue}*$/u;

/** Whether `name` can be a variable of the engine. */
export function isVariableName(name) {
  return typeof name === "string" && NAME.test(name);
}

function toBase64Url(bytes) {
  let binary = "";
  // Chunks keep String.fromCharCode's argument list short on long expressions.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(b64);
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

function entriesOf(values) {
  if (values instanceof Map) return [...values];
  return values !== null && typeof values === "object" ? Object.entries(values) : [];
}

/**
 * The URL hash for a page state {expression, values, outputGrad, expand, step, lang,
 * example, constants} (`example`: the preset whose explanation is shown; `constants`: the
 * constants' gradient steps are shown);
 * `values` is a Map (or an object) of name → editor text. Undefined fields are left out.
 * Huge inputs give a link decodeState refuses (too long, or a text over MAX_TEXT_LENGTH):
 * callers that must not hand out such a link check decodeState(hash).ok first.
 */
export function encodeState({ expression, values, outputGrad, expand, step, lang, example, constants } = {}) {
  // fromEntries defines own properties, so even a name like "__proto__" stays a plain key.
  const named = values === undefined ? undefined : Object.fromEntries(entriesOf(values));
  const payload = { v: VERSION, expression, values: named, outputGrad, expand, step, lang, example, constants };
  const json = JSON.stringify(payload);
  return `#${PREFIX}${toBase64Url(new TextEncoder().encode(json))}`;
}

// ------------------------------------------------------------------ checking the payload

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

// A vector or matrix as a hand-written link may hold it: non-empty lists of finite numbers,
// at most two levels (the engine's max_rank).
function isNumberList(v, depth = 2) {
  return Array.isArray(v) && v.length > 0
    && v.every((x) => (typeof x === "number" && Number.isFinite(x)) || (depth > 1 && isNumberList(x, depth - 1)));
}

/** A value as the editor's text: strings as they are, numbers and lists of numbers written
 * out (older or hand-written links hold those); null for anything else. */
function valueText(v) {
  if (typeof v === "string") return v.length <= MAX_TEXT_LENGTH ? v : null;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : null;
  return isNumberList(v) ? JSON.stringify(v) : null;
}

function readValues(v) {
  if (!isPlainObject(v)) return null;
  const entries = Object.entries(v); // own keys only: "__proto__" here is a key, and refused
  if (entries.length > MAX_VARIABLES) return null;
  const values = new Map();
  for (const [name, value] of entries) {
    const text = valueText(value);
    if (!isVariableName(name) || text === null) return null;
    values.set(name, text);
  }
  return values;
}

// Each field: its check-and-convert; null means the field is wrong (undefined never gets here).
const FIELDS = new Map([
  ["expression", (v) => (typeof v === "string" && v.length <= MAX_TEXT_LENGTH ? v : null)],
  ["values", readValues],
  ["outputGrad", (v) => (v === null ? "" : valueText(v))],
  ["expand", (v) => (typeof v === "boolean" ? v : null)],
  ["step", (v) => (Number.isSafeInteger(v) && v >= 0 && v <= MAX_STEP ? v : null)],
  ["lang", (v) => (v === "ko" || v === "en" ? v : null)],
  ["example", (v) => (typeof v === "string" && /^[a-z0-9-]{1,64}$/.test(v) ? v : null)],
  ["constants", (v) => (typeof v === "boolean" ? v : null)],
]);

/** {ok: true, state} for a payload of only the known fields, each of the right type, and
 * an expression (other fields may be missing: they stay missing), else {ok: false, reason}. */
function validate(payload) {
  if (!isPlainObject(payload)) return { ok: false, reason: "shape" };
  const state = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key === "v") {
      if (value !== VERSION) return { ok: false, reason: "version" };
      continue;
    }
    const read = FIELDS.get(key);
    if (!read) return { ok: false, reason: "shape" }; // an unknown key: not a link this page wrote
    const converted = read(value);
    if (converted === null) return { ok: false, reason: key };
    state[key] = converted;
  }
  // Without its expression a link restores nothing worth showing.
  if (!Object.hasOwn(state, "expression")) return { ok: false, reason: "expression" };
  return { ok: true, state };
}

function payloadText(hash) {
  const body = hash.startsWith("#") ? hash.slice(1) : hash;
  const part = body.split("&").find((p) => p.startsWith(PREFIX));
  return part === undefined ? null : part.slice(PREFIX.length);
}

// The payload's UTF-8 text, or null when it is not base64url of valid UTF-8.
function decodeText(text) {
  try {
    const bytes = fromBase64Url(text);
    return bytes && new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * What a URL hash ("#s=…", with or without "#", other "&" parts ignored) holds:
 *   null                      no share link at all (nothing to restore, nothing to say);
 *   {ok: true, state}         a valid link: {expression, and if present values: Map
 *                             name → text, outputGrad: text, expand, step, lang,
 *                             example: a preset's id, constants};
 *   {ok: false, reason}       a broken link: "too_long", "encoding", "json", "shape",
 *                             "version", or the name of the field that is wrong.
 * Never throws.
 */
export function decodeState(hash) {
  if (typeof hash !== "string") return null;
  const text = payloadText(hash);
  if (text === null) return null;
  if (hash.length > MAX_HASH_LENGTH) return { ok: false, reason: "too_long" };
  const json = decodeText(text);
  if (json === null) return { ok: false, reason: "encoding" };
  let payload;
  try {
    payload = JSON.parse(json);
  } catch {
    return { ok: false, reason: "json" };
  }
  return validate(payload);
}
