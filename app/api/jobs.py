"""What one request costs, done where the time bound holds: parse the JSON body, validate
it, run the engine, encode the result. Workers run `handle`; the server process itself runs
only `handle_small`, for requests that are provably cheap, and only while `InProcessBudget`
says the event loop has time to spare.

Returns (status, JSON bytes); nothing here raises for bad input.
"""

import dataclasses
import math
import sys
import time
import traceback

import numpy as np
import orjson
from pydantic import ValidationError

from app.engine import ExpressionError, Trainer, evaluate, gradcheck, landscape, parse

from app.export_torch import ExportError, to_torch

from .encoding import dumps, dumps_graph, graph_payload
from .errors import error_body, expression_error_item, validation_items
from .schemas import (ExportRequest, GradcheckRequest, GraphRequest, LandscapeRequest,
                      ParseRequest, TrainRequest)

REQUESTS = {"graph": GraphRequest, "gradcheck": GradcheckRequest, "train": TrainRequest,
            "landscape": LandscapeRequest, "parse": ParseRequest, "export": ExportRequest}
DETAIL_STEPS = 100  # detail=True puts every update's arithmetic in the history
TRACK_NUMBERS = 16  # track=True puts the params in every history entry
FLUSH_S = 0.05  # a streamed history is sent in pieces at most this old
# Training stops itself this share of the time bound before the deadline, leaving time to
# encode and send what it learned.
TRAIN_MARGIN = 0.2

# Within these limits a graph request takes a few milliseconds at most, so it is answered in
# the server process without the hop to a worker. Anything larger, and every gradient check
# (whose cost multiplies), goes to the killable pool.
SMALL_BODY_BYTES = 64 * 1024
SMALL = {"max_chars": 2_000, "max_nodes": 2_000, "max_total_elements": 100_000,
         "max_flops": 1e7}
SMALL_JOBS = ("graph", "parse", "export")


def parse_body_limit(settings):
    """A parse request holds one expression: UTF-8 takes at most 4 bytes per character."""
    return 4 * settings.max_chars + 1024


def _graph(request, settings, limits, deadline=None, emit=None, stop_requested=None):
    result = evaluate(request.expression, _arrays(request.values), request.output_grad,
                      request.expand, limits, request.mistake)
    return 200, graph_json(request.expression, result, settings.max_tensor_elements)


def _arrays(values):
    """Validated tensors (rectangular lists of Python floats) as float64 arrays. numpy
    converts such lists ~1.6× faster when it infers the dtype than when it is told it, as
    the engine's `np.asarray(raw, dtype=np.float64)` is; the numbers are the same, and the
    engine checks the arrays' size and rank as it checked the lists'."""
    return {name: np.array(v) if v.__class__ is list else v for name, v in values.items()}


def graph_json(expression, result, max_tensor_elements):
    """The graph response's bytes (the API's and `backprop-viz eval --json`'s); with a
    mistake, its report too. That payload is always walked: the right gradients may hold
    non-finite numbers where the wrong ones do not."""
    if result.mistake is None:
        return dumps_graph(expression, result, max_tensor_elements)
    return dumps({**graph_payload(expression, result), "mistake": result.mistake},
                 max_tensor_elements)


def _gradcheck(request, settings, limits, deadline=None, emit=None, stop_requested=None):
    report = gradcheck(request.expression, request.values, request.eps, request.output_grad,
                       request.expand, limits, request.mistake)
    return 200, dumps(report, settings.max_tensor_elements)


def _train(request, settings, limits, deadline, emit=None, stop_requested=None):
    """Train; with `emit`, stream the history as NDJSON lines while it grows.

    Training stops by itself, with "stopped": "time_limit", shortly before the request's
    deadline (the same clock the hard bound uses, started when the body was received, so
    reading a large body leaves less time to train), so a long run still answers with what
    it learned. A streamed run whose client went away (`stop_requested`) ends at its next
    flush.
    """
    if request.steps > settings.max_train_steps:
        return _error(422, [{"type": "limit_exceeded", "loc": ["body", "steps"], "ctx": {},
                             "msg": f"at most {settings.max_train_steps} steps per request"}])
    if request.detail and request.steps > DETAIL_STEPS:
        return _error(422, [{"type": "limit_exceeded", "loc": ["body", "steps"], "ctx": {},
                             "msg": f"detail is available for at most {DETAIL_STEPS} steps"}])
    trainer = Trainer(request.expression, request.values, request.params,
                      request.optimizer.model_dump(), request.l2,
                      request.batch.model_dump() if request.batch else None, limits)
    if request.track and sum(trainer.values[p].size for p in trainer.params) > TRACK_NUMBERS:
        return _error(422, [{"type": "limit_exceeded", "loc": ["body", "track"], "ctx": {},
                             "msg": f"track is available for at most {TRACK_NUMBERS} "
                                    "parameter numbers"}])
    stop_at = deadline - TRAIN_MARGIN * settings.timeout_s
    history, stopped, pending, flushed = [], None, [], time.monotonic()
    limit = settings.max_tensor_elements
    for _ in range(request.steps):
        entry = trainer.step(request.detail, request.track)
        history.append(entry)
        now = time.monotonic()
        if emit:
            pending.append(dumps(entry, limit) + b"\n")
            if now - flushed > FLUSH_S:
                if stop_requested():
                    return 200, b""  # nobody is listening any more
                emit(b"".join(pending))
                pending, flushed = [], now
        if not math.isfinite(entry["loss"]):
            stopped = "diverged"
            break
        if now > stop_at:
            stopped = "time_limit"
            break
    final = {"params": trainer.current_params(), "stopped": stopped}
    if emit:
        return 200, b"".join(pending) + dumps({"done": True, **final}, limit) + b"\n"
    return 200, dumps({"history": history, **final}, limit)


