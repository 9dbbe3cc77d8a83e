// How an op's templates read with names or numbers: the engine's app/engine/writing.py in
// JavaScript, so the page and the CLI write the same node the same way. The templates come
// from /api/ops (`written`, `derivative`); tests/js/writing.test.mjs replays cases the
// engine rendered (tests/js/fixtures/writing.json) and expects the same text.
//
// {0} {1} stand for the operands and {y} for the op's output. An operand is put in
// parentheses unless it is atomic (a name, a number, a call, a bracketed group), stands
// alone between brackets or commas as in max({0}, {1}), or is a negated atom leading the
// text (−2 × 5 reads as (−2) × 5).

const PLACEHOLDER = /\{(\d|y)\}/g;
const NUMBER = /^[0-9.]+(?:[eE][+\-\u2212]?[0-9]+)?$/;
// Python's str.isidentifier, near enough for names the engine accepted: a letter or _ then
// letters, marks, digits, connector punctuation.
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;
const CALLEE = /^[^\s()[\],+\-\u2212*/\u00d7\u00f7\u00b7@^]+$/u;
const OPENERS = new Set(["", "(", "[", ","]);
const CLOSERS = new Set(["", ")", "]", ","]);

// Whether the bracket at `start` is closed by the text's last character.
function closesAtEnd(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    depth += "([".includes(text[i]) ? 1 : ")]".includes(text[i]) ? -1 : 0;
    if (depth === 0) return i === text.length - 1;
  }
  return false;
}

/** A name, a number, a call f(…) or a bracketed group: needs no parentheses. */
export function isAtomic(text) {
  if (IDENTIFIER.test(text) || NUMBER.test(text)) return true;
  if (text[0] === "(" || text[0] === "[") return closesAtEnd(text, 0);
  const open = text.indexOf("(");
  return open > 0 && CALLEE.test(text.slice(0, open)) && closesAtEnd(text, open);
}

/** `template` with {k} replaced by parts[k] and {y} by `y`, bracketed where needed. */
export function render(template, parts, y = "") {
  return template.replace(PLACEHOLDER, (match, key, offset) => {
    const part = String(key === "y" ? y : parts[Number(key)]);
    const before = template.slice(0, offset).trimEnd().slice(-1);
    const after = template.slice(offset + match.length).trimStart().slice(0, 1);
    const alone = OPENERS.has(before) && CLOSERS.has(after);
    const leading = !before && after !== "^" && /^[\u2212-]/.test(part) && isAtomic(part.slice(1));
    return alone || leading || isAtomic(part) ? part : `(${part})`;
  });
}

/** Which of its gate's sentences fits an edge (null when the op has no gate pattern):
 * `local` is the number on a scalar edge, else text; `broadcast` when the source was
 * broadcast in the forward pass, so its gradient is a sum. */
export function gateCase(op, index, local, broadcast) {
  if (op?.gate === "distribute") {
    if (broadcast) return "summed";
    return String(op.rule?.[index] ?? "").startsWith("\u2212") ? "negated" : "same";
  }
  if (op?.gate === "route") {
    if (typeof local !== "number") return "any";
    return { 1: "win", 0: "lose", 0.5: "tie" }[local] ?? "any";
  }
  if (op?.gate === "swap" && op.arity === 2) return "other";
  return null;
}

/** The gate's sentence for `gateCase`, in `lang`, with the edge's source and other input. */
export function gateSentence(op, gateCaseName, lang, source = "", other = "") {
  const texts = op?.sentences?.[gateCaseName];
  if (!texts) return null;
  return (texts[lang] ?? texts.en).replaceAll("{source}", source).replaceAll("{other}", other);
}
