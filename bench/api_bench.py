"""The API over HTTP against the same work in process (the speed issue, "faster than the tools
it replaces"). One `uvicorn app.main:app` started here (127.0.0.1, a free port, the app's
defaults), one keep-alive httpx client; every ratio is measured in this run, interleaved
round by round after a warm-up, medians; every answer is checked before its time counts.

1. scalar: POST /api/graph with the 10,000-op staged scalar program with forks
   (bench/programs.py), against the in-process job.
     api        = one POST, the body serialised beforehand, timed until the whole response
                  body has arrived (decoding it on the client is not timed: it is only done
                  to check it).
     in-process = what the worker computes for that request, in this process: `evaluate`
                  (parse + graph + forward + backward, the node/edge records and the trace)
                  and the JSON encoding of the answer (`jobs.graph_json`, the bytes the API
                  sends). So api / in-process is what HTTP, decoding and validating the
                  body, and the hop to a worker process add to the work itself.
     micrograd  = build + forward + backward of the same program (information only).
   Target: api / in-process <= 1.25. Each request carries its own program text (a trailing
   comment differs), so no cache keyed on the expression could skip any work.
2. tensor: POST /api/graph with `mse(sigmoid(W @ X + b), Y)` at 512x512, batch 512 (the
   values of bench/engine_bench.py, 15.7 MB of JSON), against the engine in process:
   `evaluate` on the same values as numpy arrays. Target: api / engine <= 2. Also shown,
   in the same rounds: decoding and validating the body alone (`jobs._validate`, what the
   worker does before it computes), and the whole job in process (`jobs.handle` on the
   body: decode + validate + evaluate + encode). The answer's value and its gradients'
   summaries (shape, min, max, mean) are checked against numpy (rel 1e-9). And the floor
   of any JSON body, in the same rounds: the same body POSTed to a bare app that only
   receives it (bench/bare_app.py, POST /api/body), and `orjson.loads` of it alone, in
   process (the app's decoder: one Python float per number), as ratios to the engine.
3. tutorial: the tutorial's `(x+y)*z` and its sigmoid neuron over POST /api/graph, against
   GET /healthz, the cheapest route, on the same connection: p50 of each, interleaved
   request by request. Target: p50 / healthz p50 <= 1.5 for each.
"""

from __future__ import annotations

import gc
import time
import types

import numpy as np
import orjson

from bench import programs
from bench.common import (Outcome, VerificationError, close, fmt_ms, median_ms, spread, timed,
                          verdict)
from bench.engine_bench import (REL, TENSOR_EXPR, Tape, _scalar_check, _scalar_graph_info,
                                numpy_reference, tape_run, tensor_values)
from bench.http_server import Server, app_overrides, client
from bench.load_bench import check_answers, tutorial_requests

SCALAR_TARGET = 1.25
TENSOR_TARGET = 2.0
TUTORIAL_TARGET = 1.5
TUTORIAL = ("(x+y)*z", "sigmoid neuron")  # labels in bench/load_bench.py's tutorial_requests
HEADERS = {"content-type": "application/json"}


def run(runs: int = 9, log=print) -> list[Outcome]:
    runs = max(7, runs)
    with Server("app.main:app") as srv, client() as http:
        log(f"  server: uvicorn app.main:app on {srv.url('/')} (pid {srv.proc.pid}; "
            f"BPV_* overrides: {app_overrides() or 'none, the defaults'})")
        outcomes = (bench_scalar(srv, http, runs, log) + bench_tensor(srv, http, runs, log)
                    + bench_tutorial(srv, http, runs, log))
        problems = _server_errors(srv.log_text())
        if not srv.alive():
            raise RuntimeError("the server died during the benchmark:\n" + srv.log_text()[-2000:])
    for p in problems:
        log(f"  SERVER LOG: {p}")
    return outcomes


def _interleave(systems, runs, before=None):
    """{name: [seconds]}: one warm-up round, then `runs` rounds, the order rotating each
    round. `before(name, i)` prepares a run's argument untimed (None: no argument)."""
    names = list(systems)
    samples = {k: [] for k in names}
    for i in range(runs + 1):
        for k in names[i % len(names):] + names[: i % len(names)]:
            arg = before(k, i) if before else None
            dt, _ = timed(systems[k], arg) if arg is not None else timed(systems[k])
            if i:
                samples[k].append(dt)
    return samples


