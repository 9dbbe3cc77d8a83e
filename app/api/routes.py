"""The routes, thin: read the body, hand it to a job (in-process when provably small, else in
a worker, where it is validated and computed), return the JSON the job made."""

import functools

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from app.engine import OPS, ExpressionError, parse
from app.examples import presets

from . import jobs
from . import openapi_examples as examples
from .errors import error_response, expression_error_item, http_item
from .schemas import (ErrorResponse, GradcheckRequest, GradcheckResponse, GraphRequest,
                      GraphResponse, LandscapeRequest, LandscapeResponse, ParseRequest,
                      ParseResponse, TrainRequest, TrainResponse)
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


REQUEST_MODELS = (GraphRequest, GradcheckRequest, TrainRequest, LandscapeRequest)


async def _run(request: Request, job: str):
    body = await request.body()
    settings = request.app.state.settings
    small = jobs.handle_small(job, body, settings)
    if small is not None:
        return Response(small[1], status_code=small[0], media_type="application/json")
    try:
        status, content = await request.app.state.pool.run(job, body)
    except (Overloaded, TimeLimit, WorkerDied) as e:
        return _pool_error(e, settings)
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


@router.post("/api/graph", response_model=GraphResponse, responses=_ERRORS,
             openapi_extra=_request_body(GraphRequest, examples.TUTORIAL),
             summary="Evaluate an expression and backpropagate through it")
async def graph(request: Request):
    """The computation graph with every value and gradient, and the step-by-step trace."""
    return await _run(request, "graph")


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
    settings = request.app.state.settings
    messages = request.app.state.pool.stream("train", await request.body())
    first = await anext(messages)
    if first[0] == "error":
        return _pool_error(first[1], settings)
    if first[0] == "done":
        return Response(first[2], status_code=first[1],
                        media_type=NDJSON if first[1] == 200 else "application/json")

    async def lines():
        yield first[1]
        async for message in messages:
            if message[0] == "piece":
                yield message[1]
            elif message[0] == "done":
                yield message[2]
            else:  # the pool gave up mid-stream: say so on the last line
                yield _pool_error(message[1], settings).body + b"\n"

    return StreamingResponse(lines(), media_type=NDJSON)


@router.post("/api/landscape", response_model=LandscapeResponse, responses=_ERRORS,
             openapi_extra=_request_body(LandscapeRequest, examples.LANDSCAPE),
             summary="The loss over a grid of two scalar parameters (for contour plots)")
async def loss_landscape(request: Request):
    return await _run(request, "landscape")


@router.post("/api/parse", response_model=ParseResponse, responses=_ERRORS,
             summary="Parse only: the free variables an expression needs")
async def parse_expression(request: Request, body: ParseRequest):
    """Parsing is linear in the length, which the limits bound, so it runs in-process."""
    try:
        program = parse(body.expression, request.app.state.settings.limits())
    except ExpressionError as e:
        return error_response(422, [expression_error_item(e)])
    return {"variables": list(program.variables), "names": list(dict.fromkeys(program.names.values()))}


@functools.cache
def _ops_json():
    ops = [{"name": op.name, "kind": op.kind, "syntax": op.syntax, "label": op.label,
            "arity": op.arity, "description": {"en": op.en, "ko": op.ko},
            "latex": list(op.latex), "rule": list(op.rule), "gate": op.gate,
            "composite": op.expand is not None}
           for op in OPS.values()]
    return orjson.dumps(ops)


@router.get("/api/ops", summary="Every function and operator")
async def ops():
    """A list: arity, description (ko, en), local derivative (LaTeX) and gate pattern of each
    op ("internal" ones appear only inside expanded composites)."""
    return Response(_ops_json(), media_type="application/json")


@router.get("/api/examples", summary="The tutorial's presets")
async def examples():
    """A list of presets, one or more per tutorial section (in tutorial order), each with
    ko/en titles and explanations, the request fields, its section's title and, for the
    training lab, a "train" entry."""
    return Response(orjson.dumps(presets()), media_type="application/json")


@router.get("/healthz", summary="Liveness")
async def healthz():
    return {"status": "ok"}
