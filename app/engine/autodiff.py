"""Forward and backward passes over a Graph, recording the replayable trace.

Both passes are plain loops over int ids (no recursion, no per-node closures). Each node
only knows its local derivative and the upstream gradient, exactly as the tutorial puts
it: contribution = upstream × local, added into the input's accumulated gradient.
"""

import math
from itertools import repeat
from operator import is_

import numpy as np

from .numerics import FALLBACK_ERRORS, ArrayMath, ScalarMath, is_finite, non_finite_kind
from .shapes import unbroadcast
from .trace import CONSTANT, seed_event, tensor_edge_event

S, A = ScalarMath, ArrayMath


def forward(g, vals):
    """Fill `vals` (leaves already set) with every op node's value, in topological order."""
    ops, args, shapes = g.ops, g.args, g.shapes
    with np.errstate(all="ignore"):
        for i in g.op_nodes:
            op = ops[i]
            ins = args[i]
            if op.local is not None and not shapes[i]:  # elementwise on Python floats
                try:
                    if len(ins) == 2:
                        v = op.forward(S, vals[ins[0]], vals[ins[1]])
                    else:
                        v = op.forward(S, vals[ins[0]])
                except FALLBACK_ERRORS:
                    v = float(op.forward(A, *[np.float64(vals[j]) for j in ins]))
            else:
                v = op.forward(A, *[vals[j] for j in ins])
                if not shapes[i]:
                    v = float(v)
            vals[i] = v
    return vals[g.output]


def op_nodes(g):
    return g.op_nodes


def backward(g, vals, seed, ids=None, edges=None):
    """Gradients of the output w.r.t. every node, per-edge contributions, and the events.

    Op nodes are visited in reverse topological order, each one's edges in argument order;
    a node's gradient is complete when it is reached, because every node that consumes it
    has a larger id and was handled before. Each op node takes one of three paths for its
    local derivatives and contributions: the scalar fast path (`_scalar_edges`, Python
    floats), the IEEE fallback (`_fallback_edges`, where Python raised) and the tensor path
    (`_tensor_edges`); this loop only accumulates, and records the trace (when node `ids` are
    given; otherwise no events) in one place, below, as `trace.EdgeEvent` records. With
    `ids`, a list `edges` of `g.edge_count` slots is filled with the `trace.EdgeRecord`s too
    (the same loop has every field at hand; a pass of its own cost as much again).
    """
    ops, args, shapes, first = g.ops, g.args, g.shapes, g.first_edge
    n = len(g)
    grads = [None] * n
    grads[g.output] = seed
    m = g.edge_count
    contributions = [None] * m
    trace = ids is not None
    events = [seed_event(ids[g.output], seed)] if trace else []
    add = events.append
    if trace and edges is None:
        edges = [None] * m  # made all the same, and dropped
    with np.errstate(all="ignore"):
        for i in reversed(g.op_nodes):
            op = ops[i]
            ins = args[i]
            gi = grads[i]
            if gi is None:  # the output does not depend on this node
                gi = grads[i] = _zeros(shapes[i])
            out = vals[i]
            if op.local is not None and not shapes[i]:
                locals_, contribs = _scalar_edges(op, ins, vals, out, gi)
            else:
                locals_, contribs = _tensor_edges(g, i, gi, out, vals)
            e = first[i]
            if trace:  # trace.EdgeEvent and EdgeRecord records, inline: a second pass over
                target = ids[i]  # the edges in trace.py made the traced pass ~25 % slower
                for k, j in enumerate(ins):
                    c = contribs[k]
                    acc = grads[j]
                    grads[j] = acc = c if acc is None else acc + c
                    contributions[e] = c
                    local = locals_[k]
                    source = ids[j]
                    if local.__class__ is str:
                        add(tensor_edge_event(e, source, target, k, gi, local, c, acc,
                                              shapes[i], shapes[j]))
                    else:
                        add({"phase": "backward", "kind": "edge", "edge": e, "source": source,
                             "target": target, "index": k, "upstream": gi, "local": local,
                             "contribution": c, "accumulated": acc})
                    edges[e] = {"id": e, "source": source, "target": target, "index": k,
                                "grad": c}
                    e += 1
            else:
                for j, c in zip(ins, contribs):
                    acc = grads[j]
                    grads[j] = c if acc is None else acc + c
                    contributions[e] = c
                    e += 1
    # Nodes the output does not depend on (none in most graphs); checked at C speed
    # (`None in grads` would compare arrays with ==).
    if any(map(is_, grads, repeat(None))):
        for i in range(n):
            if grads[i] is None:
                grads[i] = _zeros(shapes[i])
    return grads, contributions, events


def _scalar_edges(op, ins, vals, out, gi):
    """The scalar fast path: an elementwise op on Python floats (the common case)."""
    try:
        if len(ins) == 2:
            a, b = vals[ins[0]], vals[ins[1]]
            d = op.local
            la, lb = d[0](S, a, b, out), d[1](S, a, b, out)
            return (la, lb), (gi * la, gi * lb)
        la = op.local[0](S, vals[ins[0]], out)
        return (la,), (gi * la,)
    except FALLBACK_ERRORS:
        return _fallback_edges(op, [vals[j] for j in ins], out, gi)