def _landscape(request, settings, limits, deadline=None, emit=None, stop_requested=None):
    grid = landscape(request.expression, request.values, request.params, request.ranges,
                     request.resolution, limits)
    return 200, dumps(grid, settings.max_tensor_elements)


def _parse(request, settings, limits, deadline=None, emit=None, stop_requested=None):
    program = parse(request.expression, limits)
    return 200, orjson.dumps({"variables": list(program.variables),
                              "names": list(dict.fromkeys(program.names.values()))})


def _export(request, settings, limits, deadline=None, emit=None, stop_requested=None):
    script = to_torch(request.expression, request.values, request.output_grad, limits)
    return 200, orjson.dumps({"to": request.to, "filename": "backprop_torch.py", "script": script})


JOBS = {"graph": _graph, "gradcheck": _gradcheck, "train": _train, "landscape": _landscape,
        "parse": _parse, "export": _export}


def _error(status, items):
    return status, error_body(items)


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


def handle(name, body, settings, deadline, emit=None, stop_requested=None):
    """(status, bytes); a streaming job first hands pieces of its body to `emit`.
    `deadline` is the request's (time.monotonic(), which all processes here share)."""
    request = _validate(name, body, settings)
    if isinstance(request, tuple):
        return request
    try:
        return _bounded(JOBS[name](request, settings, settings.limits(), deadline, emit,
                                   stop_requested), settings)
    except ExpressionError as e:
        return _error(422, [expression_error_item(e)])
    except ExportError as e:  # an op PyTorch has no faithful twin for
        return _error(422, [{"type": "not_exportable", "loc": ["body", "expression"],
                             "msg": str(e), "ctx": {}}])
    except MemoryError:
        return _error(422, [{"type": "limit_exceeded", "loc": ["body"], "ctx": {},
                             "msg": "this computation needs more memory than a request may use"}])
    except Exception:  # a bug: say so (500), keep the worker alive, leave a trace in the log
        traceback.print_exc(file=sys.stderr)
        return _error(500, [{"type": "internal_error", "loc": [], "msg": "internal error",
                             "ctx": {}}])


def _bounded(result, settings):
    """The job's answer, or a clear 422 if it is larger than a response may be (a response
    is held in memory until the client has read it)."""
    status, content = result
    if len(content) <= settings.max_response_bytes:
        return result
    mb = 1024 * 1024
    return _error(422, [{
        "type": "limit_exceeded", "loc": ["body"],
        "ctx": {"size": len(content), "limit": settings.max_response_bytes},
        "msg": f"the answer would be {len(content) / mb:.1f} MiB, more than the "
               f"{settings.max_response_bytes / mb:.0f} MiB a response may be: use fewer "
               f"nodes or smaller tensors (tensors above {settings.max_tensor_elements} "
               "numbers are sent as summaries)"}])


class InProcessBudget:
    """How much event-loop time the in-process path may take: a leaky bucket that fills with
    the CPU seconds small jobs spent on the loop and drains at `share` seconds per second.
    While it is over `burst_s`, small requests go to the pool like any other, so a flood of
    cheap-but-not-free requests cannot delay everyone else's (tutorial-sized ones cost
    ~0.5 ms and never fill it)."""

    def __init__(self, share=0.5, burst_s=0.02):
        self.share, self.burst_s = share, burst_s
        self.level, self.at = 0.0, time.monotonic()

    def allows(self):
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self.at) * self.share)
        self.at = now
        return self.level < self.burst_s

    def spent(self, seconds):
        self.level += seconds


def handle_small(name, body, settings):
    """(status, bytes) if this request is provably small, else None (use the pool)."""
    if name not in SMALL_JOBS or len(body) > SMALL_BODY_BYTES:
        return None
    request = _validate(name, body, settings)
    if isinstance(request, tuple):
        return request
    if len(request.expression) > SMALL["max_chars"]:
        return None
    limits = settings.limits()
    tight = dataclasses.replace(limits, **{k: min(v, getattr(limits, k)) for k, v in SMALL.items()})
    try:
        return JOBS[name](request, settings, tight)
    except ExpressionError as e:
        if e.type == "limit_exceeded":
            return None  # perhaps within the normal limits: let a worker decide
        return _error(422, [expression_error_item(e)])
