"""The classic mistakes (issue 10): the backward pass replayed with one wrong rule.

Every expected number comes from an independent source: worked out by hand from the
backward order, sympy's partial derivatives, or numpy directly; never from the engine.
"""

import math

import numpy as np
import pytest
import sympy as sp

from app.engine import MISTAKES, OPS, evaluate, gradcheck
from app.engine import trace
from app.examples import EXAMPLES

STAGED = next(e for e in EXAMPLES if e["id"] == "staged-forks")
EVENT_BY_KIND = {"node": trace.ForwardEvent, "seed": trace.SeedEvent, "edge": trace.EdgeEvent}


def _sigmoid(u):
    return 1 / (1 + math.exp(-u))


# ---------------------------------------------------------------- the registry

def test_three_mistakes_each_titled_and_described_in_english_and_korean():
    assert list(MISTAKES) == ["overwrite_at_forks", "no_broadcast_sum", "output_for_input"]
    for m in MISTAKES.values():
        for field in (m.title, m.description):
            assert set(field) == {"en", "ko"}
            assert field["en"] and any("\uac00" <= ch <= "\ud7a3" for ch in field["ko"])


def test_unknown_mistake_is_refused():
    with pytest.raises(ValueError, match="unknown mistake"):
        evaluate("x", {"x": 1}, mistake="forgot_the_chain_rule")
    with pytest.raises(ValueError, match="unknown mistake"):
        gradcheck("x", {"x": 1}, mistake="nope")


def test_without_a_mistake_nothing_new_appears():
    r = evaluate("x*x + x", {"x": 3.0})
    assert r.mistake is None and r.right_gradients is r.gradients
    assert not any("right_grad" in n for n in r.nodes + r.edges)
    assert not any(k in s for s in r.steps
                   for k in ("mistake", "overwritten", "right_local", "right_contribution"))
    assert "mistake" not in gradcheck("x*x", {"x": 1.0})


@pytest.mark.parametrize("mistake", list(MISTAKES))
@pytest.mark.parametrize("expression,values,expand", [
    ("x*x + x", {"x": 3}, False),
    ("W @ X + b", {"W": [[1, 2]], "X": [[1, 0, 2], [0, 1, 1]], "b": 0.5}, False),
    ("sigmoid(w0*x0 + w1*x1 + w2)", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, True),
    ("t = tanh(X)\nsum(t * t) + sum(exp(X))", {"X": [[0.5, -1], [2, 0.1]]}, False),
])
def test_records_keep_to_their_declarations(mistake, expression, values, expand):
    r = evaluate(expression, values, expand=expand, mistake=mistake)
    for record, declared in [*[(n, trace.NodeRecord) for n in r.nodes],
                             *[(e, trace.EdgeRecord) for e in r.edges],
                             *[(s, EVENT_BY_KIND[s["kind"]]) for s in r.steps],
                             (r.mistake, trace.MistakeReport)]:
        keys = set(record)
        assert declared.__required_keys__ <= keys <= (declared.__required_keys__
                                                      | declared.__optional_keys__), record
    assert all("right_grad" in n for n in r.nodes + r.edges)
    # steps name the mistake exactly where it happened, and say nothing else
    for s in r.steps:
        if "mistake" in s:
            assert s["mistake"] == mistake


# ---------------------------------------------------------------- overwrite_at_forks

def test_overwrite_keeps_the_last_contribution_of_x_times_x_plus_x():
    # Backward order: the add node first (edge 2 to x*x, edge 3 to x: x holds 1), then the
    # multiply node (edge 0: x = 1·3 = 3, throwing the 1 away; edge 1: x = 1·3 = 3 again).
    r = evaluate("x*x + x", {"x": 3.0}, mistake="overwrite_at_forks")
    assert r.gradients == {"x": 3.0}
    assert r.right_gradients == {"x": 7.0}  # 2x + 1
    assert r.mistake["dropped_edges"] == [0, 3]
    assert r.mistake["wrong_nodes"] == ["n0"]
    assert r.mistake["wrong_edges"] == []  # each contribution is right; the sum is lost
    edges = [s for s in r.steps if s["kind"] == "edge"]
    assert [s["edge"] for s in edges] == [2, 3, 0, 1]
    assert [s.get("overwritten") for s in edges] == [None, None, 1.0, 3.0]
    assert [s["accumulated"] for s in edges] == [1.0, 1.0, 3.0, 3.0]
    assert r.nodes[0]["grad"] == 3.0 and r.nodes[0]["right_grad"] == 7.0