def _fallback_edges(op, xs, out, gi):
    """Scalar locals with numpy's IEEE semantics, where Python raised (e.g. 1/0)."""
    xs64 = [np.float64(x) for x in xs]
    locals_ = [float(f(A, *xs64, np.float64(out))) for f in op.local]
    return locals_, [gi * local for local in locals_]


def _tensor_edges(g, i, gi, out, vals):
    """Local derivatives and contributions of a node with a tensor among its operands.

    A scalar edge (scalar operand, scalar output, e.g. b in mse(W, b)) still gets a number
    as its local derivative; a tensor edge gets the op's rule as text.
    """
    op, ins, shapes = g.ops[i], g.args[i], g.shapes
    # numpy scalars, not Python floats: 1.0 / b must give inf for b = 0, not raise
    xs = [np.float64(vals[j]) if vals[j].__class__ is float else vals[j] for j in ins]
    scalar_out = not shapes[i]
    if op.local is None:
        contribs = list(op.vjp(gi, xs, out))
        if scalar_out and any(not shapes[j] for j in ins):
            units = op.vjp(1.0, xs, out)
    else:
        contribs = []
        for k, j in enumerate(ins):
            local = op.local[k](A, *xs, out)
            if local.__class__ is float and local in (1.0, -1.0):  # add, sub: no copy needed
                contribs.append(unbroadcast(gi if local == 1.0 else -gi, shapes[j]))
            else:
                contribs.append(unbroadcast(gi * local, shapes[j]))
            del local  # not alive while the next one is made (ops.py's `scratch` counts on it)
    locals_ = []
    for k, j in enumerate(ins):
        if not shapes[j]:
            contribs[k] = float(contribs[k])
        if scalar_out and not shapes[j]:
            local = float(units[k])
            contribs[k] = gi * local
        else:
            names = (g.names[a] or op.operands[m] for m, a in enumerate(ins))
            local = op.rule[k].format(*names)
            if op.local is not None and shapes[j] != shapes[i]:
                local = f"{summed_over(shapes[j], shapes[i])}({local})"
        locals_.append(local)
    return locals_, contribs


def summed_over(source, out):
    """How a broadcast operand's gradient is summed back to its shape, in the notation of
    expanded softmax: Σ₀ over rows (axis 0), Σ₁ over columns (axis 1), Σ over everything."""
    if len(source) == len(out) == 2:
        axes = [k for k in (0, 1) if source[k] == 1 and out[k] != 1]
        if len(axes) == 1:
            return "Σ₀" if axes[0] == 0 else "Σ₁"
    elif len(source) == 1 and len(out) == 2 and source[0] == out[1]:
        return "Σ₀"
    return "Σ"


def _zeros(shape):
    return 0.0 if not shape else np.zeros(shape)


def warnings_for(g, vals, grads, contributions, ids):
    """One warning per node where a non-finite number first appears, forward and backward,
    and whether every number is finite (a non-finite contribution or local derivative
    always leaves a non-finite gradient behind, so values and gradients tell)."""
    found = []
    values_finite, grads_finite = _all_finite(vals), _all_finite(grads)
    if not values_finite:
        for i, v in enumerate(vals):
            if not is_finite(v) and all(is_finite(vals[j]) for j in g.args[i]):
                found.append(_warning("forward", ids[i], v))
    if not grads_finite:
        seen = set()
        out = g.output
        if not is_finite(grads[out]):
            seen.add(out)
            found.append(_warning("backward", ids[out], grads[out]))
        kinds = g.kinds
        sources, targets, _ = g.edge_list()
        for e, (j, i) in enumerate(zip(sources, targets)):
            c = contributions[e]
            if j not in seen and kinds[j] is not CONSTANT and not is_finite(c) \
                    and is_finite(grads[i]):
                seen.add(j)
                found.append(_warning("backward", ids[j], c))
    return found, values_finite and grads_finite


def _all_finite(values):
    """Fast path: a sum of squares is finite only if every number is (BLAS's dot is 3× faster
    than np.sum; an overflow to inf just sends the caller to the exact per-node scan)."""
    if set(map(type, values)) == _FLOATS:  # all scalars: the same sum, at C speed
        return math.isfinite(sum(values))
    try:
        with np.errstate(all="ignore"):
            return math.isfinite(sum(v if v.__class__ is float else _square_sum(v)
                                     for v in values))
    except TypeError:  # a None slot: not computed
        return False


_FLOATS = {float}


def _square_sum(a):
    flat = a.reshape(-1)
    return float(flat @ flat)


def _warning(phase, node, value):
    kind = non_finite_kind(value)
    if phase == "forward":
        msg = f"the forward value became {kind} here"
        msg_ko = f"이 노드에서 순전파 값이 {kind}가 되었습니다"
    else:
        msg = f"the gradient became {kind} here"
        msg_ko = f"이 노드에서 기울기가 {kind}가 되었습니다"
    return {"type": "non_finite", "phase": phase, "node": node, "value": kind,
            "msg": msg, "msg_ko": msg_ko}
