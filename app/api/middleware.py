"""Transport rules as pure ASGI middleware.

- `SecurityHeaders`: security headers on every response.
- `BodyRules`: what a request body may be: JSON (else 415), at most `max_body_bytes` (else
  413; counted while streaming, so a chunked body without Content-Length is caught too), and
  complete within `read_timeout_s` (else 408, so a stalled upload cannot hold memory).
- `InFlight`: what the server holds for its API clients at once: at most `max_requests`
  requests and `max_bytes` of request and response bodies (past either, 503 + Retry-After),
  and a client that reads nothing of its response for `write_timeout_s` is dropped.
"""

import asyncio
import logging

from starlette.exceptions import HTTPException

from .errors import error_body, http_item

log = logging.getLogger("bpv.transport")

# Only the app's own scripts and styles; the API docs page also needs inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY")]
_SLICE = 64 * 1024  # large response bodies are written in slices, each under the write timeout
BUSY = "the server is busy; retry shortly"


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
    """HTTPExceptions, so that FastAPI's body reading passes them on as responses."""

    def __init__(self, limit):
        super().__init__(413, f"the request body is larger than {limit} bytes")


class _TooSlow(HTTPException):
    def __init__(self, seconds):
        super().__init__(408, f"the request body did not arrive within {seconds:g} s")


class _Busy(HTTPException):
    def __init__(self):
        super().__init__(503, BUSY, {"Retry-After": "1"})


class BodyRules:
    def __init__(self, app, max_body_bytes, read_timeout_s):
        self.app = app
        self.max = max_body_bytes
        self.read_timeout_s = read_timeout_s

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
        complete = False
        deadline = asyncio.get_running_loop().time() + self.read_timeout_s
        started = False

        async def counted_receive():
            nonlocal seen, complete
            if complete:  # after the body: waiting for a disconnect may take any time
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _TooSlow(self.read_timeout_s) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max:
                    raise _TooLarge(self.max)
                complete = not message.get("more_body", False)
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except HTTPException as e:  # raised outside a route (no handler saw it)
            if not started:
                await _reply(send, e.status_code, e.detail, e.headers)


class _SlowReader(Exception):
    pass


class InFlight:
    def __init__(self, app, max_requests, max_bytes, write_timeout_s, prefix="/api/"):
        self.app = app
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.write_timeout_s = write_timeout_s
        self.prefix = prefix
        self.requests = 0
        self.bytes = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        if self.requests >= self.max_requests:
            return await _reply(send, 503, BUSY, {"Retry-After": "1"})
        self.requests += 1
        held = 0
        start = None

        def reserve(n):
            nonlocal held
            # past the budget only while others hold bytes too: one request alone may pass
            if n and self.bytes + n > self.max_bytes and self.bytes > held:
                raise _Busy
            self.bytes += n
            held += n

        async def counted_receive():
            message = await receive()
            if message["type"] == "http.request":
                reserve(len(message.get("body", b"")))
            return message

        async def bounded_send(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message  # held back until the body shows whether it fits
                return
            if message["type"] != "http.response.body":
                return await send(message)
            body = message.get("body", b"")
            if start is not None:
                first, start = start, None
                try:
                    reserve(len(body))
                except _Busy:
                    return await _reply(send, 503, BUSY, {"Retry-After": "1"})
                await self._write(send, first)
            else:
                reserve(len(body))
            more = message.get("more_body", False)
            for i in range(0, max(len(body), 1), _SLICE):
                last = i + _SLICE >= len(body)
                await self._write(send, {"type": "http.response.body",
                                         "body": body[i:i + _SLICE] if len(body) > _SLICE
                                         else body, "more_body": more or not last})

        try:
            await self.app(scope, counted_receive, bounded_send)
        except _SlowReader:
            log.warning("dropped a client that read nothing for %g s", self.write_timeout_s)
        finally:
            self.requests -= 1
            self.bytes -= held

    async def _write(self, send, message):
        try:
            async with asyncio.timeout(self.write_timeout_s):
                await send(message)
        except TimeoutError:
            raise _SlowReader from None


async def _reply(send, status, msg, headers=None):
    body = error_body([http_item(status, msg)])
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})
