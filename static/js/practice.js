// Practice mode: the timeline as exercises. On a backward edge step the gradient the edge
// sends back (its contribution) is hidden and the learner types it; on a forward step,
// optionally, the node's value. Pure logic: the page owns the DOM and localStorage.
//
// k is the timeline's k, as in explain(): the question is about steps[k − 1].
//
//   questionAt(graph, k, {forward})  → null | {k, kind: "gradient"|"value", shape, answer,
//                                      node, edge, source, target, params}
//   questionSteps(graph, {forward})   → the ks that are asked, in order
//   promptText(question, lang)        → the question as a sentence (+ how to type a tensor)
//   parseAnswer(text)                 → number | number[] | number[][] | {error, token?}
//   checkAnswer(question, typed, digits) → {correct, attempt, expected, reason?, token?}
//   feedback(result, lang)            → the sentence for a checkAnswer result
//   hints(graph, k, lang, {digits, ops}) → up to 3 strings: gate, local formula, numbers
//   newScore() / record(score, k, correct, firstTry?) / tally(score) / wrongSteps(score) /
//   scoreText(score, lang) / bestOf(a, b)
//   scoreKey(presetIdOrExpression) / serialize(score) / deserialize(text)

import { displayName, explain, topName } from "./chain-rule.js";
import { MINUS, formatNumber, formatShape, formatValue, isSummary, toNumber } from "./format.js";
import { t } from "./i18n.js";
import { prepare } from "./timeline.js";
import { isAtomic, render } from "./writing.js";

// Nobody types a big tensor cell by cell: larger answers (and summaries) are not asked.
export const MAX_CELLS = 16;
// An asked tensor is small, so it is shown whole, never cut with "…".
const WHOLE = { maxItems: MAX_CELLS, maxRows: MAX_CELLS };

// ------------------------------------------------------------------ questions

// [] for a scalar (or a non-finite string), [n] for a vector, [rows, cols] for a matrix;
// null for anything that cannot be typed (a summary, rank 3, ragged rows, too many cells).
function typableShape(v) {
  if (!Array.isArray(v)) return isSummary(v) ? null : [];
  if (!v.some(Array.isArray)) return v.length && v.length <= MAX_CELLS ? [v.length] : null;
  const cols = v[0]?.length;
  const rectangular = v.every((row) => Array.isArray(row) && row.length === cols
    && !row.some(Array.isArray));
  return rectangular && cols && v.length * cols <= MAX_CELLS ? [v.length, cols] : null;
}

function stepAt(graph, k) {
  const p = prepare(graph);
  const i = Math.trunc(Number(k));
  return Number.isInteger(i) && i >= 1 && i <= p.n ? p.steps[i - 1] : null;
}

function gradientQuestion(graph, k, step) {
  const shape = typableShape(step.contribution);
  if (!shape) return null;
  return { k, kind: "gradient", shape, answer: step.contribution, node: null, edge: step.edge,
    source: step.source, target: step.target,
    params: { source: displayName(graph, step.source), target: displayName(graph, step.target) } };
}

function valueQuestion(graph, k, step) {
  const shape = typableShape(step.value);
  if (!shape) return null;
  return { k, kind: "value", shape, answer: step.value, node: step.node, edge: null,
    source: null, target: null, params: { node: displayName(graph, step.node) } };
}

/** The exercise at timeline index k (about steps[k − 1]), or null when that step is not
 * asked: the seed, forward steps unless `forward`, answers too big to type. Constants'
 * edges are the page's to filter (timeline.withoutConstantSteps). */
export function questionAt(graph, k, { forward = false } = {}) {
  const step = stepAt(graph, k);
  if (step?.kind === "edge") return gradientQuestion(graph, Number(k), step);
  if (step?.kind === "node" && forward) return valueQuestion(graph, Number(k), step);
  return null;
}

/** Every k that questionAt asks, in timeline order. */
export function questionSteps(graph, options = {}) {
  const n = prepare(graph).n;
  const ks = [];
  for (let k = 1; k <= n; k += 1) if (questionAt(graph, k, options)) ks.push(k);
  return ks;
}

function formatHelp(shape, lang) {
  if (shape.length === 1) return t(lang, "practice.prompt_vector", { count: shape[0] });
  return shape.length === 2 ? t(lang, "practice.prompt_shape", { shape: formatShape(shape) }) : "";
}

