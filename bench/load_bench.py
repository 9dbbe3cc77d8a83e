"""Load test (the speed issue): the tutorial's expressions from 32 concurrent clients for 30 s,
against a bare FastAPI endpoint returning a constant, loaded the same way in the same run.

Servers: `uvicorn app.main:app` (the app's defaults: one uvicorn process; the app runs
BPV_WORKERS engine processes) and `uvicorn bench.bare_app:app`, each started here on
127.0.0.1 at a free port, one at a time (never both at once), and stopped afterwards.
Load: wrk (`/usr/bin/wrk`, Debian's package `wrk`) with 2 threads, 32 connections,
`--latency`, and a Lua script (written to a temporary file at run time) that cycles POST
/api/graph bodies through the tutorial's expressions:
    (x+y)*z                            x=-2, y=5, z=-4
    x + y                              output_grad -4 (the add gate)
    sigmoid(w0*x0 + w1*x1 + w2)        w0=2, x0=-1, w1=-3, x1=-2, w2=-3 (and with expand=true)
    2 * (x*y + max(z, w))              x=3, y=-4, z=2, w=-1
    f = (x + σ(y)) / (σ(x) + (x+y)²)   CS231n's staged example, with named stages; x=3, y=-4
Each expression's answer is checked once (value and gradients) before the load starts. The
Lua script counts every non-200 status and keeps the first such response body.

Reported for both servers: requests/s, p50/p99 latency, non-2xx responses and socket errors
(connect, read, write, timeout). Targets: zero errors, p99 < 50 ms, and at least half the
bare endpoint's throughput.

Duration: 30 s per server (plus a short unmeasured warm-up); `--runs` does not change it.
BPV_LOAD_SECONDS=N shortens (or lengthens) it for a quick check. When wrk is missing and
this runs as root, `apt-get install -y wrk` is tried once (set BPV_LOAD_NO_INSTALL=1 not to);
if wrk still cannot be had (or BPV_LOAD_TOOL=python), a Python asyncio + httpx load
generator with the same concurrency and duration is used instead, and the output says so
(it is much slower than wrk, so it can be the bottleneck).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

import orjson

from bench.common import Outcome, VerificationError, close, verdict
from bench.http_server import (Server, access_status_counts, app_overrides, check_loopback,
                               client, server_problems)

CONNECTIONS = 32
THREADS = 2
DURATION_S = 30
WARMUP_S = 2
TIMEOUT_S = 5  # per request, wrk's --timeout (a slower answer counts as a timeout error)
P99_TARGET_MS = 50.0
RATIO_TARGET = 0.5
REL = 1e-9
WRK = "/usr/bin/wrk"

# --- the tutorial's requests, with their known answers ---------------------------------------


def _sigma(u):
    return 1.0 / (1.0 + math.exp(-u))


def _neuron_answer():
    s = _sigma(1.0)  # u = 2*(-1) + (-3)*(-2) - 3 = 1
    ds = s * (1.0 - s)
    return s, {"w0": -ds, "x0": 2 * ds, "w1": -2 * ds, "x1": -3 * ds, "w2": ds}


def _cs231n_answer(x, y):
    sx, sy = _sigma(x), _sigma(y)
    num, den = x + sy, sx + (x + y) ** 2
    dx = (den - num * (sx * (1 - sx) + 2 * (x + y))) / den**2
    dy = (sy * (1 - sy) * den - num * 2 * (x + y)) / den**2
    return num / den, {"x": dx, "y": dy}


NEURON = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
CS231N = ("sigy = sigmoid(y)\nnum = x + sigy\nsigx = sigmoid(x)\nxpy = x + y\n"
          "xpysqr = xpy**2\nden = sigx + xpysqr\ninvden = 1/den\nf = num*invden")


def tutorial_requests():
    """[(label, request JSON, (value, gradients))]."""
    return [
        ("(x+y)*z", {"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}},
         (-12.0, {"x": -4.0, "y": -4.0, "z": 3.0})),
        ("x + y, output_grad -4",
         {"expression": "x + y", "values": {"x": -2, "y": 5}, "output_grad": -4},
         (3.0, {"x": -4.0, "y": -4.0})),
        ("sigmoid neuron", {"expression": "sigmoid(w0*x0 + w1*x1 + w2)", "values": NEURON},
         _neuron_answer()),
        ("sigmoid neuron, expand",
         {"expression": "sigmoid(w0*x0 + w1*x1 + w2)", "values": NEURON, "expand": True},
         _neuron_answer()),
        ("2 * (x*y + max(z, w))",
         {"expression": "2 * (x*y + max(z, w))", "values": {"x": 3, "y": -4, "z": 2, "w": -1}},
         (-20.0, {"x": -8.0, "y": 6.0, "z": 2.0, "w": 0.0})),
        ("CS231n staged f", {"expression": CS231N, "values": {"x": 3, "y": -4}},
         _cs231n_answer(3.0, -4.0)),
    ]


def check_answers(url, requests) -> None:
    """POST each request once and check its value and gradients (this also warms up)."""
    with client(timeout=30.0) as http:
        for label, body, (value, grads) in requests:
            r = http.post(url, content=orjson.dumps(body),
                          headers={"content-type": "application/json"})
            if r.status_code != 200:
                raise VerificationError(f"{label}: status {r.status_code}: {r.text[:500]}")
            d = orjson.loads(r.content)
            bad = [] if close(d["value"], value, REL) else [f"value {d['value']!r} != {value!r}"]
            bad += [f"d/d{k} {d['gradients'].get(k)!r} != {g!r}" for k, g in grads.items()
                    if d["gradients"].get(k) is None
                    or not close(d["gradients"][k], g, REL, scale=1e-12)]
            if bad:
                raise VerificationError(f"{label}: " + "; ".join(bad))


# --- wrk -------------------------------------------------------------------------------------

def _lua_str(s: str) -> str:
    """A Lua string literal for `s` (printable ASCII kept, every other byte as \\ddd)."""
    out = []
    for b in s.encode():
        c = chr(b)
        out.append("\\" + c if c in '"\\' else c if 32 <= b < 127 else f"\\{b:03d}")
    return '"' + "".join(out) + '"'


LUA_TEMPLATE = """-- written by bench/load_bench.py: cycle POST bodies, count non-200 answers
local bodies = {
%s
}
local n = #bodies
local counter = 0
local threads = {}
bad = 0
first_bad = ""

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = ((id or 0) * 3) %% n  -- threads start at different bodies
end

