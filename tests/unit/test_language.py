"""The expression language (docs/engine.md): precedence, statements, names,
literals, and the error contract (type, span, messages) including hostile input."""

import math
import re
import time

import numpy as np
import pytest

from app.engine import ExpressionError, evaluate, parse
from testkit import ERROR_TYPES, assert_close, named_node, op_nodes, variable_node

HANGUL = re.compile("[\uac00-\ud7a3]")


def value_of(expr, **values):
    return evaluate(expr, values).value


# ---------------------------------------------------------------- precedence and associativity


@pytest.mark.parametrize(
    "expr,values,expected",
    [
        ("-x**2", {"x": 3.0}, -9.0),  # -(x**2), not (-x)**2
        ("-x^2", {"x": 3.0}, -9.0),
        ("-2**2", {}, -4.0),
        ("2**3**2", {}, 512.0),  # right-assoc: 2**(3**2)
        ("2^3^2", {}, 512.0),
        ("(2**3)**2", {}, 64.0),
        ("2**-1", {}, 0.5),
        ("2^-1", {}, 0.5),
        ("2**-1**2", {}, 0.5),  # 2**(-(1**2))
        ("3^2", {}, 9.0),  # power, not xor
        ("a/b/c", {"a": 8.0, "b": 2.0, "c": 4.0}, 1.0),  # (a/b)/c
        ("a-b-c", {"a": 10.0, "b": 3.0, "c": 2.0}, 5.0),  # (a-b)-c
        ("a-b+c", {"a": 10.0, "b": 3.0, "c": 2.0}, 9.0),
        ("a/b*c", {"a": 8.0, "b": 2.0, "c": 4.0}, 16.0),
        ("-2*3", {}, -6.0),
        ("2*-3", {}, -6.0),
        ("2+3*4", {}, 14.0),
        ("2*3+4", {}, 10.0),
        ("(2+3)*4", {}, 20.0),
        ("2*3**2", {}, 18.0),
        ("--x", {"x": 3.0}, 3.0),
        ("---x", {"x": 3.0}, -3.0),
        ("-+-x", {"x": 3.0}, 3.0),
        ("+x", {"x": 3.0}, 3.0),
        ("x - -y", {"x": 1.0, "y": 2.0}, 3.0),
        ("2 ** 0.5", {}, math.sqrt(2.0)),
        ("pow(2, 3) ** 2", {}, 64.0),
        ("-exp(0)", {}, -1.0),
        ("max(1, 2) - min(1, 2)", {}, 1.0),
        ("e-3", {}, math.e - 3),  # the constant e, not an exponent
        ("2e-1", {}, 0.2),
        ("2*e", {}, 2 * math.e),
    ],
)
def test_precedence_and_associativity(expr, values, expected):
    assert value_of(expr, **values) == pytest.approx(expected, rel=1e-15)


def test_power_binds_tighter_than_unary_minus_in_the_gradient_too():
    r = evaluate("-x**2", {"x": 3.0})
    assert r.gradients["x"] == -6.0


def test_unary_chain_gradient_is_the_product_of_signs():
    assert evaluate("--x", {"x": 3.0}).gradients["x"] == 1.0
    assert evaluate("---x", {"x": 3.0}).gradients["x"] == -1.0


def test_matmul_is_left_associative_at_the_level_of_multiplication():
    u, v, w = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), np.array([7.0, 8.0, 9.0])
    r = evaluate("u * v @ w", {"u": u, "v": v, "w": w})
    assert r.value == pytest.approx(float((u * v) @ w), rel=1e-15)  # (u*v)@w, a scalar
    r = evaluate("u @ v * w", {"u": u, "v": v, "w": w})
    assert_close(r.value, (u @ v) * w, rtol=1e-15, atol=0)  # (u@v)*w, a vector
    r = evaluate("a + u @ v", {"a": 1.0, "u": u, "v": v})
    assert r.value == 1.0 + float(u @ v)


def test_unary_plus_adds_no_node():
    r = evaluate("+x", {"x": 3.0})
    assert op_nodes(r) == []
    assert r.gradients == {"x": 1.0}
    assert r.output == variable_node(r, "x")["id"]


# ---------------------------------------------------------------- statements, names, comments


