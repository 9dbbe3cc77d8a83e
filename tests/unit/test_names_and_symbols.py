"""Identifiers (Python's rule, NFKC, no folding), the printed symbols − × ÷ · as input, and
the `+=` hint (docs/engine.md, "The language")."""

import math

import numpy as np
import pytest

from app.engine import ExpressionError, evaluate, parse
from app.engine.names import MAX_NAME, is_name, name_problem


def error_of(expr, values=None):
    with pytest.raises(ExpressionError) as info:
        evaluate(expr, {} if values is None else values)
    return info.value


# ---------------------------------------------------------------- identifiers


def test_hangul_and_greek_names_evaluate_with_hand_computed_gradients():
    # f = 가중치 * θ + sin(θ); df/d가중치 = θ, df/dθ = 가중치 + cos(θ)
    r = evaluate("가중치 * θ + sin(θ)", {"가중치": 3.0, "θ": 0.5})
    assert r.value == pytest.approx(1.5 + math.sin(0.5), rel=1e-15)
    assert r.gradients["가중치"] == pytest.approx(0.5, rel=1e-15)
    assert r.gradients["θ"] == pytest.approx(3.0 + math.cos(0.5), rel=1e-15)


def test_a_hangul_name_can_be_assigned_and_names_its_node():
    r = evaluate("합 = x + y; 합 * z", {"x": -2.0, "y": 5.0, "z": -4.0})
    assert r.value == -12.0
    assert r.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert [n["name"] for n in r.nodes if n["name"] == "합"] == ["합"]


def test_spans_count_code_points_after_hangul():
    err = error_of("가중치 + $")
    assert (err.type, err.start, err.end) == ("invalid_character", 6, 7)


def test_combining_marks_continue_a_name():
    name = "\u0915\u093f"  # Devanagari KA + vowel sign I (a spacing mark, Mc)
    assert name.isidentifier()
    r = evaluate(f"{name} * 2", {name: 3.0})
    assert r.value == 6.0 and r.gradients == {name: 2.0}


@pytest.mark.parametrize("text,start", [
    ("\uff58 + 1", 0),  # full-width x
    ("1 + \ufb01x", 4),  # fi ligature
    ("a\uff58 * 2", 1),
    ("q = 1; \uff51 = 2", 7),  # as an assignment target
    ("\uff45\uff58\uff50(1)", 0),  # a call of full-width "exp"
])
def test_a_name_not_in_nfkc_form_is_an_error_at_its_exact_character(text, start):
    err = error_of(text, {"x": 1.0, "a": 1.0})
    assert (err.type, err.start, err.end) == ("invalid_character", start, start + 1)
    assert "NFKC" in err.msg and "NFKC" in err.msg_ko


def test_the_nfkc_hint_names_the_plain_form():
    err = error_of("\ufb01 + 1")
    assert "'fi'" in err.msg


def test_names_are_never_folded_so_two_spellings_are_not_one_variable():
    with pytest.raises(ExpressionError):
        parse("x + \uff58")


def test_sigma_called_suggests_sigmoid():
    err = error_of("\u03c3(x)", {"x": 1.0})
    assert (err.type, err.start, err.end) == ("unknown_function", 0, 1)
    assert "sigmoid" in err.msg and "sigmoid" in err.msg_ko


def test_capital_sigma_called_suggests_sum():
    err = error_of("\u03a3(x)", {"x": 1.0})
    assert err.type == "unknown_function" and "sum" in err.msg


def test_pi_symbol_is_the_constant_pi():
    assert evaluate("2 * \u03c0", {}).value == 2 * math.pi
    assert error_of("\u03c0 = 3").type == "reserved_name"


def test_name_length_and_leading_underscores():
    n = "가" * MAX_NAME
    assert evaluate(f"{n} + 1", {n: 1.0}).value == 2.0
    err = error_of("가" * (MAX_NAME + 1))
    assert (err.type, err.start, err.end) == ("syntax_error", 0, MAX_NAME + 1)
    assert error_of("__가").type == "reserved_name"


@pytest.mark.parametrize("text,ok", [
    ("x", True), ("_", True), ("_b", True), ("W_1", True), ("가중치", True), ("θ", True),
    ("café", True), ("a" * 32, True), ("a" * 33, False), ("__x", False), ("1a", False),
    ("", False), ("x-y", False), ("\uff58", False), ("\ufb01", False), ("cafe\u0301", False),
    ("a\u00b7b", False), ("x\u00b2", False), ("<b>", False), (None, False),
])
def test_is_name_is_the_one_rule(text, ok):
    assert is_name(text) is ok
    if not ok:
        kind, index, en, ko = name_problem(text)
        assert en and ko
        if isinstance(text, str) and text:
            assert text not in en  # never quoted


# ---------------------------------------------------------------- printed symbols as input


def shape_of(prog):
    return [op if isinstance(op, str) else op.name for op in prog.ops], list(prog.args)


@pytest.mark.parametrize("symbolic,ascii_", [
    ("x \u2212 y", "x - y"),
    ("\u2212x", "-x"),
    ("x \u00d7 y", "x * y"),
    ("x \u00f7 y", "x / y"),
    ("a \u00b7 b", "dot(a, b)"),
    ("x \u2212 y \u00d7 z \u00f7 w", "x - y * z / w"),
    ("\u2212x**2", "-x**2"),
    ("a \u00b7 b \u00d7 c", "dot(a, b) * c"),  # same level, left-assoc
    ("c \u00d7 a \u00b7 b", "dot(c * a, b)"),
    ("x + a \u00b7 b", "x + dot(a, b)"),
])
def test_each_printed_symbol_parses_to_the_graph_of_its_ascii_form(symbolic, ascii_):
    assert shape_of(parse(symbolic)) == shape_of(parse(ascii_))


def test_dot_symbol_evaluates_as_dot_with_gradients():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    r = evaluate("a \u00b7 b", {"a": a, "b": b})
    assert r.value == 32.0
    np.testing.assert_array_equal(r.gradients["a"], b)
    np.testing.assert_array_equal(r.gradients["b"], a)


def test_unicode_minus_evaluates():
    r = evaluate("\u2212x\u00b2".replace("\u00b2", "**2"), {"x": 3.0})
    assert r.value == -9.0 and r.gradients == {"x": -6.0}


def test_a_middle_dot_is_never_part_of_a_name():
    # Python would read a·b as one identifier; here it is dot(a, b)
    assert shape_of(parse("a\u00b7b")) == shape_of(parse("dot(a, b)"))


@pytest.mark.parametrize("ch", ["\u2013", "\u22c5", "\u2215", "\u221a", "\u2211"])
def test_other_stray_symbols_stay_errors_with_a_hint(ch):
    err = error_of(f"x {ch} y", {"x": 1.0, "y": 1.0})
    assert (err.type, err.start, err.end) == ("invalid_character", 2, 3)
    assert "instead" in err.msg and ch not in err.msg


# ---------------------------------------------------------------- `+=` and friends


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_compound_assignment_says_write_a_new_name_at_the_operator(op):
    text = f"c = 1; d = 2; c {op}= d"
    err = error_of(text)
    assert err.type == "syntax_error"
    assert (err.start, err.end) == (16, 18)
    assert text[err.start:err.end] == f"{op}="
    assert "new name" in err.msg and "assigned once" in err.msg
    assert "새 이름" in err.msg_ko
