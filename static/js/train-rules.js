// The training rules the panel builds its controls from: the optimizers, their
// hyperparameters (defaults, bounds, labels) and the limits, as GET /api/optimizers serves
// them from the engine's one table (app/engine/optim.py). Pure: tests in
// tests/js/train-rules.test.mjs.

/** A hyperparameter from its input's text: the number, or null when it is not a number in
 * [min, max) ((min, …) with `open`, (…, max] with `closed`, an integer with `integer`).
 * Empty text gives `empty` (undefined: required). */
export function readNumber(text, { min = -Infinity, max = Infinity, open = false, closed = false,
                                   integer = false, empty } = {}) {
  const s = String(text ?? "").trim().replaceAll("−", "-");
  if (s === "") return empty === undefined ? null : empty;
  const v = Number(s);
  if (!Number.isFinite(v) || v < min || (open && v === min) || v > max || (!closed && v === max)) return null;
  if (integer && !Number.isInteger(v)) return null;
  return v;
}

/** The reading rule of a hyperparameter's input (for readNumber). */
export function inputRule(h) {
  return { min: h.min ?? -Infinity, max: h.max ?? Infinity, open: Boolean(h.min_open),
           closed: h.max !== null && h.max !== undefined && !h.max_open,
           empty: h.required ? undefined : h.default };
}

/** Every hyperparameter of any optimizer, once, in the table's order: [{key, …}]. */
export function allHyperparameters(rules) {
  const seen = new Map();
  for (const o of rules?.optimizers ?? []) {
    for (const h of o.hyperparameters) if (!seen.has(h.key)) seen.set(h.key, h);
  }
  return [...seen.values()];
}

/** The optimizer `name` of the table, or undefined. */
export function findOptimizer(rules, name) {
  return (rules?.optimizers ?? []).find((o) => o.name === name);
}

/** `texts[lang]`, else the English. */
export function inLanguage(texts, lang) {
  return texts?.[lang] ?? texts?.en ?? "";
}

/** The starting value of each hyperparameter's input: the preset's, else the suggested. */
export function startingValues(rules, optimizer = {}) {
  return new Map(allHyperparameters(rules).map((h) => [h.key, optimizer?.[h.key] ?? h.suggested]));
}
