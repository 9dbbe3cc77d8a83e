"""What one client can make the server hold is bounded: answer size, requests and bytes in
flight, the in-process path's share of the event loop, /api/parse's body, and the cost of a
gradient check. Each bound answers with a clear error, never a 500 or a stall."""

import concurrent.futures
import time

import pytest

from apikit import TUTORIAL, assert_error, graph, start_client, warm
from app.api import jobs
from app.settings import Settings
from test_hostile import slow_request


@pytest.fixture(scope="module")
def tight_client():
    """One API request at a time, 1 MiB of bodies in flight, 1 MiB answers."""
    c = start_client(max_requests=1, max_inflight_mb=1, max_response_bytes=1024 * 1024)
    try:
        yield c  # its workers are warm once it has started
    finally:
        c.__exit__(None, None, None)


def _sum_of(n, size):
    """`X + X + … + X` (n terms) with X a size×size matrix: a short request whose answer
    holds n + 1 tensors of size² numbers, and their gradients."""
    return {"expression": " + ".join(["X"] * n),
            "values": {"X": [[0.5] * size for _ in range(size)]}}


def test_an_answer_larger_than_the_budget_is_refused_and_says_how_large(tight_client):
    r = tight_client.post("/api/graph", json=_sum_of(40, 32))
    item = assert_error(r, 422, "limit_exceeded", loc=["body"])
    assert item["ctx"]["size"] > item["ctx"]["limit"] == 1024 * 1024
    assert "MiB" in item["msg"] and "smaller tensors" in item["msg"]
    r = tight_client.post("/api/graph", json=_sum_of(2, 8))  # a small one still passes
    assert r.status_code == 200, r.text[:300]


def test_the_default_budget_holds_a_10000_operation_answer():
    """Run as a worker would, but without its clock (this is about size, not time)."""
    import orjson

    program = " + ".join(f"x{i % 50} * y{i % 30}" for i in range(5000))
    values = {**{f"x{i}": 0.5 for i in range(50)}, **{f"y{i}": 1.5 for i in range(30)}}
    body = orjson.dumps({"expression": program, "values": values})
    status, content = jobs.handle("graph", body, Settings(), deadline=float("inf"))
    assert status == 200, content[:300]
    assert 5_000_000 < len(content) < Settings().max_response_bytes


def _busy_workers(client):
    w = client.get("/healthz?workers=true").json()["workers"]
    return w["size"] - w["idle"]


def _while_a_slow_request_runs(client, payload, then):
    """Start a slow request, wait until a worker is busy with it, run `then()`."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(client.post, "/api/graph", json=payload)
        deadline = time.monotonic() + 30
        while _busy_workers(client) == 0 and not slow.done():
            assert time.monotonic() < deadline, "the slow request never reached a worker"
            time.sleep(0.005)
        result = then()
        # it only had to hold its place; on a very busy machine it may run out of time
        assert slow.result().status_code in (200, 422), slow.result().text[:300]
    return result


def test_requests_past_the_concurrency_cap_get_503(tight_client):
    r = _while_a_slow_request_runs(tight_client, slow_request(),
                                   lambda: tight_client.post("/api/graph", json=TUTORIAL))
    assert_error(r, 503, "overloaded")
    assert r.headers["retry-after"] == "1"
    assert tight_client.get("/healthz").status_code == 200  # never capped


def test_bodies_past_the_in_flight_byte_budget_get_503():
    """1 MiB of bodies in flight: a 0.7 MB body alone passes, a second one meanwhile not."""
    c = start_client(max_inflight_mb=1)
    try:
        warm(c)
        padded = {**slow_request()}
        padded["values"] = {**padded["values"], "unused": [0.25] * 150_000}  # ~0.8 MB
        assert c.post("/api/graph", json=padded).status_code == 200
        r = _while_a_slow_request_runs(
            c, padded, lambda: c.post("/api/gradcheck", json={
                **TUTORIAL, "values": {**TUTORIAL["values"], "unused": [0.25] * 150_000}}))
        assert_error(r, 503, "overloaded")
    finally:
        c.__exit__(None, None, None)


def test_the_in_process_budget_fills_with_work_and_drains_with_time():
    budget = jobs.InProcessBudget(share=0.5, burst_s=0.02)
    assert budget.allows()
    budget.spent(0.05)
    assert not budget.allows()  # a burst of work: the next requests go to the pool
    deadline = time.monotonic() + 5
    while not budget.allows():  # drains at half a second per second: ~60 ms
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_a_broadcast_inside_a_loss_is_not_small():
    """mse of a 1×1050 row against a 1050×1 column builds a 1050×1050 temporary: the
    in-process path must leave it to the pool."""
    import orjson

    body = orjson.dumps({"expression": "mse(a, b)",
                         "values": {"a": [[0.5] * 1050], "b": [[0.25] for _ in range(1050)]}})
    assert jobs.handle_small("graph", body, Settings()) is None
    small = orjson.dumps({"expression": "mse(a, b)",
                          "values": {"a": [[0.5] * 10], "b": [[0.25] for _ in range(10)]}})
    status, _ = jobs.handle_small("graph", small, Settings())
    assert status == 200


def test_parse_has_a_small_body_cap_checked_before_decoding(client):
    limit = jobs.parse_body_limit(client.app.state.settings)
    padding = b"0," * (limit // 2)
    r = client.post("/api/parse", content=b'{"expression": "x", "pad": [' + padding + b"0]}",
                    headers={"Content-Type": "application/json"})
    assert_error(r, 413, "body_too_large")
    assert limit < client.app.state.settings.max_body_bytes / 10


def test_a_long_expression_is_parsed_in_a_worker_with_the_same_answer(client):
    expression = " + ".join(f"x{i % 500}" for i in range(20_000))  # ~130,000 characters
    r = client.post("/api/parse", json={"expression": expression})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["variables"] == [f"x{i}" for i in range(500)]


def test_parse_errors_keep_their_location(client):
    r = client.post("/api/parse", json={"expression": "(x+y))*z"})
    assert_error(r, 422, "syntax_error", loc=["body", "expression"], start=5, end=6)


@pytest.mark.parametrize("name", ["e", "pi"])
def test_a_value_for_a_constant_is_a_reserved_name_error(client, name):
    r = graph(client, f"{name} * 2", {name: 1})
    assert_error(r, 422, "reserved_name", loc=["body", "values", name])


def test_a_gradient_check_past_the_work_budget_is_refused_up_front(client):
    program = " + ".join(f"x{i} * x{i + 1}" for i in range(999))
    values = {f"x{i}": 0.5 for i in range(1000)}
    t = time.monotonic()
    r = client.post("/api/gradcheck", json={"expression": program, "values": values})
    item = assert_error(r, 422, "limit_exceeded")
    assert "gradient check" in item["msg"]
    assert time.monotonic() - t < client.app.state.settings.timeout_s