def _post(http, url, body, check):
    r = http.post(url, content=body, headers=HEADERS)
    r.content  # noqa: B018 (the body has been read in full by now)
    if r.status_code != 200:
        raise VerificationError(f"POST {url} answered {r.status_code}: {r.text[:500]}")
    return check(r.content)


# --- 1. scalar ------------------------------------------------------------------------------

def _as_result(content: bytes):
    """The response JSON in the shape `_scalar_check` reads (value, gradients, nodes...)."""
    d = orjson.loads(content)
    return types.SimpleNamespace(value=d["value"], gradients=d["gradients"], nodes=d["nodes"],
                                 edges=d["edges"], steps=d["steps"], warnings=d["warnings"])


def bench_scalar(srv, http, runs, log) -> list[Outcome]:
    from app.api.jobs import graph_json
    from app.engine import evaluate
    from app.settings import get_settings

    prog = programs.scalar_program_ir()
    values = dict(prog.values)
    build = programs.micrograd_builder(prog)
    tape = Tape(prog)
    tape_result = tape_run(tape)
    max_tensor = get_settings().max_tensor_elements
    url = srv.url("/api/graph")
    texts = [f"{prog.text}# run {i}\n" for i in range(runs + 1)]
    bodies = [orjson.dumps({"expression": t, "values": values}) for t in texts]
    out, xs = build(values)
    out.backward()
    mg = (out, xs)
    answers = {}

    def check(content):
        _scalar_check(prog, tape, _as_result(content), mg, tape_result)

    # checked once, untimed, before anything is timed (and the sizes compared)
    res = _as_result(http.post(url, content=bodies[0], headers=HEADERS).content)
    _scalar_check(prog, tape, res, mg, tape_result)
    info = _scalar_graph_info(prog, res)
    del res
    inproc = graph_json(texts[0], evaluate(texts[0], values), max_tensor)

    def api(i):
        r = http.post(url, content=bodies[i], headers=HEADERS)
        r.content  # noqa: B018
        answers[i] = r
        return r

    def in_process(i):
        return graph_json(texts[i], evaluate(texts[i], values), max_tensor)

    def micrograd(i):
        o, _ = build(values)
        o.backward()
        return o

    samples = _interleave({"api": api, "in-process": in_process, "micrograd": micrograd},
                          runs, before=lambda k, i: i)
    for r in answers.values():  # untimed: a wrong answer's time would be worthless
        if r.status_code != 200:
            raise VerificationError(f"POST /api/graph answered {r.status_code}: {r.text[:500]}")
        check(r.content)
    size = len(answers[0].content)
    answers.clear()

    med = {k: median_ms(v) for k, v in samples.items()}
    ratio = med["api"] / med["in-process"]
    ok = ratio <= SCALAR_TARGET
    line = (f"scalar {prog.n_ops // 1000}k-op POST /api/graph: api {fmt_ms(med['api'])} | "
            f"in-process job {fmt_ms(med['in-process'])} | api/in-process {ratio:.3f} "
            f"(target ≤ {SCALAR_TARGET}) {verdict(ok)}")
    log(line)
    log(f"  request {len(bodies[0]):,} bytes; response {size / 1e6:.2f} MB ({size:,} bytes; "
        f"in process {len(inproc):,}); {info}")
    log(f"  in-process job = evaluate (parse, graph, forward, backward, records, trace) + the "
        f"answer's JSON encoding; api − that = HTTP + decoding/validating the body + the "
        f"worker hop ≈ {fmt_ms(med['api'] - med['in-process'])}")
    log(f"  micrograd build + forward + backward {fmt_ms(med['micrograd'])} (information): "
        f"api/micrograd {med['api'] / med['micrograd']:.2f}, in-process/micrograd "
        f"{med['in-process'] / med['micrograd']:.2f}")
    log(f"  medians of {runs} interleaved runs after a warm-up; every answer agrees with "
        f"micrograd and the tape (rel {REL:g})")
    for k, v in samples.items():
        log(f"  {k:17s} {spread(v)}")
    return [Outcome("api scalar 10k-op / in-process job", line, ok,
                    {"ms": med, "ratio": ratio, "response_bytes": size})]


# --- 2. tensor ------------------------------------------------------------------------------

