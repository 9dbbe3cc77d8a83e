"""The routes, thin: read the body, hand it to a job (in-process when provably small, else in
a worker, where it is validated and computed), return the JSON the job made."""

import asyncio
import functools
import time

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.exceptions import HTTPException

from app.engine import OPS
from app.engine.mistakes import mistakes_json
from app.engine.optim import optimizers_json
from app.examples import presets

from . import jobs
from . import openapi_examples as examples
from .errors import error_response, http_item
from .schemas import (ErrorResponse, ExportRequest, ExportResponse, GradcheckRequest,
                      GradcheckResponse, GraphRequest, GraphResponse, LandscapeRequest,
                      LandscapeResponse, MistakesResponse, ParseRequest, ParseResponse,
                      TrainRequest, TrainResponse)
from .strict_json import StrictJSONRoute
from .workers import Overloaded, TimeLimit, WorkerDied

router = APIRouter(route_class=StrictJSONRoute)

_ERRORS = {422: {"model": ErrorResponse, "description": "Invalid input, with its location"},
           413: {"model": ErrorResponse, "description": "Body too large"},
           415: {"model": ErrorResponse, "description": "Body is not JSON"},
           503: {"model": ErrorResponse, "description": "Overloaded: retry later"}}


def _request_body(model, examples):
    """OpenAPI for a body the route reads raw: validation happens where the time bound
    holds (app/api/jobs.py), not in the server's event loop."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}, "examples": examples}}}}


REQUEST_MODELS = (GraphRequest, GradcheckRequest, TrainRequest, LandscapeRequest, ParseRequest)


async def _body(request: Request, limit: int | None = None):
    """The raw body, refused past `limit` bytes (counted before decoding), and the moment it
    was received: the start of the request's one clock."""
    if limit is not None:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise HTTPException(413, f"the request body is larger than {limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"the request body is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks), time.monotonic()
    return await request.body(), time.monotonic()


async def _run(request: Request, job: str, limit: int | None = None):
    body, started = await _body(request, limit)
    state = request.app.state
    if state.in_process.allows():
        cpu = time.thread_time()  # CPU, not wall time: waiting for a core is not work done
        small = jobs.handle_small(job, body, state.settings)
        state.in_process.spent(time.thread_time() - cpu)
        if small is not None:
            return Response(small[1], status_code=small[0], media_type="application/json")
    try:
        status, content = await state.pool.run(job, body, started)
    except (Overloaded, TimeLimit, WorkerDied) as e:
        return _pool_error(e, state.settings)
    return Response(content, status_code=status, media_type="application/json")


def _pool_error(error, settings):
    if isinstance(error, Overloaded):
        return error_response(503, [http_item(503, "the server is busy; retry shortly")],
                              {"Retry-After": "1"})
    if isinstance(error, TimeLimit):
        return error_response(422, [{"type": "limit_exceeded", "loc": ["body"], "ctx": {},
                                     "msg": f"the computation took longer than "
                                            f"{settings.timeout_s} s"}])
    return error_response(500, [{"type": "internal_error", "loc": [], "ctx": {},
                                 "msg": "internal error"}])


@router.post("/api/graph", response_model=GraphResponse,
             responses={**_ERRORS, 204: {"description": "Asked with `ahead=1`, and the engine "
                                                        "refuses the request: no body"}},
             openapi_extra=_request_body(GraphRequest, examples.TUTORIAL),
             summary="Evaluate an expression and backpropagate through it")
async def graph(request: Request, ahead: bool = Query(False, description=(
        "Asked ahead of need (the page asks for Run's answer while the user pauses): a "
        "request the engine refuses (4xx) answers 204 with no body instead, so half-typed "
        "input logs no errors in the browser; the click asks without it."))):
    """The computation graph with every value and gradient, and the step-by-step trace."""
    response = await _run(request, "graph")
    if ahead and 400 <= response.status_code < 500:
        return Response(status_code=204)
    return response


@router.post("/api/gradcheck", response_model=GradcheckResponse, responses=_ERRORS,
             openapi_extra=_request_body(GradcheckRequest, examples.TUTORIAL),
             summary="Check backprop against central differences")
async def gradcheck(request: Request):
    """Per variable: backprop and numeric gradients, the max relative error, and the cost."""
    return await _run(request, "gradcheck")


NDJSON = "application/x-ndjson"


@router.post("/api/train", response_model=TrainResponse, responses=_ERRORS,
             openapi_extra=_request_body(TrainRequest, examples.TRAINING),
             summary="Train parameters by gradient descent (sgd, momentum, adam)")
async def train(request: Request):
    """The loss before each update, the gradient norm and the final params. With
    `Accept: application/x-ndjson` the history arrives line by line while it trains, and
    the last line is `{"done": true, "params": …, "stopped": …}`."""
    if NDJSON not in request.headers.get("accept", ""):
        return await _run(request, "train")
    body, started = await _body(request)
    settings = request.app.state.settings
    loop = asyncio.get_running_loop()
    pieces = asyncio.Queue()
    job = asyncio.ensure_future(request.app.state.pool.run(
        "train", body, started, lambda piece: loop.call_soon_threadsafe(pieces.put_nowait, piece)))
    job.add_done_callback(lambda _: pieces.put_nowait(None))  # after every piece it sent
    first = await pieces.get()
    if first is None:
        return _job_response(job, settings, NDJSON)

    async def lines():
        try:
            yield first
            while (piece := await pieces.get()) is not None:
                yield piece
            yield _job_response(job, settings, NDJSON).body  # the last line: done, or an error
        finally:
            job.cancel()  # the client went away: the pool stops the job and keeps the worker

    return StreamingResponse(lines(), media_type=NDJSON)