def test_overwrite_on_the_staged_example_leaves_each_fork_its_last_contribution():
    x, y, num, sigy = sp.symbols("x y num sigy")
    sig = lambda v: 1 / (1 + sp.exp(-v))  # noqa: E731
    at = {x: 3, y: -4}
    # x's last contribution comes from num = x + sigy (the op node visited last among x's
    # consumers: num, sigx, xpy in topological order, so backward visits xpy, sigx, num);
    # y's last from sigy = σ(y) (consumers sigy, xpy: backward visits xpy, then sigy).
    f_of_num = num / (sig(x) + (x + y) ** 2)
    wrong_x = sp.diff(f_of_num, num).subs(at) * 1  # ∂num/∂x = 1
    f_of_sigy = (x + sigy) / (sig(x) + (x + y) ** 2)
    wrong_y = (sp.diff(f_of_sigy, sigy) * sp.diff(sig(y), y)).subs(at)
    f = (x + sig(y)) / (sig(x) + (x + y) ** 2)
    right = {v: float(sp.diff(f, v).subs(at)) for v in (x, y)}

    r = evaluate(STAGED["expression"], STAGED["values"], mistake="overwrite_at_forks")
    assert r.gradients["x"] == pytest.approx(float(wrong_x), rel=1e-12)
    assert r.gradients["y"] == pytest.approx(float(wrong_y), rel=1e-12)
    assert r.right_gradients["x"] == pytest.approx(right[x], rel=1e-12)
    assert r.right_gradients["y"] == pytest.approx(right[y], rel=1e-12)
    assert round(r.gradients["x"], 3) == 0.512 and round(r.gradients["y"], 3) == 0.009
    # no intermediate is a fork, so only the two variables are wrong
    names = {n["id"]: n["name"] for n in r.nodes}
    assert sorted(names[i] for i in r.mistake["wrong_nodes"]) == ["x", "y"]


def test_overwrite_spreads_upstream_of_a_fork():
    # q = 2x is used twice; q keeps 1·q's other factor only, and x gets 2 × that.
    r = evaluate("q = 2*x\nq*q", {"x": 1.5}, mistake="overwrite_at_forks")
    q = 3.0
    assert r.gradients["x"] == 2 * q  # q's gradient is one contribution, q (not 2q)
    assert r.right_gradients["x"] == 2 * 2 * q
    assert {"n1", "n2"} <= set(r.mistake["wrong_nodes"])  # x (n1) and q (n2); 2 is n0


# ---------------------------------------------------------------- no_broadcast_sum

@pytest.mark.parametrize("b", [0.5, [[0.5], [-1.0]]], ids=["scalar-b", "column-b"])
def test_a_broadcast_bias_gets_the_upstream_tensor_itself(b):
    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    G = rng.normal(size=(2, 4))
    values = {"W": W.tolist(), "X": X.tolist(), "b": b}
    r = evaluate("W @ X + b", values, output_grad=G.tolist(), mistake="no_broadcast_sum")
    np.testing.assert_array_equal(r.gradients["b"], G)  # the un-summed upstream, 2×4
    right = G.sum() if np.ndim(b) == 0 else G.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(r.right_gradients["b"], right, rtol=1e-12)
    np.testing.assert_allclose(r.gradients["W"], G @ X.T, rtol=1e-12)  # untouched
    np.testing.assert_allclose(r.gradients["X"], W.T @ G, rtol=1e-12)
    step = next(s for s in r.steps if s.get("mistake"))
    assert step["source"] == "n3" and step["local"] == "G"
    np.testing.assert_allclose(step["right_contribution"], right, rtol=1e-12)


def test_a_broadcast_intermediate_is_still_summed():
    r = evaluate("W @ X + 2*c", {"W": [[1, 2]], "X": [[1, 0], [0, 1]], "c": 0.25},
                 mistake="no_broadcast_sum")
    assert r.gradients["c"] == 2 * 2.0  # 2 × (sum of the two ones in G)
    assert r.mistake["wrong_nodes"] == []


def test_no_broadcast_sum_fails_the_gradient_check():
    report = gradcheck("sum(W @ X + b)", {"W": [[1, 2]], "X": [[1, 0], [0, 1]], "b": 1.0},
                       mistake="no_broadcast_sum")
    assert report["variables"]["b"]["max_rel_error"] == math.inf
    assert report["variables"]["W"]["max_rel_error"] < 1e-6
    assert report["variables"]["b"]["right_backprop"] == pytest.approx(2.0)


