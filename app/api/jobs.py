"""What one request costs, done where the time bound holds: parse the JSON body, validate
it, run the engine, encode the result. Workers run `handle`; the server process itself runs
only `handle_small`, for requests that are provably cheap.

Returns (status, JSON bytes); nothing here raises for bad input.
"""

import dataclasses
import sys
import traceback

import orjson
from pydantic import ValidationError

from app.engine import ExpressionError, evaluate, gradcheck

from .encoding import dumps, dumps_graph
from .errors import expression_error_item, validation_items
from .schemas import GradcheckRequest, GraphRequest

REQUESTS = {"graph": GraphRequest, "gradcheck": GradcheckRequest}

# Within these limits a graph request takes a few milliseconds at most, so it is answered in
# the server process without the hop to a worker. Anything larger, and every gradient check
# (whose cost multiplies), goes to the killable pool.
SMALL_BODY_BYTES = 64 * 1024
SMALL = {"max_chars": 2_000, "max_nodes": 2_000, "max_total_elements": 100_000,
         "max_flops": 1e7}


def _graph(request, settings, limits):
    result = evaluate(request.expression, request.values, request.output_grad, request.expand,
                      limits)
    return 200, dumps_graph(request.expression, result, settings.max_tensor_elements)


def _gradcheck(request, settings, limits):
    report = gradcheck(request.expression, request.values, request.eps, request.output_grad,
                       request.expand, limits)
    return 200, dumps(report, settings.max_tensor_elements)


JOBS = {"graph": _graph, "gradcheck": _gradcheck}


def _error(status, items):
    return status, orjson.dumps({"detail": items})


def _validate(name, body, settings):
    """The request model, or (status, bytes) describing what is wrong with the body."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        # the same item FastAPI gives, with the decoder's words (never the input)
        return _error(422, [{"type": "json_invalid", "loc": ["body", e.pos],
                             "msg": "JSON decode error", "ctx": {"error": e.msg[:200]}}])
    try:
        return REQUESTS[name].model_validate(data)
    except ValidationError as e:
        errors = [{**err, "loc": ("body", *err["loc"])} for err in e.errors()]
        return _error(422, validation_items(errors, settings.max_errors))


def handle(name, body, settings):
    request = _validate(name, body, settings)
    if isinstance(request, tuple):
        return request
    try:
        return JOBS[name](request, settings, settings.limits())
    except ExpressionError as e:
        return _error(422, [expression_error_item(e)])
    except MemoryError:
        return _error(422, [{"type": "limit_exceeded", "loc": ["body"], "ctx": {},
                             "msg": "this computation needs more memory than a request may use"}])
    except Exception:  # a bug: say so (500), keep the worker alive, leave a trace in the log
        traceback.print_exc(file=sys.stderr)
        return _error(500, [{"type": "internal_error", "loc": [], "msg": "internal error",
                             "ctx": {}}])


def handle_small(name, body, settings):
    """(status, bytes) if this request is provably small, else None (use the pool)."""
    if name != "graph" or len(body) > SMALL_BODY_BYTES:
        return None
    request = _validate(name, body, settings)
    if isinstance(request, tuple):
        return request
    if len(request.expression) > SMALL["max_chars"]:
        return None
    limits = settings.limits()
    tight = dataclasses.replace(limits, **{k: min(v, getattr(limits, k)) for k, v in SMALL.items()})
    try:
        return _graph(request, settings, tight)
    except ExpressionError as e:
        if e.type == "limit_exceeded":
            return None  # perhaps within the normal limits: let a worker decide
        return _error(422, [expression_error_item(e)])
