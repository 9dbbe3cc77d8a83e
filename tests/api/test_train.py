"""POST /api/train (JSON and streamed NDJSON) and POST /api/landscape."""

import json
import math

import numpy as np
import pytest

from apikit import assert_error, assert_security_headers

X = [[-1.0, -0.5, 0.0, 0.5, 1.0]]
Y = [[-1.0, 0.0, 1.0, 2.0, 3.0]]  # y = 2x + 1 exactly
REGRESSION = {"expression": "mse(w * X + b, Y)", "values": {"w": 0, "b": 0, "X": X, "Y": Y},
              "params": ["w", "b"], "optimizer": {"name": "sgd", "lr": 0.5}, "steps": 60}


def test_training_a_line_recovers_its_slope_and_intercept(client):
    r = client.post("/api/train", json=REGRESSION)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [h["step"] for h in body["history"]] == list(range(1, 61))
    assert body["history"][0]["loss"] == pytest.approx(np.mean(np.square(Y)))
    assert body["history"][-1]["loss"] < 1e-12
    assert body["params"]["w"] == pytest.approx(2.0) and body["params"]["b"] == pytest.approx(1.0)
    assert body["stopped"] is None
    assert_security_headers(r)


def test_the_history_streams_as_ndjson_ending_with_the_params(client):
    r = client.post("/api/train", json={**REGRESSION, "steps": 2000},
                    headers={"Accept": "application/x-ndjson"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [line["step"] for line in lines[:-1]] == list(range(1, 2001))
    assert lines[-1]["done"] is True and lines[-1]["params"]["w"] == pytest.approx(2.0)


def test_a_diverging_run_stops_and_says_so_with_strict_json(client):
    values = {**REGRESSION["values"], "X": [[1000 * x for x in X[0]]]}
    r = client.post("/api/train", json={**REGRESSION, "values": values, "steps": 500})
    assert r.status_code == 200
    body = r.json()
    assert body["stopped"] == "diverged"
    assert body["history"][-1]["loss"] in ("NaN", "Infinity")
    assert len(body["history"]) < 500


def test_detail_shows_each_update_and_track_each_point(client):
    r = client.post("/api/train", json={**REGRESSION, "steps": 2, "detail": True, "track": True,
                                        "optimizer": {"name": "adam", "lr": 0.1}})
    assert r.status_code == 200, r.text
    first = r.json()["history"][0]
    update = first["update"]["w"]
    assert set(update) == {"param", "grad", "m", "v", "m_hat", "v_hat", "new"}
    assert update["new"] == pytest.approx(update["param"] - 0.1 * math.copysign(1, update["grad"]))
    assert first["params"] == {"w": 0.0, "b": 0.0}


@pytest.mark.parametrize("change, type_, loc", [
    ({"params": ["nope"]}, "invalid_value", ["body", "params", "nope"]),
    ({"params": []}, "too_short", ["body", "params"]),
    ({"optimizer": {"name": "rmsprop", "lr": 0.1}}, "literal_error", ["body", "optimizer", "name"]),
    ({"optimizer": {"name": "sgd", "lr": -1}}, "greater_than", ["body", "optimizer", "lr"]),
    ({"optimizer": {"name": "momentum", "lr": 0.1, "momentum": 1.5}}, "less_than",
     ["body", "optimizer", "momentum"]),
    ({"l2": -0.1}, "greater_than_equal", ["body", "l2"]),
    ({"steps": 0}, "greater_than_equal", ["body", "steps"]),
    ({"steps": 10**6}, "limit_exceeded", ["body", "steps"]),
    ({"steps": 101, "detail": True}, "limit_exceeded", ["body", "steps"]),
    ({"batch": {"size": 6, "data": ["X", "Y"]}}, "invalid_value", ["body", "batch", "size"]),
    ({"batch": {"size": 2, "data": ["w"]}}, "invalid_value", ["body", "batch", "data", "w"]),
    ({"expression": "w * X + b"}, "invalid_value", ["body", "expression"]),
])
def test_bad_training_requests_are_422_with_their_location(client, change, type_, loc):
    assert_error(client.post("/api/train", json={**REGRESSION, **change}), 422, type_, loc=loc)


def test_the_landscape_is_the_loss_over_a_grid(client):
    r = client.post("/api/landscape", json={
        "expression": "mse(w * X + b, Y)", "values": {"w": 0, "b": 0, "X": X, "Y": Y},
        "params": ["w", "b"], "ranges": {"w": [0, 4], "b": [0, 2]}, "resolution": 5})
    assert r.status_code == 200, r.text
    grid = r.json()
    assert grid["x"] == [0, 1, 2, 3, 4] and grid["y"] == [0, 0.5, 1, 1.5, 2]
    assert grid["loss"][2][2] == 0.0  # w = 2, b = 1 fits exactly
    assert grid["loss"][0][0] == pytest.approx(np.mean(np.square(Y)))


def test_a_landscape_needs_two_scalar_params(client):
    body = {"expression": "mse(W @ X, Y)", "values": {"W": [[1.0]], "X": X, "Y": Y},
            "params": ["W", "X"], "ranges": {"W": [0, 1], "X": [0, 1]}}
    assert_error(client.post("/api/landscape", json=body), 422, "invalid_value")


# ---------------------------------------------------------------- one clock per request

def _long_run_with_a_large_body():
    """10,000 steps of a 64-unit layer on 1,024 samples (far more than 2 s of work) in a
    ~30 MB body: 3,000,000 numbers the expression does not use ride along."""
    rng = np.random.default_rng(0)
    values = {"W": (rng.standard_normal((64, 64)) * 0.1).round(3).tolist(),
              "b": [[0.0]] * 64,
              "X": rng.standard_normal((64, 1024)).round(3).tolist(),
              "Y": rng.random((64, 1024)).round(3).tolist(),
              **{f"unused{k}": [0.123456] * 1_000_000 for k in range(3)}}
    return {"expression": "mse(sigmoid(W @ X + b), Y)", "values": values,
            "params": ["W", "b"], "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 10_000}


@pytest.fixture(scope="module")
def long_run_body():
    body = json.dumps(_long_run_with_a_large_body()).encode()
    assert len(body) > 25_000_000
    return body


@pytest.mark.parametrize("streamed", [False, True])
def test_training_stops_itself_on_the_clock_that_started_with_the_body(
        client, long_run_body, streamed):
    """Reading and validating a large body uses up part of the time bound; training then
    stops itself before the deadline ("time_limit") instead of being killed (a 422)."""
    import time

    headers = {"Content-Type": "application/json"}
    if streamed:
        headers["Accept"] = "application/x-ndjson"
    t = time.monotonic()
    r = client.post("/api/train", content=long_run_body, headers=headers)
    elapsed = time.monotonic() - t
    assert r.status_code == 200, r.text[:300]
    final = json.loads(r.text.splitlines()[-1]) if streamed else r.json()
    assert final["stopped"] == "time_limit", str(final)[:300]
    assert elapsed < client.app.state.settings.timeout_s + 1.0, elapsed
