// Number and tensor formatting for the page: pure functions, no DOM, no i18n.
//
// The API sends non-finite numbers as the strings "NaN", "Infinity", "-Infinity" (strict
// JSON), tensors as nested arrays, and tensors too large to send as summaries
// {summary: true, shape, size, min, max, mean, non_finite}. Everything here accepts all
// three forms, so callers never have to check first.

// U+2212 MINUS SIGN: the hyphen-minus is too short to read as a sign next to digits.
export const MINUS = "\u2212";
export const ELLIPSIS = "\u2026";

const NON_FINITE = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

// Outside [1e-4, 1e6) fixed notation is either long ("0.00000015") or implies false
// precision ("123000000"), so those switch to exponent form.
const EXP_SMALL = 1e-4;
const EXP_LARGE = 1e6;

/** An API number (or one of its non-finite strings) as a JS number; anything else is NaN. */
export function toNumber(v) {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    if (Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v];
    return v.trim() === "" ? NaN : Number(v);
  }
  return NaN;
}

function clampDigits(digits) {
  const d = Math.round(Number(digits));
  return Number.isFinite(d) ? Math.min(17, Math.max(1, d)) : 4;
}

// "1.500" → "1.5", "2.000" → "2"; only ever called on strings that contain a point.
function trimZeros(s) {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

function formatExponent(abs, digits) {
  const [mantissa, exponent] = abs.toExponential(digits - 1).split("e");
  const e = Number(exponent);
  return `${trimZeros(mantissa)}e${e < 0 ? MINUS : ""}${Math.abs(e)}`;
}

function formatFixed(abs, digits) {
  // Integer digits are never replaced by zeros ("123457", not "123500"): zeros there would
  // look exact. Rounding happens first so 9.99996 becomes "10", not "10.00".
  if (abs >= 10 ** digits) return String(Math.round(abs));
  const rounded = Number(abs.toPrecision(digits));
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(rounded)));
  return trimZeros(rounded.toFixed(Math.min(decimals, 100)));
}

function formatMagnitude(abs, digits) {
  if (abs === Infinity) return "\u221e";
  const rounded = Number(abs.toPrecision(digits));
  if (rounded >= EXP_LARGE || abs < EXP_SMALL) return formatExponent(abs, digits);
  return formatFixed(abs, digits);
}

/**
 * A number for display: `digits` significant digits, trailing zeros trimmed, "−" for
 * negatives, "NaN", "∞", "−∞", and exponent form ("1.5e−7") for |v| < 1e-4 or ≥ 1e6.
 * Negative zero shows as "0": its sign carries no meaning for a learner.
 */
export function formatNumber(v, digits = 4) {
  const x = toNumber(v);
  if (Number.isNaN(x)) return "NaN";
  if (x === 0) return "0";
  const body = formatMagnitude(Math.abs(x), clampDigits(digits));
  return x < 0 ? MINUS + body : body;
}

/** A tensor's shape: "2×3", a vector "3", a scalar "()". */
export function formatShape(shape) {
  if (!Array.isArray(shape) || shape.length === 0) return "()";
  return shape.join("\u00d7");
}

/** A summarised tensor (the API's {summary: true, ...}). */
export function isSummary(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v) && v.summary === true;
}

/** True for anything that is not a scalar: nested arrays and summaries. */
export function isTensor(v) {
  return Array.isArray(v) || isSummary(v);
}

// Long rows keep their head and their last element, so the length and the end stay visible.
function truncated(items, max) {
  if (items.length <= max) return items;
  const head = items.slice(0, Math.max(1, max - 1));
  return [...head, ELLIPSIS, items[items.length - 1]];
}

function formatRow(row, digits, maxItems) {
  return `[${truncated(row, maxItems).map((x) => (x === ELLIPSIS ? x : formatNumber(x, digits))).join(", ")}]`;
}

function formatArray(v, digits, { maxItems = 6, maxRows = 4 } = {}) {
  if (!v.some(Array.isArray)) return formatRow(v, digits, maxItems);
  const rows = truncated(v, maxRows).map((row) =>
    row === ELLIPSIS ? row : formatRow(Array.isArray(row) ? row : [row], digits, maxItems));
  return `[${rows.join(", ")}]`;
}

function formatSummary(v, digits) {
  const shape = formatShape(v.shape);
  const bad = Number(v.non_finite) > 0 ? `, ${v.non_finite} NaN/\u221e` : "";
  if (v.min === undefined || v.max === undefined) return `${shape}: ${v.non_finite ?? "?"} NaN/\u221e`;
  return `${shape}: ${formatNumber(v.min, digits)} ${ELLIPSIS} ${formatNumber(v.max, digits)}${bad}`;
}

/**
 * Any API value for display: a scalar ("−2"), an array ("[1, −2, 3]"), a matrix
 * ("[[1, 2], [3, 4]]", long rows and columns cut with "…") or a summary
 * ("512×512: −0.5 … 47.4"). `opts` = {maxItems, maxRows} bounds what is shown.
 */
export function formatValue(v, digits = 4, opts = {}) {
  if (Array.isArray(v)) return formatArray(v, digits, opts);
  if (isSummary(v)) return formatSummary(v, digits);
  return formatNumber(v, digits);
}

/** The CSS sign class of a scalar: "pos" | "neg" | "zero" | "nan". Tensors are "zero"
 * (neutral): colour them element by element instead. */
export function signClass(v) {
  if (isTensor(v)) return "zero";
  const x = toNumber(v);
  if (Number.isNaN(x)) return "nan";
  if (x > 0) return "pos";
  return x < 0 ? "neg" : "zero";
}

const GLYPHS = { pos: "+", neg: MINUS, zero: "0", nan: "!" };

/** A glyph that carries the sign without colour: "+", "−", "0", or "!" for NaN. */
export function signGlyph(v) {
  return GLYPHS[signClass(v)];
}

/**
 * A number in at most `maxChars` characters where it can be (a heatmap cell is narrow):
 * up to `digits` significant digits (never more than 3), fewer if that is too long, then
 * exponent form ("1.2e5", "−1e−5"). A number that fits no form gets the shortest one.
 */
export function formatCompact(v, digits = 3, maxChars = 5) {
  const x = toNumber(v);
  if (!Number.isFinite(x) || x === 0) return formatNumber(x, digits);
  const most = Math.min(3, clampDigits(digits));
  const candidates = [];
  for (let d = most; d >= 1; d -= 1) candidates.push(formatNumber(x, d));
  for (let d = Math.min(2, most); d >= 1; d -= 1) {
    candidates.push((x < 0 ? MINUS : "") + formatExponent(Math.abs(x), d));
  }
  return candidates.find((s) => s.length <= maxChars)
    ?? candidates.reduce((a, b) => (b.length < a.length ? b : a));
}
