"""Helpers shared by the API tests (imported by the test modules as `apikit`)."""

import concurrent.futures
import re
import time

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

TUTORIAL = {"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}}

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def warm(client, timeout=30.0):
    """Block until every worker answers a job (its imports are done).

    A gradient check always runs in the worker pool (small graph requests may be answered
    in the server process). The pool hands out the most recently used worker first, so the
    workers are warmed with concurrent requests, one per worker.
    """
    n = client.app.state.settings.workers
    deadline = time.monotonic() + timeout
    pause = 0.3
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        while True:
            rs = list(pool.map(lambda _: client.post("/api/gradcheck", json=TUTORIAL),
                                range(n)))
            if all(r.status_code == 200 for r in rs):
                return client
            if time.monotonic() > deadline:
                raise AssertionError("the app never became ready: "
                                     + "; ".join(f"{r.status_code} {r.text[:200]}" for r in rs))
            time.sleep(pause)
            pause = min(pause * 2, 3.0)


def start_client(**overrides):
    """A started TestClient (lifespan running) over create_app(Settings(**overrides)).

    Server exceptions are not re-raised: a bug shows as the 500 response a user would get."""
    client = TestClient(create_app(Settings(**overrides)), raise_server_exceptions=False)
    client.__enter__()
    return client


def graph(client, expression, values=None, **extra):
    return client.post("/api/graph", json={"expression": expression, "values": values or {},
                                           **extra})


def assert_error(response, status, type_, loc=None, start=None, end=None):
    """Exact status and error type in FastAPI's error shape; returns detail[0]."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"detail"}, body
    assert isinstance(body["detail"], list) and body["detail"], body
    for item in body["detail"]:
        assert {"type", "loc", "msg", "ctx"} <= set(item), item
        assert isinstance(item["ctx"], dict), item
        assert isinstance(item["msg"], str) and item["msg"], item
        assert isinstance(item["loc"], list), item
    item = body["detail"][0]
    assert item["type"] == type_, body
    if loc is not None:
        assert item["loc"] == loc, body
    if start is not None:
        assert item["ctx"]["start"] == start, body
    if end is not None:
        assert item["ctx"]["end"] == end, body
    return item


def assert_security_headers(response):
    h = response.headers
    assert h.get("x-content-type-options") == "nosniff", dict(h)
    assert h.get("referrer-policy"), dict(h)
    assert h.get("x-frame-options", "").upper() in ("DENY", "SAMEORIGIN"), dict(h)
    csp = h.get("content-security-policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    script = directives.get("script-src") or directives.get("default-src")
    assert script is not None, csp
    assert "'self'" in script, csp
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, csp
    assert "*" not in script.split(), csp
