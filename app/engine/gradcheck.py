"""Numerical gradient check: central differences against backprop (tutorial §1).

It also counts what the check cost: two forward evaluations per checked number, against a
single backward pass for all of them — why backprop, not numerical differentiation, trains
networks.

A check is planned before anything is computed: which elements of each variable it
perturbs (all of them, or evenly spaced ones when the budgets are too small) and so how many
forward evaluations it spends. Its work, evaluations × the cost of one evaluation, must fit
`Limits.max_gradcheck_work`, else it is refused up front (a check of a 10,000-node program
with 1,000 variables would otherwise run for many seconds before any time bound stopped it).
"""

import numpy as np

from .autodiff import forward
from .errors import ExpressionError
from .collector import quiet
from .evaluate import prepare, run
from .graph import seed_for
from .limits import DEFAULT_LIMITS
from .mistakes import check as check_mistake
from .shapes import size

# The cost of one forward evaluation in node-evaluations, the time Python takes for one
# scalar node (~0.3 µs on the 2-core machine where docs/engine.md measured all of these):
# a node computed by numpy costs ~10 of them in call overhead, and then numpy's time per
# element touched (~2.3 ns: 120 elements per node-evaluation) and per FLOP, which matters
# for matrix products only (~0.035 ns: 8,000 per node-evaluation). FLOPs or nodes alone
# cannot be the measure: a scalar node costs as much as ~8,000 matmul FLOPs, and a matmul
# FLOP is ~70× cheaper than an elementwise one.
TENSOR_OP_EXTRA = 9
ELEMENTS_PER_NODE = 120
FLOPS_PER_NODE = 8_000


def evaluation_cost(graph):
    """What one forward evaluation of `graph` costs, in node-evaluations."""
    return (len(graph) + TENSOR_OP_EXTRA * graph.tensor_ops
            + graph.elements / ELEMENTS_PER_NODE + graph.flops / FLOPS_PER_NODE)


def plan(graph, limits, text_length):
    """{variable: flat indices to perturb}, or ExpressionError if the check is too much work.

    The evaluations are shared among the variables in proportion to their sizes, within
    `max_gradcheck_evals` and what `max_flops` and `max_gradcheck_work` allow; every
    variable gets at least one element checked, so it is the number of variables times the
    cost of an evaluation that can make a check too much work.
    """
    cost = evaluation_cost(graph)
    pairs = int(min(limits.max_gradcheck_evals, limits.max_flops / max(graph.flops, 1.0),
                    limits.max_gradcheck_work / cost)) // 2
    sizes = {name: size(graph.shapes[i]) for name, i in graph.variables.items()}
    total = sum(sizes.values())
    # One element of each variable, and what is left shared in proportion to size; when
    # short, evenly spaced elements are checked. So at most max(pairs, variables) pairs.
    spare = max(0, pairs - len(sizes))
    picks = {}
    for name, n in sizes.items():
        k = n if total <= pairs else 1 + spare * (n - 1) // max(1, total - len(sizes))
        picks[name] = np.unique(np.linspace(0, n - 1, num=min(k, n)).round().astype(int))
    evals = 2 * sum(p.size for p in picks.values())
    work = evals * cost
    if work > limits.max_gradcheck_work:
        raise ExpressionError(
            "limit_exceeded", 0, text_length,
            f"this gradient check would cost about {work:.3g} node-evaluations ({evals:,} "
            f"forward evaluations of {cost:,.0f} each), more than the budget of "
            f"{limits.max_gradcheck_work:.3g}: check fewer variables or a smaller program",
            f"이 기울기 검사에는 노드 계산이 약 {work:.3g}회(순전파 {evals:,}회 × 회당 "
            f"{cost:,.0f}) 필요해 한도 {limits.max_gradcheck_work:.3g}회를 넘습니다: 변수를 "
            "줄이거나 더 작은 식으로 검사하세요")
    return picks


def gradcheck(expression, values, eps=1e-6, output_grad=None, expand=False, limits=None,
              mistake=None):
    """Central differences against backprop. With `mistake`, backprop is the pass replayed
    with that wrong rule (the check should catch it), and each variable's report also has
    `right_backprop`; a wrong gradient of the wrong shape fails with an infinite error."""
    limits = limits or DEFAULT_LIMITS
    if not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise ValueError("eps must be a number between 0 and 1")
    check_mistake(mistake)
    graph = quiet(lambda: prepare(expression, values, expand, limits))
    seed = seed_for(graph, output_grad, limits)
    picks_of = plan(graph, limits, len(expression))  # may refuse: nothing computed yet
    result = quiet(lambda: run(graph, seed, mistake))
    base = list(graph.values)  # its op slots are recomputed for every perturbed input below

    def objective(node, value):
        vals = list(base)
        vals[node] = value
        return float(np.sum(forward(graph, vals) * seed))  # f = Σ output · seed

    report, evals, worst = {}, 0, 0.0
    for name, node in graph.variables.items():
        x = graph.values[node]
        analytic = result.gradients[name]
        picks = picks_of[name]
        numeric = np.full(np.shape(x), np.nan)
        flat = numeric.reshape(-1)
        if np.ndim(x):
            moved = x.copy()  # one element at a time is moved and put back: no copy per eval
            for p in picks:
                at = moved.flat[p]
                moved.flat[p] = at + eps
                up = objective(node, moved)
                moved.flat[p] = at - eps
                down = objective(node, moved)
                moved.flat[p] = at
                flat[p] = (up - down) / (2 * eps)
        else:
            for p in picks:
                flat[p] = (objective(node, x + eps) - objective(node, x - eps)) / (2 * eps)
        evals += 2 * picks.size
        if np.shape(analytic) != np.shape(x):  # only a mistake (no_broadcast_sum) does this
            err = float("inf")
        else:
            a = np.asarray(analytic, dtype=float).reshape(-1)[picks]
            b = flat[picks]
            rel = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)
            err = float(np.max(rel)) if rel.size else 0.0
        worst = max(worst, err)
        report[name] = {"backprop": analytic,
                        "numeric": float(numeric) if not np.ndim(x) else numeric,
                        "max_rel_error": err, "checked": int(picks.size),
                        "elements": int(size(np.shape(x)))}
        if mistake is not None:
            report[name]["right_backprop"] = result.right_gradients[name]
    answer = {"variables": report, "max_rel_error": worst, "forward_evals": evals,
              "backward_passes": 1, "eps": eps}
    if mistake is not None:
        answer["mistake"] = mistake
    return answer
