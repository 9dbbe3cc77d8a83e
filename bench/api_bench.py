"""The API over HTTP (the speed issue): POST /api/graph on the 10,000-op staged scalar
program with forks (bench/programs.py), timed end to end over HTTP on loopback, against
micrograd's build + forward + backward of the same program in the same run.

api       = one POST /api/graph to `uvicorn app.main:app` started here (127.0.0.1, a free
            port, the app's defaults), through a keep-alive httpx client, the request body
            serialised beforehand, timed until the whole response body has arrived: request
            validation, the hop to a worker process, parse + graph + forward + backward +
            trace, JSON encoding, and the transfer. Decoding the response on the client is
            not timed (it is only done to check it).
micrograd = build + forward + backward with `micrograd.engine.Value` (bench/programs.py's
            builder, as in bench/engine_bench.py).
in-process (information only) = what the worker does for the request, in this process:
            `evaluate` + the API's JSON encoding; api − that ≈ the cost of HTTP and the worker hop.
Target: api / micrograd <= 0.5.

Every response is checked (value and every x gradient, rel 1e-9, against micrograd and the
hand-written tape of bench/engine_bench.py) before its time counts. Runs are interleaved
round by round after a warm-up round, garbage collected between runs (untimed); medians.
Each request carries its own program text (a trailing comment differs), so no cache keyed
on the expression could skip any work.
"""

from __future__ import annotations

import types

import orjson

from bench import programs
from bench.common import Outcome, VerificationError, fmt_ms, median_ms, spread, timed, verdict
from bench.engine_bench import REL, Tape, _scalar_check, _scalar_graph_info, tape_run
from bench.http_server import Server, app_overrides, client

TARGET = 0.5


def _as_result(content: bytes):
    """The response JSON in the shape `_scalar_check` reads (value, gradients, nodes...)."""
    d = orjson.loads(content)
    return types.SimpleNamespace(value=d["value"], gradients=d["gradients"], nodes=d["nodes"],
                                 edges=d["edges"], steps=d["steps"], warnings=d["warnings"])


def run(runs: int = 9, log=print) -> list[Outcome]:
    from app.api.encoding import dumps_graph
    from app.engine import evaluate
    from app.settings import get_settings

    runs = max(7, runs)
    prog = programs.scalar_program_ir()
    values = dict(prog.values)
    build = programs.micrograd_builder(prog)
    tape = Tape(prog)
    tape_result = tape_run(tape)
    max_tensor = get_settings().max_tensor_elements

    # one body per request (warm-up + runs), all serialised before anything is timed
    texts = [f"{prog.text}# run {i}\n" for i in range(runs + 1)]
    body_list = [orjson.dumps({"expression": t, "values": values}) for t in texts]
    bodies = iter(body_list)
    inproc_texts = iter(texts)
    headers = {"content-type": "application/json"}

    def micrograd():
        out, xs = build(values)
        out.backward()
        return out, xs

    def in_process():
        text = next(inproc_texts)
        return dumps_graph(text, evaluate(text, values), max_tensor)

    with Server("app.main:app") as srv, client() as http:
        url = srv.url("/api/graph")
        log(f"  server: uvicorn app.main:app on {url} (pid {srv.proc.pid}; "
            f"BPV_* overrides: {app_overrides() or 'none, the defaults'})")

        def api():
            r = http.post(url, content=next(bodies), headers=headers)
            r.content  # noqa: B018 (the body has been read in full by now)
            return r

        def check(r, mg):
            if r.status_code != 200:
                raise VerificationError(f"POST /api/graph answered {r.status_code}: "
                                        f"{r.text[:500]}")
            res = _as_result(r.content)
            _scalar_check(prog, tape, res, mg, tape_result)
            return res

        systems = {"api": api, "micrograd": micrograd, "in_process": in_process}

        # warm-up round (also the first worker's first request), checking everybody
        warm = {k: timed(f) for k, f in systems.items()}
        mg = warm["micrograd"][1]
        res = check(warm["api"][1], mg)
        info = _scalar_graph_info(prog, res)
        size = len(warm["api"][1].content)
        if len(warm["in_process"][1]) != size:
            log(f"  NOTE: in-process JSON is {len(warm['in_process'][1]):,} bytes, "
                f"the response {size:,}")
        del warm, res

        samples = {k: [] for k in systems}
        names = list(systems)
        for i in range(runs):
            for k in names[i % len(names):] + names[: i % len(names)]:  # rotate the order
                dt, r = timed(systems[k])
                samples[k].append(dt)
                if k == "api":
                    check(r, mg)  # untimed: a wrong answer's time would be worthless
                del r
        problems = _server_errors(srv.log_text())
        if not srv.alive():
            raise RuntimeError("the server died during the benchmark:\n" + srv.log_text()[-2000:])

    med = {k: median_ms(v) for k, v in samples.items()}
    ratio = med["api"] / med["micrograd"]
    paired = sorted(a / m for a, m in zip(samples["api"], samples["micrograd"]))[runs // 2]
    ok = ratio <= TARGET
    line = (f"api {prog.n_ops // 1000}k-op over HTTP: {fmt_ms(med['api'])} | micrograd "
            f"{fmt_ms(med['micrograd'])} | ratio {ratio:.3f} (target ≤ {TARGET}) {verdict(ok)}")
    log(line)
    log(f"  request {len(body_list[0]):,} bytes; response "
        f"{size / 1e6:.2f} MB ({size:,} bytes); {info}")
    log(f"  medians of {runs} interleaved runs after a warm-up; every response's value and "
        f"x-gradients agree with micrograd and the tape (rel {REL:g}); paired median "
        f"api/micrograd {paired:.3f}")
    log(f"  in-process evaluate + JSON encoding (what the worker does): "
        f"{fmt_ms(med['in_process'])}, so HTTP + validation + the worker hop ≈ "
        f"{fmt_ms(med['api'] - med['in_process'])}; in-process/micrograd "
        f"{med['in_process'] / med['micrograd']:.3f}")
    for k in names:
        log(f"  {k:17s} {spread(samples[k])}")
    for p in problems:
        log(f"  SERVER LOG: {p}")
    return [Outcome("api 10k-op over HTTP/micrograd", line, ok,
                    {"ms": med, "ratio": ratio, "response_bytes": size})]


def _server_errors(log_text: str) -> list[str]:
    from bench.http_server import access_status_counts, server_problems

    out = server_problems(log_text)
    bad = {s: n for s, n in access_status_counts(log_text).items() if s != 200}
    if bad:
        out.append(f"non-200 responses in the access log: {bad}")
    return out


NAME = "api"
DESCRIPTION = "POST /api/graph over HTTP on the 10k-op scalar program vs micrograd"
