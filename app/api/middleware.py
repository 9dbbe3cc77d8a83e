"""Transport rules as pure ASGI middleware: security headers on every response, and the
request body checks (415 unless JSON, 413 over the limit, counted while streaming so a
chunked body without Content-Length is caught too)."""

import orjson
from starlette.exceptions import HTTPException

from .errors import http_item

# Only the app's own scripts and styles; the API docs page also needs inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY")]


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = (DOCS_CSP if scope["path"] == "/docs" else CSP).encode()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _HEADERS if k not in names]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", csp))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body reading passes it on as a 413."""

    def __init__(self, limit):
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyRules:
    def __init__(self, app, max_body_bytes):
        self.app = app
        self.max = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media != b"application/json":
            return await _reply(send, 415, "the request body must be JSON: send the header "
                                           "Content-Type: application/json")
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max):
            return await _reply(send, 413, f"the request body is larger than {self.max} bytes")
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max:
                    raise _TooLarge(self.max)
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reply(send, 413, f"the request body is larger than {self.max} bytes")


async def _reply(send, status, msg):
    body = orjson.dumps({"detail": [http_item(status, msg)]})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
