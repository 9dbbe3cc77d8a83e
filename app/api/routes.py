"""The routes: validate (pydantic), run the engine in a worker, return its JSON."""

import functools
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.engine import OPS, ExpressionError, parse
from app.examples import SECTIONS, get_examples

from . import jobs
from .errors import error_response, expression_error_item, http_item
from .schemas import (ErrorResponse, GradcheckRequest, GradcheckResponse, GraphRequest,
                      GraphResponse, ParseRequest, ParseResponse)
from .strict_json import StrictJSONRoute
from .workers import Overloaded, TimeLimit, WorkerDied

router = APIRouter(route_class=StrictJSONRoute)

_TUTORIAL = {
    "chain_rule": {"summary": "Chain rule: (x+y)*z at x=-2, y=5, z=-4",
                   "value": {"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}}},
    "stages": {"summary": "Named stages q = x + y, f = q * z",
               "value": {"expression": "q = x + y\nf = q * z",
                         "values": {"x": -2, "y": 5, "z": -4}}},
    "add_gate": {"summary": "Add gate with upstream gradient -4",
                 "value": {"expression": "x + y", "values": {"x": -2, "y": 5},
                           "output_grad": -4}},
    "sigmoid_neuron": {"summary": "Sigmoid neuron (expanded into gates)",
                       "value": {"expression": "sigmoid(w0*x0 + w1*x1 + w2)",
                                 "values": {"w0": 2, "w1": -3, "w2": -3, "x0": -1, "x1": -2},
                                 "expand": True}},
    "matmul": {"summary": "D = W X with upstream G",
               "value": {"expression": "W @ X",
                         "values": {"W": [[1, 2, 3], [4, 5, 6]],
                                    "X": [[1, 0], [0, 1], [1, 1]]},
                         "output_grad": [[1, 0], [0, 1]]}},
}
_ERRORS = {422: {"model": ErrorResponse, "description": "Invalid input, with its location"},
           413: {"model": ErrorResponse, "description": "Body too large"},
           415: {"model": ErrorResponse, "description": "Body is not JSON"},
           503: {"model": ErrorResponse, "description": "Overloaded: retry later"}}


def _request_body(model, examples):
    """OpenAPI for a body the route reads raw: validation happens where the time bound
    holds (app/api/jobs.py), not in the server's event loop."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}, "examples": examples}}}}


REQUEST_MODELS = (GraphRequest, GradcheckRequest)


async def _run(request: Request, job: str):
    body = await request.body()
    settings = request.app.state.settings
    small = jobs.handle_small(job, body, settings)
    if small is not None:
        return Response(small[1], status_code=small[0], media_type="application/json")
    try:
        status, content = await request.app.state.pool.run(job, body)
    except Overloaded:
        return error_response(503, [http_item(503, "the server is busy; retry shortly")],
                              {"Retry-After": "1"})
    except TimeLimit:
        return error_response(422, [{"type": "limit_exceeded", "loc": ["body"], "ctx": {},
                                     "msg": f"the computation took longer than "
                                            f"{settings.timeout_s} s"}])
    except WorkerDied:
        return error_response(500, [{"type": "internal_error", "loc": [], "ctx": {},
                                     "msg": "internal error"}])
    return Response(content, status_code=status, media_type="application/json")


@router.post("/api/graph", response_model=GraphResponse, responses=_ERRORS,
             openapi_extra=_request_body(GraphRequest, _TUTORIAL),
             summary="Evaluate an expression and backpropagate through it")
async def graph(request: Request):
    """The computation graph with every value and gradient, and the step-by-step trace."""
    return await _run(request, "graph")


@router.post("/api/gradcheck", response_model=GradcheckResponse, responses=_ERRORS,
             openapi_extra=_request_body(GradcheckRequest, _TUTORIAL),
             summary="Check backprop against central differences")
async def gradcheck(request: Request):
    """Per variable: backprop and numeric gradients, the max relative error, and the cost."""
    return await _run(request, "gradcheck")


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
    return orjson.dumps({"ops": ops})


@router.get("/api/ops", summary="Every function and operator")
async def ops():
    """Arity, description (ko, en), local derivative (LaTeX) and gate pattern of each op."""
    return Response(_ops_json(), media_type="application/json")


@router.get("/api/examples", summary="The tutorial's presets")
async def examples():
    """Presets, one or more per tutorial section, with ko/en titles and explanations."""
    return Response(orjson.dumps({"sections": SECTIONS, "examples": get_examples()}),
                    media_type="application/json")


@router.get("/healthz", summary="Liveness")
async def healthz():
    return {"status": "ok"}
