"""Every op of the registry (app/engine/ops.py): forward against a numpy reference, backward (the full VJP, with a
random output_grad) against central differences of that same reference."""

import zlib

import numpy as np
import pytest

from app.engine import evaluate
from app.engine.expand import expand
from app.engine.ops import OPS, Op
from app.engine.parser import parse
from testkit import (
    as_float_array,
    assert_close,
    assert_shapes_consistent,
    central_difference,
    check_trace,
    op_nodes,
)

FORWARD_RTOL = 1e-12
FORWARD_ATOL = 1e-12


# ---------------------------------------------------------------- references (plain numpy)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)


def n_samples(p):
    return p.shape[1] if np.ndim(p) == 2 else 1


def cross_entropy(p, y):
    return -np.sum(y * np.log(p)) / n_samples(p)


def softmax_cross_entropy(z, y):
    return cross_entropy(softmax(z), y)


def mse(a, b):
    return np.mean((a - b) ** 2)


# ---------------------------------------------------------------- inputs


def rng_for(*key):
    """A generator seeded from the test's parameters, so every case is reproducible."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def sample(rng, shape, domain):
    if domain == "any":
        v = rng.uniform(-2.0, 2.0, size=shape)
    elif domain == "positive":
        v = rng.uniform(0.5, 2.0, size=shape)
    elif domain == "nonzero":  # away from 0, for kinks and poles
        v = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    else:
        raise ValueError(domain)
    return float(v) if shape == () else v


def random_seed(rng, shape):
    g = rng.uniform(-1.5, 1.5, size=shape)
    return float(g) if shape == () else g


def check_op(expr, ref, values, output_grad, expand=False):
    """Engine value == reference value; engine gradients == central differences of the reference."""
    r = evaluate(expr, values, output_grad=output_grad, expand=expand)
    expected = ref(**{k: as_float_array(v) for k, v in values.items()})
    assert_close(r.value, expected, rtol=FORWARD_RTOL, atol=FORWARD_ATOL, what=f"value of {expr}")
    numeric = central_difference(ref, values, seed=output_grad)
    assert set(r.gradients) == set(values)
    for name in values:
        assert_close(r.gradients[name], numeric[name], what=f"d({expr})/d{name}")
    assert_shapes_consistent(r, values)
    out = {n["id"]: n for n in r.nodes}[r.output]
    assert tuple(out["shape"]) == np.shape(expected)
    return r


# ---------------------------------------------------------------- elementwise binary, with broadcasting

SHAPES = {"()": (), "(n,)": (3,), "(m,1)": (2, 1), "(m,n)": (2, 3)}

BINARY = {
    "a + b": (np.add, "any", "any"),
    "a - b": (np.subtract, "any", "any"),
    "a * b": (np.multiply, "any", "any"),
    "a / b": (np.divide, "any", "nonzero"),
    "a ** b": (np.power, "positive", "any"),
    "a ^ b": (np.power, "positive", "any"),
    "pow(a, b)": (np.power, "positive", "any"),
    "max(a, b)": (np.maximum, "any", "any"),
    "min(a, b)": (np.minimum, "any", "any"),
}


@pytest.mark.parametrize("shape_b", list(SHAPES), ids=lambda s: f"b{s}")
@pytest.mark.parametrize("shape_a", list(SHAPES), ids=lambda s: f"a{s}")
@pytest.mark.parametrize("expr", list(BINARY))
def test_binary_op_matches_reference_and_central_differences_under_broadcasting(expr, shape_a, shape_b):
    fn, dom_a, dom_b = BINARY[expr]
    rng = rng_for(expr, shape_a, shape_b)
    sa, sb = SHAPES[shape_a], SHAPES[shape_b]
    for _ in range(100):  # max/min: keep the operands apart so no difference straddles a kink
        a, b = sample(rng, sa, dom_a), sample(rng, sb, dom_b)
        if np.min(np.abs(np.subtract(a, b))) > 0.05:
            break
    out_shape = np.broadcast_shapes(sa, sb)
    g = random_seed(rng, out_shape)
    r = check_op(expr, lambda a, b: fn(a, b), {"a": a, "b": b}, g)
    check_trace(r, seed=g)


@pytest.mark.parametrize("expr", ["a + b", "a * b", "a - b", "a / b"])
def test_binary_op_with_default_seed_uses_ones(expr):
    fn, _, dom_b = BINARY[expr]
    rng = rng_for("seed", expr)
    a, b = sample(rng, (2, 3), "any"), sample(rng, (3,), dom_b)
    check_op(expr, lambda a, b: fn(a, b), {"a": a, "b": b}, None)


def test_power_with_a_negative_base_and_integer_exponent_has_the_right_base_gradient():
    r = evaluate("x ** 3", {"x": -2.0})
    assert r.value == -8.0
    assert r.gradients["x"] == 12.0
    r = evaluate("x ^ 2", {"x": np.array([-3.0, 0.0, 2.0])})
    assert_close(r.gradients["x"], [-6.0, 0.0, 4.0], rtol=1e-15, atol=0)


# ---------------------------------------------------------------- elementwise unary

UNARY = {
    "-a": (np.negative, "any"),
    "exp(a)": (np.exp, "any"),
    "log(a)": (np.log, "positive"),
    "sqrt(a)": (np.sqrt, "positive"),
    "abs(a)": (np.abs, "nonzero"),
    "sin(a)": (np.sin, "any"),
    "cos(a)": (np.cos, "any"),
    "tanh(a)": (np.tanh, "any"),
    "sigmoid(a)": (sigmoid, "any"),
    "relu(a)": (lambda a: np.maximum(a, 0.0), "nonzero"),
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("expr", list(UNARY))
def test_unary_op_matches_reference_and_central_differences(expr, shape):
    fn, dom = UNARY[expr]
    rng = rng_for(expr, shape)
    a = sample(rng, SHAPES[shape], dom)
    g = random_seed(rng, SHAPES[shape])
    r = check_op(expr, lambda a: fn(a), {"a": a}, g)
    check_trace(r, seed=g)


# ---------------------------------------------------------------- reductions and transpose

REDUCE = {
    "sum(a)": np.sum,
    "mean(a)": np.mean,
    "transpose(a)": np.transpose,
}


@pytest.mark.parametrize("shape", ["()", "(n,)", "(m,1)", "(m,n)"])
@pytest.mark.parametrize("expr", list(REDUCE))
def test_reduction_and_transpose_match_reference_and_central_differences(expr, shape):
    rng = rng_for(expr, shape)
    a = sample(rng, SHAPES[shape], "any")
    out_shape = np.shape(REDUCE[expr](np.asarray(a)))
    g = random_seed(rng, out_shape)
    r = check_op(expr, lambda a: REDUCE[expr](a), {"a": a}, g)
    check_trace(r, seed=g)


def test_transpose_of_a_matrix_swaps_the_shape():
    r = evaluate("transpose(A)", {"A": np.arange(6.0).reshape(2, 3)})
    assert r.value.shape == (3, 2)
    assert r.gradients["A"].shape == (2, 3)


# ---------------------------------------------------------------- matmul and dot

MATMUL_SHAPES = {
    "vector.vector": ((3,), (3,)),
    "matrix.vector": ((2, 3), (3,)),
    "vector.matrix": ((3,), (3, 2)),
    "matrix.matrix": ((2, 3), (3, 4)),
    "column.row": ((3, 1), (1, 2)),
    "row.column": ((1, 3), (3, 1)),
}


@pytest.mark.parametrize("case", list(MATMUL_SHAPES))
@pytest.mark.parametrize("expr,fn", [("a @ b", np.matmul), ("dot(a, b)", np.dot)], ids=["matmul", "dot"])
def test_matrix_product_matches_reference_and_central_differences(expr, fn, case):
    sa, sb = MATMUL_SHAPES[case]
    rng = rng_for(expr, case)
    a, b = sample(rng, sa, "any"), sample(rng, sb, "any")
    out_shape = np.shape(fn(a, b))
    g = random_seed(rng, out_shape)
    r = check_op(expr, lambda a, b: fn(a, b), {"a": a, "b": b}, g)
    check_trace(r, seed=g)


@pytest.mark.parametrize("sa,sb", [((), (2, 3)), ((2, 3), ()), ((), ()), ((), (3,))])
def test_dot_with_a_scalar_operand_multiplies(sa, sb):
    rng = rng_for("dot-scalar", sa, sb)
    a, b = sample(rng, sa, "any"), sample(rng, sb, "any")
    g = random_seed(rng, np.broadcast_shapes(sa, sb))
    check_op("dot(a, b)", lambda a, b: np.dot(a, b), {"a": a, "b": b}, g)


# ---------------------------------------------------------------- softmax and losses


@pytest.mark.parametrize("shape", [(3,), (3, 4), (4, 1), (1, 3)])
@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
def test_softmax_matches_reference_and_central_differences(shape, expand):
    rng = rng_for("softmax", shape)
    z = sample(rng, shape, "any")
    g = random_seed(rng, shape)
    check_op("softmax(z)", lambda z: softmax(z), {"z": z}, g, expand=expand)


def test_softmax_normalises_each_column():
    z = np.array([[1.0, 2.0, 0.0, -3.0], [0.5, -1.0, 4.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    r = evaluate("softmax(z)", {"z": z})
    assert_close(np.sum(r.value, axis=0), np.ones(4), rtol=1e-14, atol=1e-14)
    assert not np.allclose(np.sum(r.value, axis=1), 1.0)
    assert_close(r.value[:, 0], softmax(z[:, 0]), rtol=1e-14, atol=0)


def test_softmax_of_large_logits_is_finite():
    r = evaluate("softmax(z)", {"z": np.array([1000.0, 1001.0, 999.0])})
    assert np.all(np.isfinite(r.value))
    assert_close(r.value, softmax(np.array([1.0, 2.0, 0.0])), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
def test_mse_matches_reference_and_central_differences(shape, expand):
    rng = rng_for("mse", shape)
    a, b = sample(rng, shape, "any"), sample(rng, shape, "any")
    check_op("mse(a, b)", lambda a, b: mse(a, b), {"a": a, "b": b}, 0.7, expand=expand)


def test_mse_is_the_mean_of_squared_differences_over_all_elements():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = np.zeros((2, 3))
    r = evaluate("mse(a, b)", {"a": a, "b": b})
    assert r.value == pytest.approx(91.0 / 6.0, rel=1e-15)
    assert_close(r.gradients["a"], 2 * a / 6, rtol=1e-14, atol=0)


def probabilities(rng, shape):
    return softmax(rng.uniform(-1.5, 1.5, size=shape))


def labels(rng, shape, kind):
    if kind == "one-hot":
        k = shape[0]
        cols = 1 if len(shape) == 1 else shape[1]
        y = np.eye(k)[:, rng.integers(0, k, size=cols)]
        return y.reshape(shape)
    if kind == "soft":  # a distribution per column
        return softmax(rng.uniform(-1, 1, size=shape))
    if kind == "unnormalised":  # any non-negative weights
        return rng.uniform(0.0, 2.0, size=shape)
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["one-hot", "soft", "unnormalised"])
@pytest.mark.parametrize("shape", [(3,), (3, 4), (2, 1)])
@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
def test_cross_entropy_matches_reference_and_central_differences(shape, kind, expand):
    rng = rng_for("ce", shape, kind)
    p, y = probabilities(rng, shape), labels(rng, shape, kind)
    check_op("cross_entropy(p, y)", lambda p, y: cross_entropy(p, y), {"p": p, "y": y}, 1.3, expand=expand)


@pytest.mark.parametrize("kind", ["one-hot", "soft", "unnormalised"])
@pytest.mark.parametrize("shape", [(3,), (3, 4), (2, 1)])
@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
def test_softmax_cross_entropy_matches_reference_and_central_differences(shape, kind, expand):
    rng = rng_for("sce", shape, kind)
    z, y = sample(rng, shape, "any"), labels(rng, shape, kind)
    check_op(
        "softmax_cross_entropy(z, y)",
        lambda z, y: softmax_cross_entropy(z, y),
        {"z": z, "y": y},
        0.8,
        expand=expand,
    )


def test_cross_entropy_divides_by_the_number_of_columns():
    p = np.array([[0.5, 0.25, 0.125, 0.5], [0.5, 0.75, 0.875, 0.5]])
    y = np.array([[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    r = evaluate("cross_entropy(p, y)", {"p": p, "y": y})
    expected = -(np.log(0.5) + np.log(0.25) + np.log(0.125) + np.log(0.5)) / 4
    assert r.value == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_of_a_vector_uses_n_equal_1():
    p, y = np.array([0.2, 0.8]), np.array([0.0, 1.0])
    r = evaluate("cross_entropy(p, y)", {"p": p, "y": y})
    assert r.value == pytest.approx(-np.log(0.8), rel=1e-14)
    assert_close(r.gradients["p"], [0.0, -1 / 0.8], rtol=1e-14, atol=0)


def test_softmax_cross_entropy_equals_cross_entropy_of_softmax():
    rng = rng_for("sce=ce")
    z, y = rng.normal(size=(3, 5)), labels(rng, (3, 5), "one-hot")
    a = evaluate("softmax_cross_entropy(z, y)", {"z": z, "y": y})
    b = evaluate("cross_entropy(softmax(z), y)", {"z": z, "y": y})
    assert a.value == pytest.approx(b.value, rel=1e-13)
    assert_close(a.gradients["z"], b.gradients["z"], rtol=1e-10, atol=1e-13)
    # and both agree with the closed form (softmax(z) - y) / N for one-hot labels
    assert_close(a.gradients["z"], (softmax(z) - y) / 5, rtol=1e-12, atol=1e-14)
    assert len(op_nodes(a)) == 1


def test_softmax_cross_entropy_is_stable_for_large_logits():
    z, y = np.array([1000.0, 0.0, -1000.0]), np.array([0.0, 1.0, 0.0])
    r = evaluate("softmax_cross_entropy(z, y)", {"z": z, "y": y})
    assert r.value == pytest.approx(1000.0, rel=1e-12)
    assert_close(r.gradients["z"], [1.0, -1.0, 0.0], rtol=1e-12, atol=1e-300)
    assert r.warnings == []


# ---------------------------------------------------------------- composite == expanded


COMPOSITES = {
    "sigmoid": ("sigmoid(a)", sigmoid, lambda rng: {"a": sample(rng, (2, 3), "any")}),
    "softmax": ("softmax(z)", softmax, lambda rng: {"z": sample(rng, (3, 2), "any")}),
    "mse": ("mse(a, b)", mse, lambda rng: {"a": sample(rng, (2, 3), "any"), "b": sample(rng, (2, 3), "any")}),
    "cross_entropy": (
        "cross_entropy(p, y)",
        cross_entropy,
        lambda rng: {"p": probabilities(rng, (3, 2)), "y": labels(rng, (3, 2), "soft")},
    ),
    "softmax_cross_entropy": (
        "softmax_cross_entropy(z, y)",
        softmax_cross_entropy,
        lambda rng: {"z": sample(rng, (3, 2), "any"), "y": labels(rng, (3, 2), "one-hot")},
    ),
}


@pytest.mark.parametrize("op", list(COMPOSITES))
def test_expanding_a_composite_keeps_values_and_gradients_and_adds_nodes(op):
    expr, ref, make = COMPOSITES[op]
    rng = rng_for("expand", op)
    values = make(rng)
    seed = random_seed(rng, np.shape(ref(**values)))
    atomic = check_op(expr, ref, values, seed)
    expanded = check_op(expr, ref, values, seed, expand=True)
    assert_close(expanded.value, atomic.value, rtol=1e-12, atol=1e-14)
    for name in values:
        assert_close(expanded.gradients[name], atomic.gradients[name], rtol=1e-9, atol=1e-12)
    assert len(op_nodes(atomic)) == 1 and op_nodes(atomic)[0]["op"] == op
    assert len(op_nodes(expanded)) > 1
    assert op not in [n["op"] for n in op_nodes(expanded)]
    blocks = [n["block"] for n in expanded.nodes if n.get("block")]
    assert blocks and all(b["op"] == op for b in blocks)
    assert not any(n.get("block") for n in atomic.nodes)
    out = {n["id"]: n for n in expanded.nodes}[expanded.output]
    assert out.get("block") and out["block"]["op"] == op, "the block's output is the graph's output"
    check_trace(expanded, seed=seed)


def test_each_expansion_gets_its_own_block_id():
    r = evaluate("sigmoid(a) + sigmoid(b)", {"a": 0.3, "b": -0.2}, expand=True)
    ids = {n["block"]["id"] for n in r.nodes if n.get("block")}
    assert len(ids) == 2


# ---------------------------------------------------------------- semantics pinned by the design


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_and_min_split_the_gradient_evenly_at_an_exact_tie(fn):
    r = evaluate(f"{fn}(x, y)", {"x": 2.0, "y": 2.0}, output_grad=3.0)
    assert r.value == 2.0
    assert r.gradients == {"x": 1.5, "y": 1.5}


@pytest.mark.parametrize("fn,np_fn", [("max", np.maximum), ("min", np.minimum)])
def test_max_and_min_split_ties_elementwise_and_route_the_rest(fn, np_fn):
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 5.0, 0.0])
    r = evaluate(f"{fn}(a, b)", {"a": a, "b": b})
    assert_close(r.value, np_fn(a, b), rtol=0, atol=0)
    wins_a = 1.0 if fn == "max" else 0.0
    assert_close(r.gradients["a"], [0.5, 1.0 - wins_a, wins_a], rtol=0, atol=0)
    assert_close(r.gradients["b"], [0.5, wins_a, 1.0 - wins_a], rtol=0, atol=0)


def test_max_tie_under_broadcasting_sums_the_halves():
    r = evaluate("max(s, v)", {"s": 1.0, "v": np.array([1.0, 1.0, 0.0])})
    assert r.gradients["s"] == 0.5 + 0.5 + 1.0
    assert_close(r.gradients["v"], [0.5, 0.5, 0.0], rtol=0, atol=0)


def test_max_of_a_variable_with_itself_gives_gradient_one():
    r = evaluate("max(x, x)", {"x": -1.5})
    assert r.gradients["x"] == 1.0


def test_relu_derivative_at_zero_is_zero():
    r = evaluate("relu(x)", {"x": 0.0})
    assert r.value == 0.0 and r.gradients["x"] == 0.0
    r = evaluate("relu(x)", {"x": np.array([-1.0, 0.0, 2.0])})
    assert_close(r.gradients["x"], [0.0, 0.0, 1.0], rtol=0, atol=0)


def test_abs_derivative_at_zero_is_zero():
    r = evaluate("abs(x)", {"x": 0.0})
    assert r.value == 0.0 and r.gradients["x"] == 0.0
    r = evaluate("abs(x)", {"x": np.array([-2.0, 0.0, 2.0])})
    assert_close(r.gradients["x"], [-1.0, 0.0, 1.0], rtol=0, atol=0)


def test_tensor_output_without_output_grad_is_seeded_with_ones():
    A = np.arange(6.0).reshape(2, 3)
    r = evaluate("2*A", {"A": A})
    assert_close(r.gradients["A"], np.full((2, 3), 2.0), rtol=0, atol=0)
    check_trace(r)


def test_scalar_broadcast_against_a_matrix_sums_its_gradient():
    g = np.arange(6.0).reshape(2, 3)
    r = evaluate("s * A", {"s": 2.0, "A": np.ones((2, 3))}, output_grad=g)
    assert r.gradients["s"] == pytest.approx(g.sum(), rel=1e-15)
    assert isinstance(r.gradients["s"], float)


def test_values_may_be_nested_lists():
    r = evaluate("W @ x", {"W": [[1, 2], [3, 4]], "x": [1, -1]})
    assert_close(r.value, [-1.0, -1.0], rtol=0, atol=0)
    assert r.value.dtype == np.float64
    assert_close(r.gradients["W"], [[1.0, -1.0], [1.0, -1.0]], rtol=0, atol=0)
    assert_close(r.gradients["x"], [4.0, 6.0], rtol=0, atol=0)


def test_extra_values_are_ignored_and_get_no_gradient():
    r = evaluate("x*2", {"x": 1.0, "unused": np.ones(3)})
    assert r.gradients == {"x": 2.0}


def test_values_are_computed_in_float64():
    r = evaluate("x + y", {"x": 1.0, "y": 3e-16})
    assert r.value == 1.0 + 3e-16
    r = evaluate("a / 3", {"a": np.array([1, 2], dtype=np.int64)})
    assert_close(r.value, [1 / 3, 2 / 3], rtol=1e-16, atol=0)
    assert r.gradients["a"].dtype == np.float64


# ---------------------------------------------------------------- non-finite numbers are warnings, not errors


def test_log_of_zero_is_a_forward_warning_not_an_error():
    r = evaluate("log(x) * 2", {"x": 0.0})
    assert r.value == float("-inf")
    fwd = [w for w in r.warnings if w["phase"] == "forward"]
    assert len(fwd) == 1
    w = fwd[0]
    log_node = [n for n in op_nodes(r) if n["op"] == "log"][0]
    assert w["type"] == "non_finite" and w["node"] == log_node["id"] and w["value"] == "-Infinity"
    assert w["msg"] and w["msg_ko"]


def test_nan_is_reported_once_where_it_first_appears():
    r = evaluate("(x - x) / (y - y) + 1", {"x": 1.0, "y": 2.0})
    assert np.isnan(r.value)
    fwd = [w for w in r.warnings if w["phase"] == "forward"]
    assert len(fwd) == 1 and fwd[0]["value"] == "NaN"
    nodes = {n["id"]: n for n in r.nodes}
    assert nodes[fwd[0]["node"]]["inputs"], "the first NaN is on the division, not downstream"
    div = nodes[fwd[0]["node"]]
    assert all(np.isfinite(nodes[i]["value"]) for i in div["inputs"])


def test_finite_evaluation_has_no_warnings():
    assert evaluate("(x+y)*z", {"x": -2, "y": 5, "z": -4}).warnings == []


def test_an_infinite_gradient_is_a_backward_warning_on_the_node_it_reaches():
    r = evaluate("sqrt(x)", {"x": 0.0})
    assert r.value == 0.0 and r.gradients["x"] == float("inf")
    x = [n for n in r.nodes if n["kind"] == "variable"][0]
    back = [w for w in r.warnings if w["phase"] == "backward"]
    assert len(back) == 1
    assert back[0]["node"] == x["id"] and back[0]["value"] == "Infinity" and back[0]["type"] == "non_finite"
    assert not [w for w in r.warnings if w["phase"] == "forward"]


def test_division_by_zero_warns_forward_at_the_division_and_backward_at_the_divisor():
    r = evaluate("1/x", {"x": 0.0})
    assert r.value == float("inf") and r.gradients["x"] == float("-inf")
    nodes = {n["id"]: n for n in r.nodes}
    fwd = [w for w in r.warnings if w["phase"] == "forward"]
    back = [w for w in r.warnings if w["phase"] == "backward"]
    assert [(nodes[w["node"]]["op"], w["value"]) for w in fwd] == [("div", "Infinity")]
    assert [(nodes[w["node"]]["kind"], w["value"]) for w in back] == [("variable", "-Infinity")]


def test_expanded_blocks_are_numbered_one_per_composite_in_order():
    r = evaluate("sigmoid(a) + sigmoid(b) * mse(a, b)", {"a": 1.0, "b": 2.0}, expand=True)
    blocks = {}
    for node in r.nodes:
        if "block" in node:
            blocks.setdefault(node["block"]["id"], node["block"]["op"])
    assert blocks == {1: "sigmoid", 2: "sigmoid", 3: "mse"}


@pytest.mark.parametrize("expand", [False, True])
def test_saturated_functions_give_ieee_results_not_errors(expand):
    """Where Python's math raises (overflow, domain), the engine answers as numpy does."""
    r = evaluate("sigmoid(a) + sigmoid(b) + tanh(a) + exp(c) * 0 + relu(a)",
                 {"a": -1000.0, "b": 1000.0, "c": -1000.0}, expand=expand)
    assert r.value == 1.0 - 1.0
    r = evaluate("sigmoid(v)", {"v": [-1000.0, 0.0, 1000.0]}, expand=expand)
    assert list(r.value) == [0.0, 0.5, 1.0]
    assert list(r.gradients["v"]) == [0.0, 0.25, 0.0] or expand  # expanded: inf/inf = NaN


# ---------------------------------------------------------------- every op is covered

CHECKED = [*BINARY, *UNARY, *REDUCE, "a @ b", "dot(a, b)", "softmax(z)", "mse(a, b)",
           "cross_entropy(p, y)", "softmax_cross_entropy(z, y)"]


def test_every_op_of_the_registry_has_a_vjp_test():
    """The expressions the tests above check, expanded and not, use every op there is: a
    new op without a VJP test fails here."""
    seen = set()
    for expr in CHECKED:
        program = parse(expr)
        for p in (program, expand(program)):
            seen |= {op.name for op in p.ops if isinstance(op, Op)}
    assert seen == set(OPS), set(OPS) - seen
