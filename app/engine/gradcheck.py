"""Numerical gradient check: central differences against backprop (tutorial §1).

It also counts what the check cost: two forward evaluations per checked number, against a
single backward pass for all of them — why backprop, not numerical differentiation, trains
networks.
"""

import numpy as np

from .autodiff import forward
from .evaluate import evaluate
from .graph import seed_for
from .limits import DEFAULT_LIMITS


def gradcheck(expression, values, eps=1e-6, output_grad=None, expand=False, limits=None):
    limits = limits or DEFAULT_LIMITS
    if not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise ValueError("eps must be a number between 0 and 1")
    result = evaluate(expression, values, output_grad, expand, limits)
    graph = result.graph  # its op slots are recomputed for every perturbed input below
    seed = seed_for(graph, output_grad, limits)
    base = list(graph.values)

    def objective(node, value):
        vals = list(base)
        vals[node] = value
        return float(np.sum(forward(graph, vals) * seed))  # f = Σ output · seed

    sizes = {name: np.size(graph.values[i]) for name, i in graph.variables.items()}
    per_eval = max(graph.flops, 1.0)
    budget = int(min(limits.max_gradcheck_evals, limits.max_flops / per_eval)) // 2
    total = sum(sizes.values())
    report, evals, worst = {}, 0, 0.0
    for name, node in graph.variables.items():
        x = graph.values[node]
        analytic = result.gradients[name]
        n = sizes[name]
        # Share the budget in proportion to size; check evenly spaced elements if short.
        k = n if total <= budget else max(1, budget * n // total)
        picks = np.unique(np.linspace(0, n - 1, num=min(k, n)).round().astype(int))
        numeric = np.full(np.shape(x), np.nan)
        flat = numeric.reshape(-1)
        for p in picks:
            if np.ndim(x):
                plus, minus = x.copy(), x.copy()
                plus.flat[p] += eps
                minus.flat[p] -= eps
            else:
                plus, minus = x + eps, x - eps
            flat[p] = (objective(node, plus) - objective(node, minus)) / (2 * eps)
            evals += 2
        a = np.asarray(analytic, dtype=float).reshape(-1)[picks]
        b = flat[picks]
        rel = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)
        err = float(np.max(rel)) if rel.size else 0.0
        worst = max(worst, err)
        report[name] = {"backprop": analytic,
                        "numeric": float(numeric) if not np.ndim(x) else numeric,
                        "max_rel_error": err, "checked": int(picks.size), "elements": int(n)}
    return {"variables": report, "max_rel_error": worst, "forward_evals": evals,
            "backward_passes": 1, "eps": eps}
