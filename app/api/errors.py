"""Every error in FastAPI's shape, `{"detail": [{type, loc, msg, ctx}]}`, for every status.

No error echoes the input: pydantic's `input` and `url` are dropped, `ctx` keeps only
plain values from our own rules, and a location part that is not made of letters, marks,
digits, `_` and `-` (say a dictionary key holding markup) is replaced by a placeholder.
Like an expression error, a name error (a bad `values` key, param or data name) carries its
Korean message as `ctx.msg_ko`.
"""

import logging
import unicodedata

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from app.engine import ExpressionError

log = logging.getLogger("bpv.transport")

_SAFE_CTX = (int, float, bool)
_SAFE_PART_CHARS = 41


def error_body(items) -> bytes:
    """The one encoder of an error: `{"detail": items}` as JSON bytes. The routes
    (`error_response`), the jobs (`jobs._error`) and the transport middleware
    (`middleware._reply`) all write their errors with it."""
    return orjson.dumps({"detail": items})


def error_response(status, items, headers=None):
    return Response(error_body(items), status_code=status, media_type="application/json",
                    headers=headers)


def expression_error_item(e: ExpressionError):
    return {"type": e.type, "loc": ["body", *e.loc], "msg": e.msg,
            "ctx": {"start": e.start, "end": e.end, "msg_ko": e.msg_ko}}


def _safe_part(part):
    """Words of any script (a key such as `1x`, `x²` or `가중치` is named), never markup,
    spaces, control or format characters."""
    return part == "[key]" or len(part) <= _SAFE_PART_CHARS and all(
        unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc" or ch == "-"
        for ch in part)


def _safe_loc(loc):
    return [p if isinstance(p, int) or _safe_part(p) else "<key>" for p in loc]


def validation_items(errors, cap):
    items = []
    for err in errors[:cap]:
        ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, _SAFE_CTX)}
        if err["type"] == "json_invalid" and "error" in (err.get("ctx") or {}):
            ctx["error"] = str(err["ctx"]["error"])[:200]  # the decoder's words, not the input
        if isinstance((err.get("ctx") or {}).get("msg_ko"), str):  # our own rules' Korean
            ctx["msg_ko"] = err["ctx"]["msg_ko"]
        items.append({"type": err["type"], "loc": _safe_loc(err["loc"]), "msg": err["msg"],
                      "ctx": ctx})
    if len(errors) > cap:
        items.append({"type": "too_many_errors", "loc": ["body"],
                      "msg": f"{len(errors) - cap} more errors not shown", "ctx": {}})
    return items


_HTTP_TYPES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
               408: "request_timeout", 413: "body_too_large", 415: "unsupported_media_type",
               503: "overloaded"}


def http_item(status, msg):
    return {"type": _HTTP_TYPES.get(status, "http_error"), "loc": [], "msg": msg, "ctx": {}}


def install(app, settings):
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return error_response(422, validation_items(exc.errors(), settings.max_errors))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        msg = exc.detail if isinstance(exc.detail, str) else "request failed"
        return error_response(exc.status_code, [http_item(exc.status_code, msg)],
                              getattr(exc, "headers", None))

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect):  # nobody to answer: one line
        log.info("client went away before its request body was complete: %s %s",
                 request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # a bug; never show internals
        return error_response(500, [{"type": "internal_error", "loc": [],
                                     "msg": "internal error", "ctx": {}}])
