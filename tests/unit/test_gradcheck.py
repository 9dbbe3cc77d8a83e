"""gradcheck: backprop against the central difference, as a user sees it in the app.

The numeric side is checked against a central difference computed here from a numpy
reference, so a gradcheck that merely echoed backprop would fail."""

import importlib
import math

import numpy as np
import pytest

from app.engine import ExpressionError, Limits, gradcheck
from testkit import as_float_array, assert_close, central_difference


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def rel_error(a, b):
    a, b = as_float_array(a), as_float_array(b)
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)


def test_gradcheck_on_the_chain_rule_example():
    rep = gradcheck("(x+y)*z", {"x": -2.0, "y": 5.0, "z": -4.0})
    v = rep["variables"]
    assert {k: float(v[k]["backprop"]) for k in v} == {"x": -4.0, "y": -4.0, "z": 3.0}
    for k, expected in {"x": -4.0, "y": -4.0, "z": 3.0}.items():
        assert float(v[k]["numeric"]) == pytest.approx(expected, rel=1e-8)
        assert v[k]["elements"] == 1 and v[k]["checked"] == 1
    assert rep["max_rel_error"] < 1e-8
    assert rep["forward_evals"] == 2 * 3
    assert rep["backward_passes"] == 1
    assert rep["eps"] == 1e-6


SMOOTH = [
    (
        "sigmoid(w0*x0 + w1*x1 + w2)",
        lambda w0, x0, w1, x1, w2: sigmoid(w0 * x0 + w1 * x1 + w2),
        {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0},
        None,
    ),
    (
        "sum(sigmoid(W @ x + b))",
        lambda W, x, b: np.sum(sigmoid(W @ x + b)),
        {"W": np.arange(6.0).reshape(2, 3) / 5 - 0.5, "x": np.array([0.3, -0.1, 0.8]), "b": np.array([0.1, -0.2])},
        None,
    ),
    (
        "mse(tanh(W @ X), Y)",
        lambda W, X, Y: np.mean((np.tanh(W @ X) - Y) ** 2),
        {
            "W": np.array([[0.2, -0.4, 0.1], [0.5, 0.3, -0.2]]),
            "X": np.array([[1.0, 0.5], [-0.5, 0.2], [0.3, -1.0]]),
            "Y": np.array([[0.1, 0.0], [-0.3, 0.4]]),
        },
        None,
    ),
    (
        "softmax(Z) * 3",
        lambda Z: 3 * np.exp(Z) / np.sum(np.exp(Z), axis=0),
        {"Z": np.array([[0.1, 0.4], [-0.3, 0.9], [0.2, 0.0]])},
        np.array([[1.0, -2.0], [0.5, 0.3], [-1.0, 0.7]]),
    ),
    ("x ** 3 + log(y)", lambda x, y: x**3 + np.log(y), {"x": 1.3, "y": 0.7}, 2.5),
]


@pytest.mark.parametrize("expr,ref,values,seed", SMOOTH, ids=[s[0] for s in SMOOTH])
def test_gradcheck_numeric_matches_an_independent_central_difference(expr, ref, values, seed):
    rep = gradcheck(expr, values, output_grad=seed)
    mine = central_difference(ref, values, seed=seed, h=1e-6)
    total = 0
    for name, val in values.items():
        entry = rep["variables"][name]
        n = int(np.size(val))
        total += n
        assert entry["elements"] == n and entry["checked"] == n
        assert np.shape(as_float_array(entry["numeric"])) == np.shape(val)
        assert np.shape(as_float_array(entry["backprop"])) == np.shape(val)
        assert_close(entry["numeric"], mine[name], rtol=1e-6, atol=1e-8, what=f"numeric d/d{name}")
        assert_close(entry["backprop"], mine[name], what=f"backprop d/d{name}")
        assert entry["max_rel_error"] == pytest.approx(float(np.max(rel_error(entry["backprop"], entry["numeric"]))), rel=1e-9, abs=1e-15)
    assert rep["forward_evals"] == 2 * total
    assert rep["backward_passes"] == 1
    assert rep["max_rel_error"] < 1e-6
    assert rep["max_rel_error"] == max(e["max_rel_error"] for e in rep["variables"].values())


