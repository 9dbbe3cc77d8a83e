"""How nodes, local derivatives and gates read: one text for the page, the CLI and the docs.

A node is written as a reader would name it: its variable or stage name; else its own
source text; else (a node made by expanding a composite, which has no text of its own) its
op's `written` form over its inputs' texts, e.g. `1 + exp(−u)`. Long texts are cut in the
middle with "…". A text without "…" parses back to the same computation
(tests/unit/test_writing.py), so a learner can paste what the page shows; only the
internal ops of expansions (Σ₀, N) are not part of the language.

Templates are the registry's (`Op.written`, `Op.derivative`): {0} {1} stand for the
operands and {y} for the op's output. An operand is put in parentheses unless it is
atomic (a name, a number, a call, a bracketed group) or stands alone between brackets or
commas, as in `max({0}, {1})`, or is a negated atom leading the text (−2 × 5). The page renders the same templates the same way
(static/js/writing.js; tests/js/writing.test.mjs checks both agree on every fixture).
"""

import re

MAX_TEXT = 32  # code points; longer texts keep their two ends around "…"
_LONG = 4 * MAX_TEXT  # texts up to this long are kept whole while building larger ones
ELLIPSIS = "…"

_PLACEHOLDER = re.compile(r"\{(\d|y)\}")
_NUMBER = re.compile(r"[0-9.]+(?:[eE][+\-−]?[0-9]+)?")
_CALLEE = re.compile(r"[^\s()\[\],+\-−*/×÷·@^]+")  # sigmoid, Σ₀: a name without operators
_OPENERS, _CLOSERS = ("", "(", "[", ","), ("", ")", "]", ",")


def _closes_at_end(text, start):
    """Whether the bracket at `start` is closed by the text's last character."""
    depth = 0
    for i in range(start, len(text)):
        depth += text[i] in "([" and 1 or text[i] in ")]" and -1 or 0
        if depth == 0:
            return i == len(text) - 1
    return False


def is_atomic(text):
    """A name, a number, a call `f(…)` or a bracketed group: needs no parentheses."""
    if text.isidentifier() or _NUMBER.fullmatch(text):
        return True
    if text[:1] in "([":
        return _closes_at_end(text, 0)
    open_at = text.find("(")
    return open_at > 0 and bool(_CALLEE.fullmatch(text[:open_at])) and _closes_at_end(text, open_at)


def render(template, parts, y=""):
    """`template` with {k} replaced by parts[k] and {y} by `y`, each in parentheses where
    an operator stands next to it and it is not atomic."""
    def fill(match):
        part = y if match[1] == "y" else parts[int(match[1])]
        before = template[:match.start()].rstrip()[-1:]
        after = template[match.end():].lstrip()[:1]
        alone = before in _OPENERS and after in _CLOSERS
        # −2 × 5 reads as (−2) × 5: unary minus binds tighter than all but ^
        leading = not before and after != "^" and part[:1] in "−-" and is_atomic(part[1:])
        return part if alone or leading or is_atomic(part) else f"({part})"
    return _PLACEHOLDER.sub(fill, template)


def elide(text, limit=MAX_TEXT):
    if len(text) <= limit:
        return text
    head = (limit - 3) // 2  # " … " takes three
    return f"{text[:head].rstrip()} {ELLIPSIS} {text[len(text) - (limit - 3 - head):].lstrip()}"


_HEAD = (MAX_TEXT - 3) // 2  # what elide() keeps of a text longer than MAX_TEXT
_TAIL = MAX_TEXT - 3 - _HEAD


_BREAKS = re.compile(r"[#;=\n]")  # a span with one of these covers more than an expression
# Where a span's text is not already its own collapsed text: a break, or whitespace other
# than single spaces.
_NOT_PLAIN = re.compile(r"[#;=\n]|[^\S ]|  ")


def _source_text(source, start, end, breaks=_BREAKS.search):
    """The node's own source text with its whitespace collapsed; "" or None when it spans
    more than an expression (a comment, a statement). Only the ends of a long span are
    read: a 10,000-op program has nodes whose spans cover most of its text."""
    if end - start > _LONG:
        if breaks(source, start, start + _LONG) or breaks(source, end - _LONG, end):
            return None
        text = f"{source[start:start + _LONG]} {ELLIPSIS} {source[end - _LONG:end]}"
    elif breaks(source, start, end):  # searched in place: no slice for the spans refused
        return None
    else:
        text = source[start:end]
    return " ".join(text.split())  # "" for blanks only


def node_texts(g):
    """How each node of a built graph is written (see the module's docstring). Texts are
    built from the inputs' whole texts while those stay short, so a cut happens once, at
    the end, not inside every operand. One pass of plain loads per node (a 10,000-op
    program has 14,000): a short span with nothing to collapse is its own text as it
    stands, found with one regex search in place."""
    source = g.text
    not_plain = _NOT_PLAIN.search
    last_of_block = {block["id"]: i for i, block in enumerate(g.blocks) if block}
    whole = []
    add = whole.append
    for i, (op, name, label, block, (start, end), inputs) in enumerate(
            zip(g.ops, g.names, g.labels, g.blocks, g.spans, g.args)):
        if name:
            add(name)
            continue
        if op is None:
            add(label)
            continue
        text = None
        if block is None or last_of_block[block["id"]] == i:
            if end - start <= _LONG and source[start] != " " and source[end - 1] != " " \
                    and not not_plain(source, start, end):
                text = source[start:end]
            else:
                text = _source_text(source, start, end)
        if not text:
            text = render(op.written, [whole[j] for j in inputs])
        add(text if len(text) <= _LONG else elide(text, _LONG))
    head, tail = _HEAD, _TAIL  # elide(text), inlined: most texts of a large program are cut
    return [text if len(text) <= MAX_TEXT
            else f"{text[:head].rstrip()} {ELLIPSIS} {text[-tail:].lstrip()}" for text in whole]


def derivative(op, index, parts, y):
    """∂out/∂(argument `index`) from the registry's template: symbolic when `parts` are the
    operands' texts and `y` the op's label, numeric when they are numbers."""
    return render(op.derivative[index], parts, y)


def gate_case(op, index, local, broadcast):
    """Which of its gate's sentences fits this edge (None: the op has no gate pattern).
    `local` is the number on a scalar edge (else text); `broadcast`: the source was
    broadcast in the forward pass, so its gradient is a sum."""
    if op.gate == "distribute":
        return "summed" if broadcast else "negated" if op.rule[index].startswith("−") else "same"
    if op.gate == "route":
        return {1.0: "win", 0.0: "lose", 0.5: "tie"}.get(local, "any") \
            if isinstance(local, float) else "any"
    if op.gate == "swap" and op.arity == 2:
        return "other"
    return None


def gate_sentence(op, case, lang, source="", other=""):
    en, ko = op.sentences[case]
    return (ko if lang == "ko" else en).format(source=source, other=other)