@pytest.mark.parametrize(
    "text",
    [
        "q = x + y; f = q * z",
        "q = x + y\nf = q * z",
        "q = x + y;\n\nf = q * z;",
        ";; q = x + y ;; f = q * z",
        "# staged\nq = x + y  # the sum\nf = q * z # done",
        "q = (x\n + y)\nf = q *\n z",
        "q =\n x + y\nf = q *\n z",
    ],
)
def test_statements_separated_by_semicolons_or_newlines_name_their_nodes(text):
    r = evaluate(text, {"x": -2.0, "y": 5.0, "z": -4.0})
    assert r.value == -12.0
    assert r.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert named_node(r, "q")["value"] == 3.0
    assert r.output == named_node(r, "f")["id"]


def test_a_long_sum_may_continue_on_the_next_line_after_an_operator():
    r = evaluate("x +\ny +\nz", {"x": 1.0, "y": 2.0, "z": 3.0})
    assert r.value == 6.0


def test_the_last_statement_is_the_output():
    r = evaluate("a = x * 2; b = a + 1; a * 10", {"x": 1.5})
    assert r.value == 30.0
    assert r.gradients == {"x": 20.0}


def test_an_alias_of_a_variable_is_that_variable():
    r = evaluate("b = x; b * b", {"x": 3.0})
    assert r.value == 9.0 and r.gradients == {"x": 6.0}
    assert [n["kind"] for n in r.nodes].count("variable") == 1


def test_an_alias_maps_to_the_same_node():
    r = evaluate("q = x + y; r = q; r * z", {"x": -2.0, "y": 5.0, "z": -4.0})
    assert r.value == -12.0
    assert len(op_nodes(r)) == 2


def test_a_variable_used_twice_is_one_node():
    r = evaluate("x*y + x", {"x": 2.0, "y": 3.0})
    xs = [n for n in r.nodes if n["kind"] == "variable" and n["name"] == "x"]
    assert len(xs) == 1
    assert sum(1 for e in r.edges if e["source"] == xs[0]["id"]) == 2
    assert r.gradients["x"] == 4.0


def test_variable_node_span_is_its_first_use():
    r = evaluate("(x+y)*z + x", {"x": 1.0, "y": 2.0, "z": 3.0})
    assert list(variable_node(r, "x")["span"]) == [1, 2]
    assert list(variable_node(r, "y")["span"]) == [3, 4]
    assert list(variable_node(r, "z")["span"]) == [6, 7]


def test_every_node_span_lies_inside_the_expression():
    text = "q = x*y  # c\nf = sigmoid(q) + 2.5"
    r = evaluate(text, {"x": 1.0, "y": 2.0})
    for n in r.nodes:
        start, end = n["span"]
        assert 0 <= start < end <= len(text), n


def test_constants_pi_and_e():
    assert value_of("pi") == math.pi
    assert value_of("e") == math.e
    r = evaluate("2*pi*r", {"r": 3.0})
    assert r.gradients == {"r": pytest.approx(2 * math.pi, rel=1e-15)}
    assert value_of("log(e)") == pytest.approx(1.0, rel=1e-15)


def test_each_use_of_a_constant_or_literal_is_its_own_node():
    r = evaluate("pi + pi + 2 + 2", {})
    assert [n["kind"] for n in r.nodes].count("constant") == 4
    assert r.value == pytest.approx(2 * math.pi + 4, rel=1e-15)


@pytest.mark.parametrize(
    "text,expected",
    [("2", 2.0), ("0.5", 0.5), (".5", 0.5), ("1e-3", 1e-3), ("2.5e2", 250.0), ("1E3", 1000.0), ("1e+2", 100.0), ("1.5e-2", 0.015)],
)
def test_number_literals(text, expected):
    r = evaluate(text, {})
    assert r.value == expected
    assert isinstance(r.value, float)
    assert [n["kind"] for n in r.nodes] == ["constant"]


def test_an_expression_without_variables_has_no_gradients():
    r = evaluate("1 + 2", {})
    assert r.value == 3.0 and r.gradients == {}


def test_identifiers_may_use_letters_digits_and_underscores():
    r = evaluate("W_1 @ x2 + _b", {"W_1": [[1.0, 2.0]], "x2": [3.0, 4.0], "_b": 0.5})
    assert_close(r.value, [11.5], rtol=0, atol=0)
    name32 = "a" * 32
    assert evaluate(f"{name32} * 2", {name32: 1.0}).value == 2.0


def test_parse_lists_free_variables_in_order_of_first_use():
    assert list(parse("(x+y)*z").variables) == ["x", "y", "z"]
    assert list(parse("q = b*a; q + c*a + pi").variables) == ["b", "a", "c"]


# ---------------------------------------------------------------- errors: type and span


def error_of(expr, values=None, **kw):
    with pytest.raises(ExpressionError) as info:
        evaluate(expr, {} if values is None else values, **kw)
    return info.value