def _tensor_body(values, i):
    text = f"{TENSOR_EXPR}  # run {i}"
    return orjson.dumps({"expression": text, "values": values},
                        option=orjson.OPT_SERIALIZE_NUMPY)


def _check_tensor_answer(content, ref):
    """The answer's value, and each gradient against numpy's: whole when it is sent whole,
    else its summary (512×512 tensors are sent as shape, min, max, mean)."""
    L, grads = ref
    d = orjson.loads(content)
    problems = [] if close(d["value"], L, REL) else [f"value {d['value']!r} vs {L!r}"]
    for name, g in grads.items():
        s = d["gradients"].get(name)
        scale = float(np.abs(g).max())
        if isinstance(s, list):  # small enough to be sent whole (b: 512 numbers)
            a = np.asarray(s, dtype=float)
            if a.shape != g.shape or not np.allclose(a, g, rtol=REL, atol=REL * scale):
                problems.append(f"d/d{name}: differs from numpy")
            continue
        if not isinstance(s, dict) or s.get("shape") != list(g.shape):
            problems.append(f"d/d{name}: {str(s)[:80]} (numpy: shape {g.shape})")
            continue
        for stat, want in (("min", g.min()), ("max", g.max()), ("mean", g.mean())):
            if not close(s[stat], want, REL, scale=scale):
                problems.append(f"d/d{name} {stat}: {s[stat]!r} vs {float(want)!r}")
    if problems:
        raise VerificationError("tensor over HTTP: " + " | ".join(problems))


def bench_tensor(srv, http, runs, log) -> list[Outcome]:
    from app.api import jobs
    from app.engine import evaluate
    from app.settings import get_settings

    settings = get_settings()
    values = tensor_values()
    ref = numpy_reference(values["W"], values["X"], values["b"], values["Y"])
    url = srv.url("/api/graph")
    size = len(_tensor_body(values, 0))

    def api(body):
        return _post(http, url, body, lambda content: content)

    def engine():
        r = evaluate(TENSOR_EXPR, values)
        r.gradients  # noqa: B018
        return r

    def decode(body):
        request = jobs._validate("graph", body, settings)
        if isinstance(request, tuple):
            raise VerificationError(f"the body did not validate: {request[1][:300]!r}")
        return request

    def whole_job(body):
        status, content = jobs.handle("graph", body, settings, time.monotonic() + 60)
        if status != 200:
            raise VerificationError(f"jobs.handle answered {status}: {content[:300]!r}")
        return content

    with Server("bench.bare_app:app", ready_path="/api/graph", ready_any=True) as bare, \
            client() as bare_http:
        body_url = bare.url("/api/body")

        def receive(body):
            return _post(bare_http, body_url, body, lambda content: orjson.loads(content)["bytes"])

        _check_tensor_answer(api(_tensor_body(values, 0)), ref)
        _check_tensor_answer(whole_job(_tensor_body(values, 0)), ref)
        if receive(_tensor_body(values, 0)) != size:
            raise VerificationError("the bare app did not receive the whole tensor body")
        answers = []
        systems = {"api": lambda body: answers.append(api(body)), "engine": engine,
                   "decode+validate": decode, "whole job": whole_job,
                   "receive only": receive, "orjson.loads": orjson.loads}
        samples = _interleave(systems, runs, before=lambda k, i: None if k == "engine"
                              else _tensor_body(values, i))
    for content in answers:
        _check_tensor_answer(content, ref)
    answers.clear()
    gc.collect()

    med = {k: median_ms(v) for k, v in samples.items()}
    ratio = med["api"] / med["engine"]
    ok = ratio <= TENSOR_TARGET
    line = (f"tensor 512x512 ({TENSOR_EXPR}) POST /api/graph: api {fmt_ms(med['api'])} | "
            f"engine in process {fmt_ms(med['engine'])} | api/engine {ratio:.2f} "
            f"(target ≤ {TENSOR_TARGET}) {verdict(ok)}")
    log(line)
    log(f"  request {size / 1e6:.1f} MB; decoding + validating it alone "
        f"{fmt_ms(med['decode+validate'])} ({med['decode+validate'] / med['engine']:.2f}× the "
        f"engine); the whole job in process (decode + validate + evaluate + encode) "
        f"{fmt_ms(med['whole job'])}; api − whole job (HTTP + the worker hop) ≈ "
        f"{fmt_ms(med['api'] - med['whole job'])}")
    e = med["engine"]
    floor = (med["receive only"] + med["orjson.loads"] + e) / e
    log(f"  the floor of a JSON body: receiving it alone (a bare app that only reads it) "
        f"{fmt_ms(med['receive only'])} = {med['receive only'] / e:.2f}× the engine; "
        f"orjson.loads alone {fmt_ms(med['orjson.loads'])} = {med['orjson.loads'] / e:.2f}×; "
        f"so api/engine ≥ {floor:.2f} with orjson before anything is validated, computed or "
        f"answered")
    log(f"  medians of {runs} interleaved runs after a warm-up; every answer's value and "
        f"gradient summaries agree with numpy (rel {REL:g})")
    for k, v in samples.items():
        log(f"  {k:17s} {spread(v)}")
    return [Outcome("api tensor 512x512 / engine in process", line, ok,
                    {"ms": med, "ratio": ratio, "request_bytes": size,
                     "json_floor_ratio": floor})]


