"""The size and cost estimates count every array an op allocates, temporaries included (issue 8).

`mse(row, column)` broadcasts to a square inside the op although its operands and its output
are small; the estimates used to miss it, so the "provably small" in-process path took 75 ms.
Here the broadcast shape comes from numpy (`np.broadcast_shapes`) and the memory actually
allocated from `tracemalloc`, never from the engine's own shape rules.
"""

import gc
import tracemalloc

import numpy as np
import pytest

from app.engine import ExpressionError, Limits, evaluate

RNG = np.random.default_rng(8)


def positive(shape):
    return RNG.uniform(0.5, 1.5, size=shape)


def row(n):
    return positive((1, n))


def column(n):
    return positive((n, 1))


def square(n):
    return positive((n, n))


def ties(n):  # max/min at exact ties take the split-gradient branch
    return {"a": np.ones((1, n)), "b": np.ones((n, 1))}


# (expression, values for size n): every op whose forward or backward makes an array of the
# broadcast shape, and the other tensor ops for completeness
CASES = [
    ("a + b", lambda n: {"a": row(n), "b": column(n)}),
    ("a - b", lambda n: {"a": row(n), "b": column(n)}),
    ("a * b", lambda n: {"a": row(n), "b": column(n)}),
    ("a / b", lambda n: {"a": row(n), "b": column(n)}),
    ("a ** b", lambda n: {"a": row(n), "b": column(n)}),
    ("max(a, b)", lambda n: {"a": row(n), "b": column(n)}),
    ("min(a, b)", lambda n: {"a": row(n), "b": column(n)}),
    ("max(a, b)", ties),
    ("min(a, b)", ties),
    ("mse(a, b)", lambda n: {"a": row(n), "b": column(n)}),
    ("mse(a, b)", lambda n: {"a": column(n), "b": square(n)}),
    ("cross_entropy(a, b)", lambda n: {"a": row(n), "b": column(n)}),
    ("cross_entropy(a, b)", lambda n: {"a": column(n), "b": square(n)}),
    ("softmax_cross_entropy(a, b)", lambda n: {"a": square(n), "b": square(n)}),
    ("softmax(a)", lambda n: {"a": square(n)}),
    ("sum(a + b)", lambda n: {"a": row(n), "b": column(n)}),
    ("mean(a * b)", lambda n: {"a": row(n), "b": column(n)}),
    ("sum(a)", lambda n: {"a": square(n)}),
    ("dot(s, a)", lambda n: {"s": 2.0, "a": square(n)}),
    ("a @ b", lambda n: {"a": square(n), "b": square(n)}),
    ("transpose(a) * b", lambda n: {"a": square(n), "b": row(n)}),
    ("a * a * a", lambda n: {"a": square(n)}),  # a fork: the gradient of a is summed
] + [(f"{f}(a)", lambda n: {"a": square(n)})
     for f in ("exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu")]
COMPOSITES = ("sigmoid", "softmax", "mse", "cross_entropy")  # expand into several nodes
CASES = [(expr, make, False) for expr, make in CASES] + [
    (expr, make, True) for expr, make in CASES if any(c in expr for c in COMPOSITES)]
IDS = [f"{expr}:{i}{' expanded' if expand else ''}" for i, (expr, _, expand) in enumerate(CASES)]


def largest_array(values):
    """The largest shape numpy makes from these operands: their broadcast (or a matmul's
    n×n, which equals it for the square cases)."""
    return int(np.prod(np.broadcast_shapes(*(np.shape(v) for v in values.values()))))


@pytest.mark.parametrize("expr, make, expand", CASES, ids=IDS)
def test_estimates_cover_the_broadcast_shape(expr, make, expand):
    values = make(300)
    g = evaluate(expr, values, expand=expand).graph
    biggest = largest_array(values)
    inputs = sum(np.size(v) for v in values.values())
    assert g.elements >= biggest + inputs
    assert g.flops >= biggest


# numpy keeps a few fixed-size buffers for reductions and casts (8,192 elements each) and
# Python holds the graph's small objects: a constant, independent of n
SLACK_BYTES = 256 * 1024


@pytest.mark.parametrize("expr, make, expand", CASES, ids=IDS)
@pytest.mark.parametrize("n", [170, 400])  # below and above numpy's temporary elision (256 KiB)
def test_peak_memory_of_an_evaluation_is_within_the_element_estimate(expr, make, expand, n):
    values = make(n)
    g = evaluate(expr, values, expand=expand).graph  # warm-up; and the estimate
    inputs = sum(8 * np.size(v) for v in values.values())  # allocated before tracing starts
    gc.collect()
    tracemalloc.start()
    try:
        result = evaluate(expr, values, expand=expand)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.graph.elements == g.elements
    assert peak + inputs <= 8 * g.elements + SLACK_BYTES, (
        f"{(peak + inputs) / 8:,.0f} numbers allocated, {g.elements:,} estimated")


# ---------------------------------------------------------------- the mse(row, column) case

N = 1050
B = N * N  # the broadcast difference inside the loss


def mse_values():
    return {"a": np.zeros((1, N)), "b": np.zeros((N, 1))}


def test_mse_of_a_row_and_a_column_is_refused_just_below_its_broadcast_size():
    with pytest.raises(ExpressionError) as info:
        evaluate("mse(a, b)", mse_values(), limits=Limits(max_total_elements=B - 1))
    err = info.value
    assert err.type == "limit_exceeded"
    assert (err.start, err.end) == (0, 9)  # at the op that needs the temporary


def test_mse_of_a_row_and_a_column_is_refused_before_numpy_allocates():
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(ExpressionError):
            evaluate("mse(a, b)", mse_values(), limits=Limits(max_total_elements=B - 1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * B / 10, f"{peak:,} bytes allocated before refusing"


def test_the_small_path_limits_of_the_server_refuse_it():
    # the limits the API's in-process path uses (app/api/jobs.py SMALL), written out here
    small = Limits(max_chars=2_000, max_nodes=2_000, max_total_elements=100_000, max_flops=1e7)
    with pytest.raises(ExpressionError) as info:
        evaluate("mse(a, b)", mse_values(), limits=small)
    assert info.value.type == "limit_exceeded"
    evaluate("mse(a, b)", {"a": np.zeros((1, 100)), "b": np.zeros((100, 1))}, limits=small)


def test_the_default_limits_still_allow_it():
    r = evaluate("mse(a, b)", {"a": np.full((1, N), 2.0), "b": np.full((N, 1), 0.5)})
    assert r.value == pytest.approx(2.25, rel=1e-12)


def test_a_fork_on_a_large_tensor_counts_each_sum_of_its_gradient():
    # x used k times: the trace keeps k-1 partial sums of its gradient, each the size of x
    n = 200_000
    x = np.ones(n)
    one = evaluate("sum(x)", {"x": x}).graph.elements
    three = evaluate("sum(x) + sum(x) + sum(x)", {"x": x}).graph.elements
    assert three - one >= 2 * n + 2 * n  # two more edges into sum(x) and two more partial sums