def assert_messages_do_not_echo(err, *fragments):
    assert isinstance(err.msg, str) and err.msg.strip()
    assert isinstance(err.msg_ko, str) and err.msg_ko.strip()
    assert HANGUL.search(err.msg_ko), "msg_ko is Korean"
    for frag in fragments:
        assert frag not in err.msg, f"msg quotes the user's text {frag!r}"
        assert frag not in err.msg_ko, f"msg_ko quotes the user's text {frag!r}"


@pytest.mark.parametrize(
    "expr,values,etype,span",
    [
        ("(x+y))*z", {"x": 1, "y": 2, "z": 3}, "syntax_error", (5, 6)),
        ("x+", {"x": 1}, "syntax_error", (2, 2)),
        ("(x+y", {"x": 1, "y": 2}, "syntax_error", (4, 4)),
        ("x $ y", {"x": 1, "y": 2}, "invalid_character", (2, 3)),
        ("x \u2013 y", {"x": 1, "y": 2}, "invalid_character", (2, 3)),  # en dash
        ("x \u22c5 y", {"x": 1, "y": 2}, "invalid_character", (2, 3)),  # dot operator
        ("x \u2215 y", {"x": 1, "y": 2}, "invalid_character", (2, 3)),  # division slash
        ("x\u00b2", {"x": 1}, "invalid_character", (1, 2)),
        ("cafe\u0301", {}, "invalid_character", (4, 5)),  # decomposed: not NFKC
        ("foo(x)", {"x": 1}, "unknown_function", (0, 3)),
        ("2 * frobnicate(x, y)", {"x": 1, "y": 2}, "unknown_function", (4, 14)),
        ("x*y + x", {"x": 1}, "missing_value", (2, 3)),
        ("y + x*y", {"x": 1}, "missing_value", (0, 1)),
        ("q = x*2; q + w", {"x": 1}, "missing_value", (13, 14)),
        ("__x", {"__x": 1}, "reserved_name", (0, 3)),
        ("x * __y", {"x": 1}, "reserved_name", (4, 7)),
        ("x*y", {"x": np.ones(2), "y": np.ones(3)}, "shape_mismatch", None),
        ("W @ X", {"W": np.ones((2, 3)), "X": np.ones((2, 3))}, "shape_mismatch", None),
        ("dot(u, v)", {"u": np.ones(2), "v": np.ones(3)}, "shape_mismatch", None),
        ("mse(a, b)", {"a": np.ones((2, 3)), "b": np.ones((3, 2))}, "shape_mismatch", None),
        ("exp = 3", {}, "reserved_name", None),
        ("pi = 3", {}, "reserved_name", None),
        ("sigmoid = x", {"x": 1}, "reserved_name", None),
        ("max(x)", {"x": 1}, "arity", None),
        ("max(x, x, x)", {"x": 1}, "arity", None),
        ("exp(x, x)", {"x": 1}, "arity", None),
        ("sum()", {}, None, None),
        ("1e999 * x", {"x": 1}, "invalid_value", (0, 5)),
        ("b = x; b = 2", {"x": 1}, "syntax_error", None),
        ("y = x; x = 2", {"x": 1}, "syntax_error", None),
        ("q = q + 1", {"q": 1}, "syntax_error", None),
        ("exp + 1", {"exp": 1}, None, None),
        ("2 * sigmoid", {"sigmoid": 1}, None, None),
        ("a" * 33, {"a" * 33: 1}, "syntax_error", (0, 33)),
        ("x y", {"x": 1, "y": 1}, "syntax_error", (2, 3)),
        ("(x+y)(z)", {"x": 1, "y": 1, "z": 1}, "syntax_error", None),
        ("x = ", {}, "syntax_error", (4, 4)),
        ("f(", {}, None, None),
        ("", {}, "syntax_error", (0, 0)),
        ("   ", {}, "syntax_error", None),
        ("# only a comment", {}, "syntax_error", None),
        (";", {}, "syntax_error", None),
        ("2 = x", {"x": 1}, "syntax_error", None),
        ("max(x,)", {"x": 1}, None, None),
        ("pi(x)", {"x": 1}, None, None),
        ("x(2)", {"x": 1}, None, None),
        ("e.x", {}, None, None),
    ],
)
def test_expression_error_type_and_span(expr, values, etype, span):
    err = error_of(expr, values)
    if etype is not None:
        assert err.type == etype
    if span is not None:
        assert (err.start, err.end) == span
    assert 0 <= err.start <= err.end <= len(expr)
    assert err.msg and err.msg_ko
    if len(expr) >= 6:
        assert_messages_do_not_echo(err, expr)