# --- 3. tutorial-sized requests -------------------------------------------------------------

def bench_tutorial(srv, http, runs, log) -> list[Outcome]:
    rounds = max(300, 40 * runs)
    url = srv.url("/api/graph")
    health = srv.url("/healthz")
    requests = [r for r in tutorial_requests() if r[0] in TUTORIAL]
    check_answers(url, requests)  # value and gradients of each, once
    answers = {label: answer for label, _, answer in requests}
    bodies = {label: orjson.dumps(body) for label, body, _ in requests}

    def good(k, r):
        if r.status_code != 200:
            return False
        if k == "GET /healthz":
            return r.content == b'{"status":"ok"}'
        return close(orjson.loads(r.content)["value"], answers[k][0], REL)

    systems = {"GET /healthz": lambda: http.get(health),
               **{label: (lambda label=label: http.post(url, content=bodies[label],
                                                        headers=HEADERS)) for label in bodies}}
    names = list(systems)
    samples = {k: [] for k in names}
    failed = {k: 0 for k in names}
    gc.collect()
    gc.disable()  # a collection would land on whichever request happens to trigger it
    try:
        for i in range(rounds + 10):  # the first 10 rounds warm up
            for k in names[i % len(names):] + names[: i % len(names)]:
                t0 = time.perf_counter()
                r = systems[k]()
                dt = time.perf_counter() - t0
                if i >= 10:
                    samples[k].append(dt)
                    failed[k] += not good(k, r)
    finally:
        gc.enable()
    if any(failed.values()):
        raise VerificationError(f"wrong or failed answers during the timed rounds: {failed}")

    med = {k: median_ms(v) for k, v in samples.items()}
    outcomes = []
    log(f"tutorial-sized requests vs GET /healthz (p50 of {rounds} interleaved requests each, "
        f"after 10 warm-up rounds; same connection; every answer checked): healthz "
        f"{med['GET /healthz']:.3g} ms")
    for label in bodies:
        ratio = med[label] / med["GET /healthz"]
        ok = ratio <= TUTORIAL_TARGET
        line = (f"tutorial {label}: p50 {med[label]:.3g} ms | GET /healthz p50 "
                f"{med['GET /healthz']:.3g} ms | ratio {ratio:.2f} (target ≤ {TUTORIAL_TARGET}) "
                f"{verdict(ok)}")
        log(line)
        outcomes.append(Outcome(f"api tutorial {label} / healthz p50", line, ok,
                                {"ms": med, "ratio": ratio}))
    for k, v in samples.items():
        p99 = sorted(v)[int(0.99 * len(v))] * 1e3
        log(f"  {k:17s} p99 {p99:.3g} ms; {spread(v)}")
    return outcomes


def _server_errors(log_text: str) -> list[str]:
    from bench.http_server import access_status_counts, server_problems

    out = server_problems(log_text)
    bad = {s: n for s, n in access_status_counts(log_text).items() if s != 200}
    if bad:
        out.append(f"non-200 responses in the access log: {bad}")
    return out


NAME = "api"
DESCRIPTION = ("the API over HTTP vs the same work in process: 10k-op scalar program, 512² "
               "tensors, tutorial-sized requests vs /healthz")