def _job_response(job, settings, media_type):
    """The finished job's answer as a Response; an error's body ends with a newline, so
    that it can be the last line of a stream."""
    try:
        status, content = job.result()
    except (Overloaded, TimeLimit, WorkerDied) as e:
        error = _pool_error(e, settings)
        return Response(error.body + b"\n", status_code=error.status_code,
                        headers={k: v for k, v in error.headers.items()
                                 if k == "retry-after"}, media_type="application/json")
    return Response(content, status_code=status,
                    media_type=media_type if status == 200 else "application/json")


@router.post("/api/landscape", response_model=LandscapeResponse, responses=_ERRORS,
             openapi_extra=_request_body(LandscapeRequest, examples.LANDSCAPE),
             summary="The loss over a grid of two scalar parameters (for contour plots)")
async def loss_landscape(request: Request):
    return await _run(request, "landscape")


@router.post("/api/export", response_model=ExportResponse, responses=_ERRORS,
             openapi_extra=_request_body(ExportRequest, examples.EXPORT),
             summary="The same expression as a runnable PyTorch script")
async def export(request: Request):
    return await _run(request, "export")


@router.post("/api/parse", response_model=ParseResponse, responses=_ERRORS,
             openapi_extra=_request_body(ParseRequest, examples.PARSE),
             summary="Parse only: the free variables an expression needs")
async def parse_expression(request: Request):
    """Its body holds one expression, so it is capped near the expression limit before it is
    decoded; a long expression is parsed in a worker like any other large job."""
    return await _run(request, "parse", jobs.parse_body_limit(request.app.state.settings))


@functools.cache
def _ops_json():
    ops = [{"name": op.name, "kind": op.kind, "syntax": op.syntax, "label": op.label,
            "arity": op.arity, "description": {"en": op.en, "ko": op.ko},
            "latex": list(op.latex), "rule": list(op.rule), "written": op.written,
            "derivative": list(op.derivative), "gate": op.gate,
            "sentences": {case: {"en": en, "ko": ko}
                          for case, (en, ko) in op.sentences.items()},
            "composite": op.expand is not None}
           for op in OPS.values()]
    return orjson.dumps(ops)


@router.get("/api/ops", summary="Every function and operator")
async def ops():
    """A list: for each op its arity, description (ko, en), how a node of it is written
    (`written`, over its inputs' texts {0} {1}), each local derivative as LaTeX and as text
    (`derivative`, over {0} {1} and {y}, its output), the tensor rule, and its gate pattern
    with the gate's sentences by case in both languages ("internal" ops appear only inside
    expanded composites)."""
    return Response(_ops_json(), media_type="application/json")


@router.get("/api/mistakes", response_model=MistakesResponse,
            summary="The classic mistakes a backward pass can be replayed with")
async def mistakes():
    """`{"mistakes": [{name, title: {en, ko}, description: {en, ko}}]}`, from the engine's
    one table (app/engine/mistakes.py). Give a name as `"mistake"` to POST /api/graph or
    /api/gradcheck to see the wrong gradients beside the right ones."""
    return {"mistakes": mistakes_json()}


@router.get("/api/optimizers",
            summary="The optimizers, their hyperparameters and the training limits")
async def optimizers(request: Request):
    """The rules the training panel builds its controls from, from the one table the engine
    and the `/api/train` request schema use (app/engine/optim.py):

    - `optimizers`: a list of `{name, title: {en, ko}, rule, hyperparameters}`; each
      hyperparameter is `{key, symbol, default, required, suggested, min, max, min_open,
      max_open, interval, label: {en, ko}, description: {en, ko}}` (`default` is what an
      omitted value means; `suggested` is a starting value for a form; `min_open` /
      `max_open` say whether the bound itself is excluded).
    - `limits`: `max_train_steps` (BPV_MAX_TRAIN_STEPS), `detail_steps` (the most steps
      `detail` gives arithmetic for) and `track_numbers` (the most parameter numbers
      `track` follows)."""
    settings = request.app.state.settings
    return {"optimizers": optimizers_json(),
            "limits": {"max_train_steps": settings.max_train_steps,
                       "detail_steps": jobs.DETAIL_STEPS, "track_numbers": jobs.TRACK_NUMBERS}}


@router.get("/api/examples", summary="The tutorial's presets")
async def examples():
    """A list of presets, one or more per tutorial section (in tutorial order), each with
    ko/en titles and explanations, the request fields, its section's title and, for the
    training lab, a "train" entry."""
    return Response(orjson.dumps(presets()), media_type="application/json")


@router.get("/healthz", summary="Readiness and liveness")
async def healthz(request: Request, workers: bool = False):
    """`{"status": "ok"}` while at least one engine worker is alive; 503 while none is (they
    are being replaced), so a load balancer sends requests elsewhere meanwhile. With
    `?workers=true` it also counts them: live, idle, and the pool's size."""
    counts = request.app.state.pool.health()
    if counts["live"] == 0:
        return error_response(503, [http_item(503, "no engine worker is running yet")],
                              {"Retry-After": "1"})
    return {"status": "ok", "workers": counts} if workers else {"status": "ok"}