def test_reserved_name_span_covers_the_assigned_name():
    err = error_of("exp = 3")
    assert err.type == "reserved_name"
    assert err.start == 0 and 3 <= err.end <= 7


def test_expression_errors_are_located_in_the_expression():
    assert tuple(error_of("(x+y))*z", {"x": 1, "y": 1, "z": 1}).loc) == ("expression",)


def test_error_messages_do_not_quote_the_offending_text():
    err = error_of("2 * frobnicate(x)", {"x": 1})
    assert_messages_do_not_echo(err, "frobnicate")
    err = error_of("zq_missing_variable + 1", {})
    assert err.type == "missing_value"
    assert_messages_do_not_echo(err, "zq_missing_variable")
    err = error_of("__secret_name", {})
    assert_messages_do_not_echo(err, "__secret_name")


@pytest.mark.parametrize("ch", ["<", ">", "&", '"', "'", "`", "\u202e", "\x00", "\u2028", "\\"])
def test_an_invalid_character_is_described_not_echoed(ch):
    err = error_of(f"x {ch} y", {"x": 1, "y": 2})
    assert err.type == "invalid_character" and (err.start, err.end) == (2, 3)
    assert ch not in err.msg and ch not in err.msg_ko


def test_a_pasted_dash_gets_a_hint_about_ascii_minus():
    err = error_of("x \u2013 y", {"x": 1, "y": 2})
    assert err.type == "invalid_character"
    assert "-" in err.msg


def test_non_ascii_is_never_folded_silently():
    # fullwidth letters NFKC-fold to ASCII 'x'; they must still be an error
    err = error_of("\uff58 + 1", {"x": 1})
    assert err.type == "invalid_character" and (err.start, err.end) == (0, 1)
    err = error_of("x\u00b2", {"x": 1})  # superscript two is not **2
    assert err.type == "invalid_character"


def test_span_is_in_code_points_after_non_ascii():
    err = error_of("x + \u00e9\u00e9 + $", {"x": 1})  # \u00e9 is a letter: a name
    assert (err.start, err.end) == (9, 10)


def test_missing_value_points_at_the_first_use():
    err = error_of("x + w*w + w", {"x": 1})
    assert err.type == "missing_value"
    assert (err.start, err.end) == (4, 5)


# ---------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    "bad",
    [np.ones((2, 2, 2)), [[[1.0]]], [], [[]], True, "3", [1, "a"], [[1, 2], [3]]],
    ids=["rank3", "rank3-list", "empty", "empty2d", "bool", "string", "mixed", "ragged"],
)
def test_invalid_values_are_invalid_value_errors_located_at_the_value(bad):
    err = error_of("x * 2", {"x": bad})
    assert err.type == "invalid_value"
    assert tuple(err.loc) == ("values", "x")
    assert err.msg and err.msg_ko


def test_output_grad_of_the_wrong_shape_is_an_error_located_at_output_grad():
    err = error_of("2*A", {"A": np.ones((2, 3))}, output_grad=np.ones((3, 2)))
    assert err.type in ("shape_mismatch", "invalid_value")
    assert tuple(err.loc) == ("output_grad",)


def test_shape_mismatch_span_lies_on_the_offending_operation():
    err = error_of("c + a * b", {"a": np.ones(2), "b": np.ones(3), "c": 1.0})
    assert err.type == "shape_mismatch"
    assert 4 <= err.start < err.end <= 9


# ---------------------------------------------------------------- limits are checked before allocating


def test_a_huge_broadcast_is_refused_before_numpy_allocates_it():
    values = {"a": np.zeros((1, 60000)), "b": np.zeros((60000, 1))}
    t0 = time.perf_counter()
    try:
        evaluate("a + b", values)
    except ExpressionError as err:
        assert err.type == "limit_exceeded"
        assert err.msg and err.msg_ko
    except MemoryError:  # pragma: no cover - the failure this test exists to catch
        pytest.fail("allocated before checking the limit")
    else:
        pytest.fail("a 3.6e9-element result was not refused")
    assert time.perf_counter() - t0 < 1.0


def test_a_huge_outer_matmul_is_refused_before_numpy_allocates_it():
    values = {"a": np.zeros((60000, 1)), "b": np.zeros((1, 60000))}
    t0 = time.perf_counter()
    err = error_of("a @ b", values)
    assert err.type == "limit_exceeded"
    assert time.perf_counter() - t0 < 1.0