# ---------------------------------------------------------------- output_for_input

def test_the_registry_names_the_ops_whose_derivative_uses_the_output():
    assert {n for n, op in OPS.items() if op.output_derivative} == {"exp", "sqrt", "tanh",
                                                                   "sigmoid"}
    for name, op in OPS.items():
        if op.output_derivative:
            assert "{y}" in op.output_derivative[0]
            for u in (0.3, 1.7):  # the local from the output is the true derivative
                h = 1e-6
                fwd = {"exp": math.exp, "sqrt": math.sqrt, "tanh": math.tanh,
                       "sigmoid": _sigmoid}[name]
                numeric = (fwd(u + h) - fwd(u - h)) / (2 * h)
                r = evaluate(f"{name}(u)", {"u": u})
                assert r.gradients["u"] == pytest.approx(numeric, rel=1e-7)


@pytest.mark.parametrize("expression,u,wrong,right", [
    ("sigmoid(u)", 2.0, 2.0 * (1 - 2.0), _sigmoid(2.0) * (1 - _sigmoid(2.0))),
    ("tanh(u)", 0.5, 1 - 0.5 ** 2, 1 - math.tanh(0.5) ** 2),
    ("exp(u)", 2.0, 2.0, math.exp(2.0)),
    ("sqrt(u)", 4.0, 1 / (2 * 4.0), 1 / (2 * 2.0)),
])
def test_output_for_input_uses_u_where_the_rule_wants_y(expression, u, wrong, right):
    r = evaluate(expression, {"u": u}, output_grad=3.0, mistake="output_for_input")
    assert r.gradients["u"] == pytest.approx(3.0 * wrong, rel=1e-12)
    assert r.right_gradients["u"] == pytest.approx(3.0 * right, rel=1e-12)
    step = r.steps[-1]
    assert step["mistake"] == "output_for_input"
    assert step["local"] == pytest.approx(wrong, rel=1e-12)
    assert step["right_local"] == pytest.approx(right, rel=1e-12)


def test_sigmoid_at_two_gives_minus_two():
    r = evaluate("sigmoid(u)", {"u": 2}, mistake="output_for_input")
    assert r.gradients["u"] == -2.0


def test_output_for_input_leaves_other_ops_alone():
    r = evaluate("log(u) * sin(u) + relu(u) ** 2", {"u": 1.3}, mistake="output_for_input")
    assert r.gradients == r.right_gradients and r.mistake["wrong_nodes"] == []
    assert not any("mistake" in s for s in r.steps)


def test_output_for_input_on_tensors_and_inside_an_expanded_sigmoid():
    X = np.array([[0.5, -1.0], [2.0, 0.1]])
    r = evaluate("sum(tanh(X))", {"X": X.tolist()}, mistake="output_for_input")
    np.testing.assert_allclose(r.gradients["X"], 1 - X ** 2, rtol=1e-12)
    np.testing.assert_allclose(r.right_gradients["X"], 1 - np.tanh(X) ** 2, rtol=1e-12)
    # expanded σ(u) = 1/(1 + exp(−u)): only its exp node changes, exp′ taken as −u.
    u = 0.7
    r = evaluate("sigmoid(u)", {"u": u}, expand=True, mistake="output_for_input")
    e = math.exp(-u)
    dd = -1 / (1 + e) ** 2  # ∂(1/d)/∂d at d = 1 + e
    assert r.gradients["u"] == pytest.approx(dd * (-u) * -1, rel=1e-12)


# ---------------------------------------------------------------- the gradient check

@pytest.mark.parametrize("expression,values,mistake,fails", [
    ("x*x + x", {"x": 3.0}, "overwrite_at_forks", True),
    ("x*y", {"x": 3.0, "y": -2.0}, "overwrite_at_forks", False),
    ("sigmoid(x)", {"x": 1.0}, "output_for_input", True),
    ("sin(x) * x", {"x": 1.0}, "output_for_input", False),
    ("x*x + x", {"x": 3.0}, "no_broadcast_sum", False),
])
def test_the_gradient_check_catches_a_mistake_where_it_matters(expression, values, mistake,
                                                               fails):
    report = gradcheck(expression, values, mistake=mistake)
    assert report["mistake"] == mistake
    assert (report["max_rel_error"] > 0.1) == fails
    assert (report["max_rel_error"] < 1e-6) != fails