/** The question as the page asks it; a tensor's also says how to type its cells. */
export function promptText(question, lang) {
  const key = question.kind === "value" ? "practice.prompt_value" : "practice.prompt_gradient";
  return [t(lang, key, question.params), formatHelp(question.shape, lang)].filter(Boolean).join(" ");
}

// ------------------------------------------------------------------ reading what was typed

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const INFINITE = /^([+-]?)(?:inf|infinity|\u221e)$/i;

// One typed cell as a number, or null. A strict pattern check before Number(): Number()
// alone would take "0x10", "" and " ", and nothing typed is ever evaluated.
function readNumber(token) {
  if (NUMBER.test(token)) return Number(token);
  const inf = INFINITE.exec(token);
  if (inf) return inf[1] === "-" ? -Infinity : Infinity;
  return /^nan$/i.test(token) ? NaN : null;
}

function fail(error, token) {
  return token === undefined ? { error } : { error, token };
}

function isRagged(items) {
  const rows = items.filter(Array.isArray);
  if (rows.length === 0) return false;
  return rows.length !== items.length || rows.some((row) => row.length !== rows[0].length);
}

// [1, 2] or [[1, 2], [3, 4]]: brackets nest at most twice; commas and spaces separate.
function readList(tokens, at, depth) {
  const items = [];
  let i = at + 1;
  while (i < tokens.length && tokens[i] !== "]") {
    if (tokens[i] === "[") {
      if (depth >= 2) return fail("practice.parse.rank");
      const inner = readList(tokens, i, depth + 1);
      if (inner.error) return inner;
      items.push(inner.value);
      i = inner.next;
    } else {
      const x = readNumber(tokens[i]);
      if (x === null) return fail("practice.parse.number", tokens[i]);
      items.push(x);
      i += 1;
    }
  }
  if (i >= tokens.length) return fail("practice.parse.brackets");
  if (!items.length || items.some((row) => Array.isArray(row) && !row.length)) return fail("practice.parse.empty");
  return isRagged(items) ? fail("practice.parse.ragged") : { value: items, next: i + 1 };
}

function parseBrackets(text) {
  const tokens = text.match(/\[|\]|[^\s[\],]+/g);
  const list = readList(tokens, 0, 1);
  if (list.error) return list;
  return list.next === tokens.length ? list.value : fail("practice.parse.brackets");
}

// 1 2; 3 4 (rows by ; or new lines, cells by spaces or commas). One cell is a number.
function parseRows(text) {
  const rows = text.split(/[;\n]/).map((row) => row.split(/[\s,]+/).filter(Boolean)).filter((row) => row.length);
  const cells = [];
  for (const row of rows) {
    const values = row.map(readNumber);
    const bad = values.indexOf(null);
    if (bad >= 0) return fail("practice.parse.number", row[bad]);
    cells.push(values);
  }
  if (cells.length === 1 && cells[0].length === 1) return cells[0][0];
  return isRagged(cells) ? fail("practice.parse.ragged") : cells;
}

/** What the learner typed: a number, a list of numbers ([1, 2]) or rows ([[1, 2], [3, 4]]
 * or "1 2; 3 4"), or {error: an i18n key, token?: the part that is not a number}. Accepts
 * "−" (U+2212), "+", decimals, exponents, NaN, Infinity/∞. */
export function parseAnswer(text) {
  const s = String(text ?? "").replace(/\u2212/g, "-").trim();
  if (!s) return fail("practice.parse.empty");
  if (s.startsWith("[")) return parseBrackets(s);
  return /[[\]]/.test(s) ? fail("practice.parse.brackets") : parseRows(s);
}

// ------------------------------------------------------------------ checking

function clampDigits(digits) {
  const d = Math.round(Number(digits));
  return Number.isFinite(d) ? Math.min(17, Math.max(1, d)) : 4;
}

// Right "to the displayed precision": both round to the same `digits` significant digits,
// or they are within a relative 0.5·10^(1−digits) (so 0.19665 is not wrong for 0.1966 just
// because the two round to different sides, and a hand calculation from rounded upstream
// and local numbers, a unit or so off in the last digit, still counts). Non-finite values
// match only the same non-finite value; zero only zero (its relative window is empty).
function sameNumber(answer, typed, digits) {
  const a = toNumber(answer);
  const b = toNumber(typed);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return formatNumber(a) === formatNumber(b);
  if (Number(a.toPrecision(digits)) === Number(b.toPrecision(digits))) return true;
  return Math.abs(a - b) <= 0.5 * 10 ** (1 - digits) * Math.abs(a);
}