function request()
  counter = counter %% n + 1
  return wrk.format(nil, nil, nil, bodies[counter])
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(body or "", 1, 400)
    end
  end
end

function done(summary, latency, requests)
  local nbad, first = 0, ""
  for _, t in ipairs(threads) do
    nbad = nbad + (t:get("bad") or 0)
    local f = t:get("first_bad")
    if first == "" and f ~= nil and f ~= "" then first = f end
  end
  io.write(string.format(
    "BPV_RESULT requests=%%.0f duration_us=%%.0f connect=%%.0f read=%%.0f write=%%.0f " ..
    "status=%%.0f timeout=%%.0f bad=%%.0f p50_us=%%.0f p99_us=%%.0f\\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, nbad,
    latency:percentile(50), latency:percentile(99)))
  io.write("BPV_FIRST_BAD " .. (string.gsub(first, "[\\r\\n]", " ")) .. "\\n")
end
"""


def lua_script(bodies: list[bytes]) -> str:
    return LUA_TEMPLATE % ",\n".join("  " + _lua_str(b.decode()) for b in bodies)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> dict:
    """wrk's report (with --latency and our script's BPV_ lines) as numbers."""
    r = {"tool": "wrk"}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    if not m:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{out}")
    r["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if not m:
            raise RuntimeError(f"no {pct}% latency in wrk's output:\n{out}")
        r[f"p{pct}_ms"] = _ms(m.group(1))
    m = re.search(r"^\s+(\d+) requests in ([\d.]+\w+),", out, re.M)
    r["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket"] = dict(zip(("connect", "read", "write", "timeout"),
                           map(int, m.groups()))) if m else dict.fromkeys(
        ("connect", "read", "write", "timeout"), 0)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"^BPV_RESULT (.*)$", out, re.M)
    extra = dict(kv.split("=") for kv in m.group(1).split()) if m else {}
    r["non_200"] = int(extra.get("bad", r["non_2xx"]))  # the script's count (3xx too)
    m = re.search(r"^BPV_FIRST_BAD ?(.*)$", out, re.M)
    r["first_bad"] = m.group(1).strip() if m else ""
    return r


def run_wrk(url: str, script: str, seconds: int) -> dict:
    check_loopback(url)
    cmd = [WRK, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
           f"--timeout={TIMEOUT_S}s", "-s", script, url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise RuntimeError(f"wrk exited {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")
    r = parse_wrk(p.stdout)
    r["raw"] = p.stdout
    return r


def ensure_wrk(log) -> bool:
    """True when wrk can be run; tries `apt-get install -y wrk` (once, as root) if not."""
    if os.environ.get("BPV_LOAD_TOOL", "wrk") == "python":
        log("  load generator: Python asyncio + httpx (BPV_LOAD_TOOL=python)")
        return False
    if os.access(WRK, os.X_OK):
        return True
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0 and not os.environ.get("BPV_LOAD_NO_INSTALL"):
        log("  wrk is missing: trying `apt-get install -y wrk`")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmds in ([[apt, "install", "-y", "wrk"]],
                     [[apt, "update"], [apt, "install", "-y", "wrk"]]):
            try:
                for c in cmds:
                    subprocess.run(c, env=env, capture_output=True, timeout=300, check=True,
                                   stdin=subprocess.DEVNULL)
                break
            except (subprocess.SubprocessError, OSError):
                continue
    if os.access(WRK, os.X_OK):
        return True
    log(f"  NOTE: wrk is not available ({WRK}); FALLING BACK to a Python asyncio + httpx load "
        f"generator ({CONNECTIONS} connections), much slower than wrk: it may be the bottleneck")
    return False


# --- the Python fallback ---------------------------------------------------------------------

async def _py_load(url: str, bodies: list[bytes], seconds: float) -> dict:
    import httpx

    check_loopback(url)
    lat, statuses = [], {}
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    first_bad = ""
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(trust_env=False, timeout=TIMEOUT_S, limits=limits) as c:
        t0 = time.perf_counter()
        deadline = t0 + seconds

        async def one_client(k):
            nonlocal first_bad
            i = k * 3
            while time.perf_counter() < deadline:
                body = bodies[i % len(bodies)]
                i += 1
                t = time.perf_counter()
                try:
                    r = await c.post(url, content=body, headers=headers)
                except httpx.TimeoutException:
                    errors["timeout"] += 1
                    continue
                except httpx.ConnectError:
                    errors["connect"] += 1
                    continue
                except httpx.TransportError:
                    errors["read"] += 1
                    continue
                lat.append(time.perf_counter() - t)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code != 200 and not first_bad:
                    first_bad = f"{r.status_code} {r.text[:400]}"

        await asyncio.gather(*[one_client(k) for k in range(CONNECTIONS)])
        elapsed = time.perf_counter() - t0
    lat.sort()
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1e3) if lat else (lambda q: math.nan)
    non_200 = sum(n for s, n in statuses.items() if s != 200)
    return {"tool": "python", "rps": len(lat) / elapsed, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "requests": len(lat), "socket": errors, "non_2xx": sum(
                n for s, n in statuses.items() if s >= 400), "non_200": non_200,
            "first_bad": first_bad, "raw": f"statuses {statuses}, mean latency "
            f"{statistics.fmean(lat) * 1e3 if lat else math.nan:.2f} ms"}


def run_python(url: str, bodies: list[bytes], seconds: float) -> dict:
    return asyncio.run(_py_load(url, bodies, seconds))


# --- the benchmark ---------------------------------------------------------------------------

def load_seconds() -> int:
    raw = os.environ.get("BPV_LOAD_SECONDS")
    if not raw:
        return DURATION_S
    try:
        return max(1, int(float(raw)))
    except ValueError:
        raise ValueError(f"BPV_LOAD_SECONDS must be a number of seconds, not {raw!r}") from None


def _errors(r: dict) -> int:
    return max(r["non_2xx"], r["non_200"]) + sum(r["socket"].values())


def _describe(name: str, r: dict) -> str:
    s = r["socket"]
    return (f"{name:5s} {r['rps']:8.0f} req/s | p50 {r['p50_ms']:6.2f} ms | p99 "
            f"{r['p99_ms']:6.2f} ms | {r['requests'] or 0:,} requests | non-200 "
            f"{r['non_200']}, socket errors connect {s['connect']} read {s['read']} write "
            f"{s['write']} timeout {s['timeout']}")


def _load_one(target, ready_path, ready_any, bodies, seconds, use_wrk, script, log, check=None):
    with Server(target, ready_path=ready_path, ready_any=ready_any) as srv:
        url = srv.url("/api/graph")
        if check:
            check(url)
        log(f"  {target} on {url}: warm-up {WARMUP_S} s, then {seconds} s measured")
        if use_wrk:
            warm = run_wrk(url, script, WARMUP_S)
            r = run_wrk(url, script, seconds)
        else:
            warm = run_python(url, bodies, WARMUP_S)
            r = run_python(url, bodies, seconds)
        if _errors(warm):
            log(f"  NOTE: the warm-up saw errors: {_describe('warm', warm)}; first: "
                f"{warm['first_bad'] or '-'}")
        alive = srv.alive()
        text = srv.log_text()
    r["server_problems"] = server_problems(text)
    r["access"] = access_status_counts(text)
    r["server_alive"] = alive
    return r


def run(runs: int = 9, log=print) -> list[Outcome]:
    del runs  # the duration is fixed (BPV_LOAD_SECONDS to change it), not a number of runs
    seconds = load_seconds()
    requests = tutorial_requests()
    bodies = [orjson.dumps(b) for _, b, _ in requests]
    use_wrk = ensure_wrk(log)
    log(f"  {CONNECTIONS} connections" + (f", {THREADS} wrk threads" if use_wrk else "") +
        f", {seconds} s per server, "
        f"{len(bodies)} bodies cycled: " + "; ".join(label for label, _, _ in requests))
    log(f"  app settings: BPV_* overrides {app_overrides() or 'none (the defaults)'}")

    results = {}
    with contextlib.ExitStack() as stack:
        script = None
        if use_wrk:
            tmp = stack.enter_context(tempfile.NamedTemporaryFile(
                "w", prefix="bpv-load-", suffix=".lua"))
            tmp.write(lua_script(bodies))
            tmp.flush()
            script = tmp.name
        results["app"] = _load_one("app.main:app", "/healthz", False, bodies, seconds, use_wrk,
                                   script, log, check=lambda url: check_answers(url, requests))
        results["bare"] = _load_one("bench.bare_app:app", "/api/graph", True, bodies, seconds,
                                    use_wrk, script, log)

    app, bare = results["app"], results["bare"]
    for r in results.values():  # throughput counts successful answers only
        r["ok_rps"] = (r["rps"] * max(0, r["requests"] - r["non_200"]) / r["requests"]
                       if r["requests"] else r["rps"])
    ratio = app["ok_rps"] / bare["ok_rps"] if bare["ok_rps"] else math.nan
    n_err = _errors(app)
    ok_err, ok_p99, ok_ratio = n_err == 0, app["p99_ms"] < P99_TARGET_MS, ratio >= RATIO_TARGET
    tool = "wrk" if use_wrk else "Python asyncio+httpx (FALLBACK, not wrk)"
    log(f"  load generator: {tool}")
    for name in ("app", "bare"):
        log("  " + _describe(name, results[name]))
    if _errors(app) or _errors(bare):
        log("  (req/s above count every answer; the ratio below counts only 200s)")
    lines = {
        "errors": f"load app errors: {n_err} (target 0) {verdict(ok_err)}",
        "p99": f"load app p99 latency: {app['p99_ms']:.2f} ms (target < {P99_TARGET_MS:g} ms) "
               f"{verdict(ok_p99)}",
        "ratio": f"load app/bare throughput: {app['ok_rps']:.0f} / {bare['ok_rps']:.0f} req/s = "
                 f"{ratio:.3f} (target ≥ {RATIO_TARGET}) {verdict(ok_ratio)}",
    }
    for line in lines.values():
        log(line)
    for name in ("app", "bare"):
        r = results[name]
        if r["first_bad"]:
            log(f"  {name}: first non-200 response: {r['first_bad']}")
        bad = {s: n for s, n in r["access"].items() if s != 200}
        if bad:
            log(f"  {name}: non-200 statuses in the server's access log (warm-up "
                f"included): {bad}")
        for p in r["server_problems"]:
            log(f"  {name} SERVER LOG: {p}")
        if not r["server_alive"]:
            log(f"  {name}: the server had DIED by the end of the load")
    if not use_wrk:
        log("  NOTE: with the Python load generator the client is likely the bottleneck, so "
            "latency is inflated and the throughput ratio is flattered; install wrk")
    if _errors(bare):
        log("  NOTE: the bare baseline had errors too: its throughput is suspect")
    numbers = {k: {f: v for f, v in r.items() if f not in ("raw",)} for k, r in results.items()}
    numbers["ratio"] = ratio
    numbers["seconds"] = seconds
    numbers["tool"] = "wrk" if use_wrk else "python"
    return [Outcome("load errors = 0", lines["errors"], ok_err, numbers),
            Outcome(f"load p99 < {P99_TARGET_MS:g} ms", lines["p99"], ok_p99, numbers),
            Outcome(f"load throughput app/bare ≥ {RATIO_TARGET}", lines["ratio"], ok_ratio,
                    numbers)]


NAME = "load"
DESCRIPTION = (f"load test: tutorial expressions, {CONNECTIONS} clients, {DURATION_S} s "
               f"(BPV_LOAD_SECONDS), vs a bare FastAPI endpoint")
