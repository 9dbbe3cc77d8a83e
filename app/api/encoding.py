"""Engine results as strict JSON bytes (README.md "REST API").

orjson writes numpy arrays natively, which keeps a 10,000-node graph fast. Two things it
cannot do alone: non-finite numbers must become the strings "NaN", "Infinity" and
"-Infinity" (strict JSON that JS `Number()` reads), and tensors larger than the configured
size are summarised rather than dumped. Both need a walk over the payload, so it is only
done when the result has a warning or a tensor. A graph refers to each tensor several times
(its node, its trace events, the gradients), so each array is prepared once per answer.
"""

import math

import numpy as np
import orjson

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def graph_payload(expression, result):
    return {"expression": expression, "output": result.output, "value": result.value,
            "gradients": result.gradients, "nodes": result.nodes, "edges": result.edges,
            "steps": result.steps, "warnings": result.warnings}


def dumps(payload, max_tensor_elements, walk=True):
    """JSON bytes; `walk=False` promises there is no tensor and no non-finite number."""
    if walk:
        payload = _prepare(payload, max_tensor_elements, {})
    return orjson.dumps(payload, option=_OPTIONS)


def dumps_graph(expression, result, max_tensor_elements):
    has_tensor = any(result.graph.shapes)
    return dumps(graph_payload(expression, result), max_tensor_elements,
                 walk=has_tensor or not result.finite)


def _prepare(obj, limit, seen):
    """`seen` maps id(array) to its prepared form; the payload keeps every array alive, so
    an id cannot be reused while this runs."""
    cls = obj.__class__
    if cls is float:
        return obj if math.isfinite(obj) else _non_finite(obj)
    if cls is dict:
        return {k: _prepare(v, limit, seen) for k, v in obj.items()}
    if cls is list or cls is tuple:
        return [_prepare(v, limit, seen) for v in obj]
    if isinstance(obj, np.ndarray):
        prepared = seen.get(id(obj))
        if prepared is None:
            prepared = seen[id(obj)] = _prepare_array(obj, limit, seen)
        return prepared
    if isinstance(obj, np.floating):
        return _prepare(float(obj), limit, seen)
    return obj


def _prepare_array(a, limit, seen):
    if a.size > limit:
        return summarise(a)
    if not np.isfinite(a).all():
        return _prepare(a.tolist(), limit, seen)
    return np.ascontiguousarray(a)  # orjson writes C-contiguous arrays only (not a .T)


def summarise(a):
    """What a tensor too large to send looks like: its shape and a few statistics."""
    flat = a.ravel()  # C order, as a[mask] gives: the same mean to the last bit
    mask = np.isfinite(flat)
    finite = flat if mask.all() else flat[mask]  # no copy in the usual all-finite case
    stats = {"min": float(finite.min()), "max": float(finite.max()),
             "mean": float(finite.mean())} if finite.size else {}
    return {"summary": True, "shape": list(a.shape), "size": int(a.size),
            "non_finite": int(a.size - finite.size), **stats}


def _non_finite(x):
    return "NaN" if x != x else "Infinity" if x > 0 else "-Infinity"