def test_gradcheck_uses_the_given_eps():
    # d/dx x**3 at 1 by central difference with step h is exactly 3 + h**2
    for h in (1e-2, 1e-3):
        rep = gradcheck("x ** 3", {"x": 1.0}, eps=h)
        assert rep["eps"] == h
        assert float(rep["variables"]["x"]["numeric"]) == pytest.approx(3 + h * h, rel=1e-10)
        assert float(rep["variables"]["x"]["backprop"]) == 3.0
        assert rep["max_rel_error"] == pytest.approx(h * h / (3 + h * h), rel=1e-6)


def test_gradcheck_reports_the_disagreement_at_a_relu_kink():
    # backprop uses relu'(0) = 0; the central difference sees (h - 0) / 2h = 0.5
    rep = gradcheck("relu(x)", {"x": 0.0})
    assert float(rep["variables"]["x"]["backprop"]) == 0.0
    assert float(rep["variables"]["x"]["numeric"]) == pytest.approx(0.5, rel=1e-9)
    assert rep["max_rel_error"] == pytest.approx(1.0, rel=1e-9)


def test_gradcheck_agrees_at_a_max_tie_because_the_gradient_is_split():
    rep = gradcheck("max(x, y)", {"x": 1.0, "y": 1.0})
    for k in ("x", "y"):
        assert float(rep["variables"][k]["backprop"]) == 0.5
        assert float(rep["variables"][k]["numeric"]) == pytest.approx(0.5, rel=1e-9)
    assert rep["max_rel_error"] < 1e-8


def test_gradcheck_relative_error_floor_for_zero_gradients():
    # both sides are 0 for a variable the output ignores: error 0, not NaN
    rep = gradcheck("a = y*2; x*3", {"x": 1.0, "y": 2.0})
    assert float(rep["variables"]["y"]["backprop"]) == 0.0
    assert float(rep["variables"]["y"]["numeric"]) == 0.0
    assert rep["variables"]["y"]["max_rel_error"] == 0.0
    assert not math.isnan(rep["max_rel_error"])


def test_gradcheck_never_costs_more_than_two_forward_evaluations_per_checked_element():
    # 2,550 numbers: more than a default evaluation budget is meant to cover
    rng = np.random.default_rng(5)
    values = {"W": rng.normal(size=(50, 50)) / 10, "x": rng.normal(size=(50,))}
    rep = gradcheck("sum(tanh(W @ x))", values)
    checked = sum(e["checked"] for e in rep["variables"].values())
    assert rep["forward_evals"] == 2 * checked
    for name, e in rep["variables"].items():
        assert e["elements"] == values[name].size
        assert 1 <= e["checked"] <= e["elements"]
        numeric = as_float_array(e["numeric"])
        assert numeric.shape == values[name].shape
        ok = ~np.isnan(numeric)
        assert int(np.sum(ok)) == e["checked"], "unchecked elements are NaN"
        backprop = as_float_array(e["backprop"])
        np.testing.assert_allclose(numeric[ok], backprop[ok], rtol=1e-5, atol=1e-7)
        if e["checked"] < e["elements"]:  # a partial check picks evenly spaced elements
            gaps = np.diff(np.flatnonzero(ok.reshape(-1)))
            assert gaps.max() - gaps.min() <= 1


