"""Training speed: a 1,000-step SGD run of the sigmoid neuron on 256 examples must answer in
under a second, end to end over HTTP (POST /api/train), reported with the time per step.
The engine alone (app.engine.train, in this process) is printed beside it."""

from __future__ import annotations

import statistics

import numpy as np

from .common import Outcome, VerificationError, fmt_ms, timed, verdict
from .http_server import Server, client

NAME = "train"
DESCRIPTION = "1,000 SGD steps of the sigmoid neuron on 256 examples, over HTTP"
STEPS = 1000
TARGET_S = 1.0
EXPRESSION = "p = sigmoid(W @ X + b)\n-mean(Y * log(p) + (1 - Y) * log(1 - p))"


def problem():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((2, 256))
    Y = (X[0] - 0.5 * X[1] > 0).astype(float)[None, :]
    return {"expression": EXPRESSION,
            "values": {"W": [[0.0, 0.0]], "b": 0.0, "X": X.tolist(), "Y": Y.tolist()},
            "params": ["W", "b"], "optimizer": {"name": "sgd", "lr": 0.5}, "steps": STEPS}


def run(runs: int, log=print) -> list[Outcome]:
    from app.engine import train

    body = problem()
    engine_times = []
    for _ in range(max(3, runs // 2)):
        seconds, local = timed(train, body["expression"], body["values"], body["params"],
                               body["optimizer"], STEPS)
        engine_times.append(seconds)
    with Server("app.main:app") as server, client() as http:
        url = server.url("/api/train")
        http.post(url, json={**body, "steps": 5})  # warm-up: worker imports, first graph
        times = []
        for _ in range(runs):
            seconds, response = timed(lambda: http.post(url, json=body))
            response.raise_for_status()
            times.append(seconds)
    answer = response.json()
    if len(answer["history"]) != STEPS or answer["stopped"] is not None:
        raise VerificationError(f"the run did not finish: stopped={answer['stopped']}")
    if abs(answer["history"][-1]["loss"] - local["history"][-1]["loss"]) > 1e-12:
        raise VerificationError("the API's final loss differs from the engine's")
    median = statistics.median(times)
    engine = statistics.median(engine_times)
    ok = median < TARGET_S
    line = (f"train {STEPS} SGD steps, sigmoid neuron, 256 examples: over HTTP "
            f"{fmt_ms(median * 1e3)} ({median / STEPS * 1e6:.0f} µs/step) | engine alone "
            f"{fmt_ms(engine * 1e3)} ({engine / STEPS * 1e6:.0f} µs/step) | loss "
            f"{answer['history'][0]['loss']:.4f} → {answer['history'][-1]['loss']:.4f} | "
            f"target < {TARGET_S:g} s {verdict(ok)}")
    log(line)
    return [Outcome("train 1000 steps over HTTP", line, ok,
                    {"http_s": median, "engine_s": engine})]