def test_a_10000_operation_scalar_program_is_within_the_default_limits():
    n = 10_000
    r = evaluate("+".join(["x"] * n), {"x": 0.5})
    assert r.value == pytest.approx(0.5 * n, rel=1e-12)
    assert r.gradients["x"] == pytest.approx(float(n), rel=1e-12)


def test_a_deep_chain_of_statements_is_evaluated_without_recursion():
    lines = ["a0 = x"] + [f"a{i} = a{i - 1} * 1 + 1" for i in range(1, 2000)]
    r = evaluate("\n".join(lines), {"x": 0.25})
    assert r.value == pytest.approx(0.25 + 1999, rel=1e-12)
    assert r.gradients["x"] == 1.0


# ---------------------------------------------------------------- hostile input


def expression_error_or_success(text, values=None):
    """The engine may refuse (ExpressionError) or evaluate; nothing else may escape."""
    try:
        return evaluate(text, {"x": 1.0} if values is None else values)
    except ExpressionError as err:
        assert err.type in ERROR_TYPES
        assert 0 <= err.start <= err.end <= len(text)
        assert err.msg and err.msg_ko
        return None


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100_000 + "x" + ")" * 100_000,
        "(" * 5_000 + "x" + ")" * 5_000,
        "(" * 100_000,
        "-" * 50_000 + "x",
        "exp(" * 15_000 + "x" + ")" * 15_000,
        "+".join(["x"] * 100_000),
        "2**" * 30_000 + "x",
        "x" * 1_000_000,
    ],
    ids=["parens-100k", "parens-5k", "open-parens", "minus-50k", "exp-15k", "sum-100k", "pow-30k", "ident-1M"],
)
def test_huge_or_deep_input_raises_expression_error_not_recursion_or_memory_error(text):
    t0 = time.perf_counter()
    r = expression_error_or_success(text)
    assert time.perf_counter() - t0 < 10.0
    if r is not None and text.startswith("-"):
        assert r.value == 1.0  # an even number of minuses


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('id')",
        "x.__class__",
        "x.__class__.__bases__",
        "lambda: 0",
        "X[0]",
        "x if x else x",
        "'x'",
        '"x"',
        "x; import os",
        "exec('1')",
        "eval(x)",
        "open(x)",
        "x == x",
        "x, x",
        "{x}",
        "x\x00",
        "x\x07+1",
        "\x1b[31mx",
        "x\u200b",
        "x\ufeff",
        "\ud800",
    ],
)
def test_injection_and_control_characters_are_expression_errors(text):
    with pytest.raises(ExpressionError):
        evaluate(text, {"x": 1.0, "X": [1.0, 2.0]})



def test_parse_raises_the_same_errors_as_evaluate():
    with pytest.raises(ExpressionError) as info:
        parse("(x+y))*z")
    assert (info.value.type, info.value.start, info.value.end) == ("syntax_error", 5, 6)
    assert list(parse("q = x + y; q * z").variables) == ["x", "y", "z"]


@pytest.mark.parametrize("text, spans", [
    ("q + q*x", {"×": (4, 7), "+": (0, 7)}),
    ("w0*x0 + w1*x1 + w2", {"+": (0, 18)}),
    ("(x+y)*z", {"+": (1, 4), "×": (0, 7)}),
    ("-a*b**c", {"−": (0, 2), "^": (3, 7), "×": (0, 7)}),
])
def test_an_operator_node_spans_all_of_its_operands(text, spans):
    names = dict.fromkeys("abcqwxyz", 1.0) | {"w0": 1.0, "w1": 1.0, "w2": 1.0, "x0": 1.0, "x1": 1.0}
    r = evaluate(text, names)
    last = {n["label"]: tuple(n["span"]) for n in r.nodes if n["kind"] == "op"}
    for label, span in spans.items():
        assert last[label] == span, (label, last)


@pytest.mark.parametrize("text,paren", [("sigmoid(x", 7), ("max(x, (y", 7), ("f = exp (x", 8),
                                         ("(x + sin(y)", 0)])
def test_an_unclosed_call_points_at_its_own_bracket(text, paren):
    """The message names the '(' left open, not the function name before it."""
    with pytest.raises(ExpressionError) as e:
        evaluate(text, {"x": 1.0, "y": 2.0})
    assert e.value.msg == f"expected ')' to close the '(' at position {paren}"
    assert text[paren] == "("
    assert e.value.msg_ko == f"위치 {paren}의 '('를 닫는 ')'가 필요합니다"