def test_gradcheck_of_an_expanded_composite_matches_the_atomic_one():
    values = {"z": np.array([[0.2, -1.0], [0.5, 0.1], [-0.3, 0.8]]), "y": np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])}
    atomic = gradcheck("softmax_cross_entropy(z, y)", values)
    expanded = gradcheck("softmax_cross_entropy(z, y)", values, expand=True)
    for rep in (atomic, expanded):
        assert rep["max_rel_error"] < 1e-6
        assert rep["forward_evals"] == 2 * 12
    for name in values:
        assert_close(expanded["variables"][name]["backprop"], atomic["variables"][name]["backprop"], rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- the work budget (issue 8)

def chain_sum(k):
    """x0 + x1 + … + x(k-1): k variables and k-1 adds, so 2k-1 scalar nodes; a full check
    perturbs each variable once each way, 2k forward evaluations."""
    return "+".join(f"x{i}" for i in range(k)), {f"x{i}": 0.1 * i for i in range(k)}


def no_forward(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a forward pass ran before the check was refused")
    # the modules, not the functions of the same name that app.engine exports
    for module in ("app.engine.gradcheck", "app.engine.evaluate", "app.engine.autodiff"):
        monkeypatch.setattr(importlib.import_module(module), "forward", refuse)


def test_a_check_over_the_work_budget_is_refused_before_any_evaluation(monkeypatch):
    k = 50
    expr, values = chain_sum(k)
    nodes, evals = 2 * k - 1, 2 * k
    # every node costs at least one node-evaluation, so this budget is too small
    limits = Limits(max_gradcheck_work=nodes * evals - 1)
    no_forward(monkeypatch)
    with pytest.raises(ExpressionError) as info:
        gradcheck(expr, values, limits=limits)
    err = info.value
    assert err.type == "limit_exceeded"
    assert err.loc == ("expression",) and (err.start, err.end) == (0, len(expr))
    assert "node-evaluations" in err.msg and "fewer variables" in err.msg
    assert f"{evals:,} forward evaluations" in err.msg
    assert f"{nodes * evals - 1:.3g}" in err.msg  # the budget
    assert "변수를 줄이거나" in err.msg_ko and f"{evals:,}회" in err.msg_ko
    assert "x0" not in err.msg and "x0" not in err.msg_ko


def test_a_check_just_under_the_work_budget_runs_in_full():
    k = 50
    expr, values = chain_sum(k)
    nodes, evals = 2 * k - 1, 2 * k
    # scalar nodes cost one node-evaluation each, plus under 5% for bookkeeping
    rep = gradcheck(expr, values, limits=Limits(max_gradcheck_work=1.05 * nodes * evals))
    assert rep["forward_evals"] == evals
    for entry in rep["variables"].values():
        assert entry["checked"] == entry["elements"] == 1
        assert float(entry["numeric"]) == pytest.approx(1.0, rel=1e-8)


def test_the_budget_samples_a_large_tensor_instead_of_refusing_it():
    # one variable can always be checked at one element; with less budget, fewer elements
    x = np.linspace(-1, 1, 400)
    full = gradcheck("sum(tanh(x))", {"x": x})
    assert full["variables"]["x"]["checked"] == 400
    small = gradcheck("sum(tanh(x))", {"x": x}, limits=Limits(max_gradcheck_work=2_000))
    entry = small["variables"]["x"]
    assert 1 <= entry["checked"] < 400 and small["forward_evals"] == 2 * entry["checked"]
    numeric = as_float_array(entry["numeric"])
    ok = ~np.isnan(numeric)
    np.testing.assert_allclose(numeric[ok], 1 - np.tanh(x[ok]) ** 2, rtol=1e-6)


def test_the_default_budget_refuses_a_10000_operation_program_with_1000_variables(monkeypatch):
    # the example: ~2,000 evaluations of an ~11,000-node program, many seconds of work
    terms = [f"x{i % 1000} * x{(7 * i + 3) % 1000}" for i in range(5_000)]
    expr = " + ".join(terms)  # 5,000 multiplies and 4,999 adds
    values = {f"x{i}": 0.001 * i for i in range(1000)}
    no_forward(monkeypatch)  # refused before a single evaluation
    with pytest.raises(ExpressionError) as info:
        gradcheck(expr, values)
    assert info.value.type == "limit_exceeded" and "node-evaluations" in info.value.msg


def test_the_default_budget_allows_a_1000_operation_program_with_100_variables():
    terms = [f"x{i % 100} * x{(7 * i + 3) % 100}" for i in range(500)]
    values = {f"x{i}": 0.01 * i for i in range(100)}
    rep = gradcheck(" + ".join(terms), values)
    assert rep["forward_evals"] == 200 and rep["max_rel_error"] < 1e-6


def test_many_small_variables_and_a_large_one_share_the_evaluation_budget():
    # 10 scalars and a 1000-element vector under a 30-evaluation budget: one element of each
    # variable (11 pairs) and the 4 pairs left for the vector, never more than the budget
    expr = "sum(W) + " + " + ".join(f"x{i}" for i in range(10))
    values = {"W": np.linspace(0, 1, 1000), **{f"x{i}": float(i) for i in range(10)}}
    rep = gradcheck(expr, values, limits=Limits(max_gradcheck_evals=30))
    assert rep["forward_evals"] <= 30
    assert all(rep["variables"][f"x{i}"]["checked"] == 1 for i in range(10))
    w = rep["variables"]["W"]
    assert 1 <= w["checked"] and rep["forward_evals"] == 2 * (w["checked"] + 10)
    numeric = as_float_array(w["numeric"])
    np.testing.assert_allclose(numeric[~np.isnan(numeric)], 1.0, rtol=1e-8)