// Every value as rows, so shapes compare one way: a scalar is 1×1, a vector one row.
function asRows(v) {
  if (!Array.isArray(v)) return [[v]];
  return v.some(Array.isArray) ? v : [v];
}

function rowsShape(rows) {
  return [rows.length, rows[0].length];
}

/** Whether `typed` (the learner's text, or an already parsed value) is the question's
 * answer to `digits` significant digits: {correct, attempt (false when the text could not
 * be read: not a try), expected (the answer as the page shows it), reason?: an i18n key
 * ("practice.parse.*", "practice.wrong_shape"), token?, shape?, typedShape?}. */
export function checkAnswer(question, typed, digits = 4) {
  const d = clampDigits(digits);
  const expected = formatValue(question.answer, d, WHOLE);
  const value = typeof typed === "string" ? parseAnswer(typed) : typed;
  if (value?.error) {
    const { error: reason, ...token } = value;
    return { correct: false, attempt: false, expected, reason, ...token };
  }
  const want = asRows(question.answer);
  const got = asRows(value);
  if (String(rowsShape(want)) !== String(rowsShape(got))) {
    return { correct: false, attempt: true, expected, reason: "practice.wrong_shape",
      shape: question.shape, typedShape: Array.isArray(value) ? rowsShape(got) : [] };
  }
  const correct = want.every((row, i) => row.every((x, j) => sameNumber(x, got[i][j], d)));
  return { correct, attempt: true, expected };
}

function shapeWords(shape, lang) {
  return shape.length ? formatShape(shape) : t(lang, "practice.shape_scalar");
}

/** The sentence the page shows for a checkAnswer result. */
export function feedback(result, lang) {
  if (result.correct) return t(lang, "practice.correct");
  if (result.reason === "practice.wrong_shape") {
    return t(lang, "practice.wrong_shape", { shape: shapeWords(result.shape, lang), typed: shapeWords(result.typedShape, lang) });
  }
  if (result.reason) return t(lang, result.reason, { token: result.token });
  return t(lang, "practice.wrong", { expected: result.expected });
}

// ------------------------------------------------------------------ hints

const PARTIAL = "\u2202";

function wrapName(text) {
  return isAtomic(text) ? text : `(${text})`;
}

function partial(top, name) {
  return `${PARTIAL}${wrapName(top)}/${PARTIAL}${wrapName(name)}`;
}

// A negative factor after "·" reads as a subtraction unless parenthesised: "−4 · (−2)",
// as the chain-rule panel writes it.
function factor(v, digits, position) {
  const s = formatNumber(v, digits);
  return s.startsWith(MINUS) && position > 0 ? `(${s})` : s;
}

function findOp(ops, name) {
  const list = Array.isArray(ops) ? ops : Array.isArray(ops?.ops) ? ops.ops : [];
  return list.find((op) => op.name === name) ?? null;
}

function inputNames(graph, node) {
  return node.inputs.map((id) => displayName(graph, id));
}

// The local derivative with names only: its number would give the answer away when the
// upstream gradient is 1. Tensor rules come from explain's rule line, which has shapes, no
// numbers.
function localFormula(graph, step, target, lang, ops, e) {
  if (step.shapes) return e.lines[1];
  const op = findOp(ops, target.op);
  const local = partial(displayName(graph, step.target), displayName(graph, step.source));
  const template = op?.derivative?.[step.index];
  if (!template) return t(lang, "practice.hint_local_none", { partial: local });
  return `${local} = ${render(template, inputNames(graph, target), op.label)}`;
}

function edgeNumbers(graph, step, lang, digits) {
  const answer = formatValue(step.contribution, digits, WHOLE);
  if (step.shapes) {
    return t(lang, "practice.hint_tensor_numbers", { upstream: formatValue(step.upstream, digits), rule: step.local, answer });
  }
  const top = topName(graph);
  const tgt = displayName(graph, step.target);
  const chain = `${partial(top, tgt)} \u00b7 ${partial(tgt, displayName(graph, step.source))}`;
  return `${chain} = ${factor(step.upstream, digits, 0)} \u00b7 ${factor(step.local, digits, 1)} = ${answer}`;
}

function edgeHints(graph, k, step, lang, digits, ops) {
  const p = prepare(graph);
  const e = explain(graph, k, lang, { digits, ops });
  // Without a gate pattern, the caption ("upstream × local = the gradient sent back to x")
  // is the pattern: it is the chain rule itself.
  const pattern = e.gate ?? e.lines[0];
  return [pattern, localFormula(graph, step, p.nodeById.get(step.target), lang, ops, e),
    edgeNumbers(graph, step, lang, digits)];
}

