"""A value given for a reserved name is an error, wherever values enter the engine (issue 8).

`e*2` with {"e": 1} used to answer 2e and ignore the 1. Reserved are the constants, the
function names and a leading `__` (docs/engine.md "The language"); the names are written out here, not read from
the engine's tables, so a name that silently stopped being reserved would fail.
"""

import re

import numpy as np
import pytest

from app.engine import ExpressionError, Trainer, evaluate, gradcheck, landscape, train

HANGUL = re.compile("[\uac00-\ud7a3]")
CONSTANTS = ["e", "pi"]
FUNCTIONS = ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "max", "min",
             "pow", "sum", "mean", "transpose", "dot", "softmax", "mse", "cross_entropy",
             "softmax_cross_entropy"]


def refusal(call):
    with pytest.raises(ExpressionError) as info:
        call()
    return info.value


@pytest.mark.parametrize("expr, values, name, span", [
    ("e*2", {"e": 1}, "e", (0, 1)),
    ("x + pi", {"x": 1, "pi": 3}, "pi", (4, 6)),
    ("2 * (e + x)", {"x": 1, "e": 1}, "e", (5, 6)),
    ("exp(x) * e", {"x": 1, "exp": 2}, "exp", (0, 3)),
    ("x * sigmoid(x)", {"x": 1, "sigmoid": 2}, "sigmoid", (4, 11)),
    ("q = x * 2  # e here is a comment\nq + e", {"x": 1, "e": 1}, "e", (37, 38)),
    ("exp(x) + x", {"x": 1, "e": 1}, "e", (0, 0)),  # `exp` is not a use of `e`
    ("x", {"x": 1, "pi": 1}, "pi", (0, 0)),
    ("x", {"x": 1, "__y": 1}, "__y", (0, 0)),
    ("2 * π", {"π": 1}, "π", (4, 5)),  # how the page prints pi reads back as pi
])
def test_a_value_for_a_reserved_name_is_refused_at_its_first_use(expr, values, name, span):
    err = refusal(lambda: evaluate(expr, values))
    assert err.type == "reserved_name"
    assert err.loc == ("values", name)
    assert (err.start, err.end) == span
    assert expr[span[0]:span[1]] in ("", name)
    assert err.msg and HANGUL.search(err.msg_ko)


@pytest.mark.parametrize("name", CONSTANTS + FUNCTIONS)
def test_every_constant_and_function_name_is_reserved_in_values(name):
    err = refusal(lambda: evaluate("x * 2", {"x": 1, name: 1}))
    assert (err.type, err.loc, err.start, err.end) == ("reserved_name", ("values", name), 0, 0)


@pytest.mark.parametrize("name", ["add", "mul", "neg", "matmul", "colsum", "samples", "E", "Pi",
                                  "ee", "e_", "pi2", "exp2", "_e"])
def test_names_of_operators_and_look_alikes_are_ordinary_variables(name):
    # independent reference: the expression is name * 2 + 1
    r = evaluate(f"{name} * 2 + 1", {name: 3})
    assert r.value == 7.0 and r.gradients == {name: 2.0}


def test_without_the_reserved_value_the_constant_keeps_its_meaning():
    assert evaluate("e*2", {}).value == pytest.approx(2 * np.e, rel=1e-15)
    assert evaluate("pi + x", {"x": 1}).value == pytest.approx(np.pi + 1, rel=1e-15)


def test_the_message_does_not_quote_the_name():
    err = refusal(lambda: evaluate("x + 1", {"x": 1, "sigmoid": 1}))
    assert "sigmoid" not in err.msg and "sigmoid" not in err.msg_ko


def test_the_first_reserved_name_in_the_values_is_reported():
    err = refusal(lambda: evaluate("x", {"x": 1, "pi": 1, "e": 1}))
    assert err.loc == ("values", "pi")


def test_a_syntax_error_is_reported_before_the_values_are_looked_at():
    err = refusal(lambda: evaluate("e*", {"e": 1}))
    assert err.type == "syntax_error"


def test_expanded_evaluation_locates_the_name_too():
    err = refusal(lambda: evaluate("sigmoid(x) * e", {"x": 1, "sigmoid": 1}, expand=True))
    assert (err.type, err.loc, err.start, err.end) == ("reserved_name", ("values", "sigmoid"),
                                                      0, 7)


# ---------------------------------------------------------------- every entry point

SGD = {"name": "sgd", "lr": 0.1}


@pytest.mark.parametrize("entry", [
    lambda v: evaluate("(w - e)**2", v),
    lambda v: gradcheck("(w - e)**2", v),
    lambda v: Trainer("(w - e)**2", v, ["w"], SGD),
    lambda v: train("(w - e)**2", v, ["w"], SGD, steps=3),
    lambda v: landscape("(w - e)**2 + b", v, ["w", "b"], {"w": (0, 1), "b": (0, 1)}),
], ids=["evaluate", "gradcheck", "Trainer", "train", "landscape"])
def test_every_entry_point_refuses_a_value_for_e(entry):
    err = refusal(lambda: entry({"w": 0.5, "b": 0.0, "e": 1.0}))
    assert (err.type, err.loc, err.start, err.end) == ("reserved_name", ("values", "e"), 5, 6)


def test_training_refuses_before_any_update():
    # the error comes from the constructor, so no history and no parameter change exist
    values = {"w": 0.5, "exp": 1.0}
    with pytest.raises(ExpressionError):
        Trainer("(w - 1)**2", values, ["w"], SGD)
    assert values == {"w": 0.5, "exp": 1.0}
