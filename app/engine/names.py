"""The one identifier rule of the code base (the parser, the API schemas and the CLI use it).

A name is a Python identifier (`str.isidentifier()`: letters of any script, digits after
the first character, `_`), at most `MAX_NAME` code points, not starting with `__`, and
already in NFKC form (so `ｘ` or `ﬁ` is refused, never folded to `x` or `fi`: spans stay
exact and two spellings never name one variable). Whether a name is reserved (a function or
constant) is a separate question, answered where the name is used. One exception to
Python's rule: `·` (U+00B7) is the dot operator, never part of a name.
"""

import unicodedata

MAX_NAME = 32
# Python lets U+00B7 MIDDLE DOT (and U+0387, its Greek twin) continue an identifier, but the
# page prints `a · b` for dot(a, b), so here it is always an operator, never part of a name.
OPERATOR_DOTS = "\u00b7\u0387"


def name_problem(text):
    """None for a valid name, else (kind, index, en, ko): the first problem and its offset.

    `kind` is "empty", "character" (not an identifier character at `index`), "normal_form"
    (not NFKC from `index` on), "long" or "reserved". Messages never quote `text`.
    """
    if not isinstance(text, str) or not text:
        return ("empty", 0, "a name cannot be empty", "이름은 비어 있을 수 없습니다")
    if not text.isidentifier() or "\u00b7" in text or "\u0387" in text:
        for k, ch in enumerate(text):
            if ch in OPERATOR_DOTS:
                return ("character", k, f"{describe(ch)} is the dot operator, not part of a "
                        "name", f"{describe(ch)}는 이름의 일부가 아니라 dot 연산자입니다")
            if not (ch.isidentifier() if k == 0 else ("a" + ch).isidentifier()):
                what = describe(ch)
                if k == 0 and ("a" + ch).isidentifier():
                    return ("character", k, f"a name cannot start with {what}",
                            f"이름은 {what}(으)로 시작할 수 없습니다")
                return ("character", k, f"{what} cannot be part of a name",
                        f"{what}은(는) 이름에 쓸 수 없습니다")
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        k = next((k for k in range(1, len(text) + 1)
                  if not unicodedata.is_normalized("NFKC", text[:k])), 1) - 1
        en, ko = normal_form_hint(text[k])
        return ("normal_form", k, en, ko)
    if len(text) > MAX_NAME:
        return ("long", MAX_NAME, f"names are at most {MAX_NAME} characters",
                f"이름은 최대 {MAX_NAME}자입니다")
    if text.startswith("__"):
        return ("reserved", 0, "names starting with '__' are reserved",
                "'__'로 시작하는 이름은 예약되어 있습니다")
    return None


def is_name(text):
    """True when `text` is a valid name (reserved words aside)."""
    return name_problem(text) is None


def describe(ch):
    """`U+00B2 SUPERSCRIPT TWO`: a character named without showing it."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def normal_form_hint(ch):
    """(en, ko) for a character that is not in NFKC form; names its plain form when that is
    made of identifier characters (never markup), e.g. `ｘ` -> 'x', `ﬁ` -> 'fi'."""
    plain = unicodedata.normalize("NFKC", ch)
    what = describe(ch)
    if plain != ch and ("a" + plain).isidentifier():
        return (f"{what} is a compatibility form: write {plain!r} instead (names must be "
                "in NFKC form)",
                f"{what}은(는) 호환 문자입니다: 대신 {plain!r}를 쓰세요(이름은 NFKC 형식이어야 "
                "합니다)")
    return (f"{what} makes this name not NFKC-normalized: write the composed form",
            f"{what} 때문에 이 이름이 NFKC 정규형이 아닙니다: 합성된 형식으로 쓰세요")