function inputValues(graph, node, digits) {
  const p = prepare(graph);
  return node.inputs.map((id) => {
    const input = p.nodeById.get(id);
    const value = formatValue(input.value, digits);
    // A constant's name is its value: "2", not "2 = 2".
    return input.kind === "constant" ? value : `${displayName(graph, id)} = ${value}`;
  }).join(", ");
}

function forwardHints(graph, k, step, lang, digits, ops) {
  const node = prepare(graph).nodeById.get(step.node);
  const e = explain(graph, k, lang, { digits, ops });
  const op = findOp(ops, node.op);
  const names = inputNames(graph, node);
  const tensor = e.lines.length > 2;
  const formula = tensor ? e.lines[1] : op ? render(op.written, names) : `${node.label}(${names.join(", ")})`;
  return [t(lang, "practice.hint_inputs", { inputs: inputValues(graph, node, digits) }), formula, e.lines.at(-1)];
}

/** Up to three hints for the step at k, to show one by one: (1) the gate's pattern (or the
 * chain rule itself; for a forward step, the inputs' values), (2) the local derivative's
 * formula in names (a forward step: the op in names), (3) the numbers that give the
 * answer. [] for steps that are not exercises (the seed). */
export function hints(graph, k, lang, { digits = 4, ops = null } = {}) {
  const step = stepAt(graph, k);
  const d = clampDigits(digits);
  if (step?.kind === "edge") return edgeHints(graph, Number(k), step, lang, d, ops);
  if (step?.kind === "node") return forwardHints(graph, Number(k), step, lang, d, ops);
  return [];
}

// ------------------------------------------------------------------ score

// A score lists step indexes (ks): asked, and of those the ones right or wrong on the
// first try. Lists, not counters, so "practise the steps I got wrong" needs nothing else.
// Scores are never changed in place: record returns a new one.

/** An empty score. */
export function newScore() {
  return { asked: [], right: [], wrong: [] };
}

/** The score after an answer at step k. Only a step's first try counts, and only once:
 * retries (firstTry false, or k already recorded) leave the score as it is. */
export function record(score, k, correct, firstTry = true) {
  if (!firstTry || score.asked.includes(k)) return score;
  return {
    asked: [...score.asked, k],
    right: correct ? [...score.right, k] : score.right,
    wrong: correct ? score.wrong : [...score.wrong, k],
  };
}

/** {right: steps right on the first try, asked: steps asked}. */
export function tally(score) {
  return { right: score.right.length, asked: score.asked.length };
}

/** The steps not right on the first try, in timeline order. */
export function wrongSteps(score) {
  return [...score.wrong].sort((a, b) => a - b);
}

/** "3 / 5 right on the first try". */
export function scoreText(score, lang) {
  const { right, asked } = tally(score);
  return t(lang, "practice.score", { k: right, n: asked });
}

/** The better of two scores (either may be null): the higher first-try rate, then the one
 * with more steps asked. Ties keep `a`. */
export function bestOf(a, b) {
  if (!a || !b) return a ?? b ?? null;
  const rate = (s) => (s.asked.length ? s.right.length / s.asked.length : 0);
  if (rate(a) !== rate(b)) return rate(a) > rate(b) ? a : b;
  return b.asked.length > a.asked.length ? b : a;
}

// ------------------------------------------------------------------ storage

const VERSION = 1;

/** The localStorage key of the scores of one preset (its id) or typed expression. */
export function scoreKey(presetIdOrExpression) {
  return `bpv-practice:${String(presetIdOrExpression ?? "").trim().replace(/\s+/g, " ")}`;
}

/** A score as text for localStorage. */
export function serialize(score) {
  return JSON.stringify({ v: VERSION, ...score });
}

function steps(list) {
  return Array.isArray(list) ? [...new Set(list.filter((k) => Number.isInteger(k) && k > 0))] : [];
}

/** A score from serialize's text, or null when the text is not one (missing, corrupt, an
 * other version). What is kept is consistent: right and wrong are disjoint steps asked. */
export function deserialize(text) {
  let data;
  try {
    data = JSON.parse(String(text));
  } catch {
    return null;
  }
  if (data?.v !== VERSION) return null;
  const asked = steps(data.asked);
  const right = steps(data.right).filter((k) => asked.includes(k));
  const wrong = asked.filter((k) => !right.includes(k));
  return { asked, right, wrong };
}
