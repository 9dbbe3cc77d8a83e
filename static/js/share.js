// The share link: the page's state in the URL hash, "#s=<base64url of UTF-8 JSON>".
//
// A hash can come from anyone, so decoding never throws, accepts only a JSON object, keeps
// only the known fields with the right types, and refuses anything oversized before
// decoding it. TextEncoder/TextDecoder and btoa/atob exist in browsers and in Node ≥ 16.

export const MAX_HASH_LENGTH = 100_000;
const VERSION = 1;
const PREFIX = "s=";

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

/**
 * The URL hash for a page state {expression, values, outputGrad, expand, step, lang}.
 * Undefined fields are left out. The result may exceed MAX_HASH_LENGTH for huge inputs;
 * decodeState would refuse such a link, so callers can check its length first.
 */
export function encodeState({ expression, values, outputGrad, expand, step, lang } = {}) {
  const payload = { v: VERSION, expression, values, outputGrad, expand, step, lang };
  const json = JSON.stringify(payload);
  return `#${PREFIX}${toBase64Url(new TextEncoder().encode(json))}`;
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isNumberOrList(v) {
  return typeof v === "number" || typeof v === "string" || Array.isArray(v);
}

// Each field is checked on its own: a link from a newer or older page keeps what still fits.
const FIELDS = {
  expression: (v) => typeof v === "string",
  values: (v) => isPlainObject(v) && Object.values(v).every(isNumberOrList),
  outputGrad: (v) => v === null || isNumberOrList(v),
  expand: (v) => typeof v === "boolean",
  step: (v) => Number.isSafeInteger(v) && v >= 0,
  lang: (v) => v === "ko" || v === "en",
};

function sanitize(payload) {
  if (!isPlainObject(payload)) return null;
  if (payload.v !== undefined && payload.v !== VERSION) return null;
  const state = {};
  for (const [key, valid] of Object.entries(FIELDS)) {
    if (Object.hasOwn(payload, key) && valid(payload[key])) state[key] = payload[key];
  }
  return state;
}

function payloadText(hash) {
  const body = hash.startsWith("#") ? hash.slice(1) : hash;
  const part = body.split("&").find((p) => p.startsWith(PREFIX));
  return part === undefined ? null : part.slice(PREFIX.length);
}

function parsePayload(text) {
  const bytes = fromBase64Url(text);
  if (bytes === null) return null;
  return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
}

/** The state in a URL hash ("#s=…", with or without "#", other "&" parts ignored), or null
 * for anything that is not a valid share link. Never throws. */
export function decodeState(hash) {
  if (typeof hash !== "string" || hash.length > MAX_HASH_LENGTH) return null;
  const text = payloadText(hash);
  if (text === null) return null;
  try {
    return sanitize(parsePayload(text));
  } catch {
    return null;
  }
}
