"""Hostile clients (the issue "nothing a client does can take the server down"): the attacks
it found, replayed against the real app, with the server's memory and the tutorial's latency
measured while they run.

Servers: `uvicorn app.main:app` started here on 127.0.0.1 at a free port (bench/http_server.py),
one at a time, stopped afterwards: one for attack 1 (its rounds one after another, each from
its own settled baseline), one for attack 2, one for attacks 3 and 4. The app's defaults,
except BPV_READ_TIMEOUT_S=5 for the stalled uploads (the default 20 s only makes the run
longer; the rule is the same). Every socket goes to 127.0.0.1; every loop ends by itself (a
count or a deadline).

Memory: VmRSS (/proc/PID/status) of the uvicorn process ("server") and, separately, the sum
over its descendants (the engine workers and multiprocessing's resource tracker), sampled
every 20 ms while an attack runs (peak), at a baseline taken after a warm-up, and after the
attack once it has settled (stable within 2 MB for 2 s, at most 15 s).

1. Unread large answers: 17 raw sockets with a 4 KiB SO_RCVBUF each send a short POST
   /api/graph whose answer would be large, `X+X+…+X` with X a 64×64 matrix of full-precision
   floats (~81 KB of JSON), and never read: (a) 120 terms, a ~37 MB answer (over the
   response limit), (b) the most terms whose answer fits under BPV_MAX_RESPONSE_BYTES
   (found in-process with the engine and the API's encoder: 53 terms, ~16 MB), all at once,
   (c) the same one every 0.35 s, so that the pool is not what limits them and the
   in-flight byte budget is. Held open HOLD_S s after the last request, then closed. The
   status each got is peeked (MSG_PEEK, nothing consumed) at the end; the time each answer
   began to arrive is seen by poll(), without reading.
2. Stalled uploads: 20 raw sockets declare Content-Length 32 MiB, send 30 MiB, then stall
   (reading only the answer, if one comes). Which status each got, and when.
3. Small-path monopoly: 8 clients loop `mse(a, b)` (a a 1×1050 row, b a 1050×1 column:
   a 1050×1050 broadcast) on POST /api/graph while a ninth sends the tutorial's
   `(x+y)*z` sequentially; its p50/p99 with and without the eight.
4. Parse flood: 4 clients loop POST /api/parse with (a) a 200,000-character `1+1+…+11`
   (at the character limit: parsed in full, then refused for its node count), (b) the
   largest `1+1+…` the server accepts (max_nodes nodes: 49,999 characters), (c) one
   character over the limit, each while the ninth measures the tutorial; then 5 bodies of
   32 MiB, `{"expression":"x","pad":[0,0,…]}` with Content-Length, and one sent chunked, to
   /api/parse: their status and time to answer, and the tutorial's p99 meanwhile.
The attackers of 3 and 4 run in a separate process (so they never hold the measuring
client's GIL); the tutorial alone is measured right before the mse phase and right before
the parse phases, and each attack is compared with the phase before it.

Targets: peak server RSS < 400 MB and after within 50 MB of baseline (1, 2); tutorial p99 <
50 ms (all 200) under each flood (3, 4) and during the pads; pads refused with 413 in < 1 s;
no 500 anywhere (clients' statuses, the access logs, and no traceback or ERROR line in the
server logs) and every server still answering the tutorial afterwards. How long 503s wait is
reported (information).

Duration: ~2 min. BPV_LOAD_ATTACK_SECONDS=N (default 10) sets each latency phase's length;
BPV_LOAD_ATTACK_MALLOC=1 also reruns attacks 1b and 1c (twice each, on one server) with
each of three glibc malloc tunables in the server's environment (MALLOC_ARENA_MAX=2,
MALLOC_TRIM_THRESHOLD_=16MiB, MALLOC_MMAP_THRESHOLD_=1MiB), as information: whether they
lower the peak or give the memory back (+~1.5 min). `--runs` changes nothing here. The
machine's load average is printed with each latency phase: on a shared 2-core machine it
moves every latency number.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import random
import select
import socket
import statistics
import threading
import time

import orjson

from bench.common import Outcome, VerificationError, close, verdict
from bench.http_server import (HOST, Server, access_status_counts, app_overrides, client,
                               processes, server_problems)

PEAK_TARGET_MB = 400.0
AFTER_TARGET_MB = 50.0
P99_TARGET_MS = 50.0
PAD_TARGET_S = 1.0

SAMPLE_S = 0.02
SETTLE_MAX_S = 15.0
SETTLE_WINDOW_S = 2.0
SETTLE_MB = 2.0

UNREAD_CLIENTS = 17
UNREAD_TERMS = 120  # ~37 MB answer
HOLD_S = 5.0
STAGGER_S = 0.35
RCVBUF = 4096

STALL_CLIENTS = 20
STALL_DECLARED = 32 * 1024 * 1024
STALL_SENT = 30 * 1024 * 1024
STALL_READ_TIMEOUT_S = 5
CHUNK = 256 * 1024

MSE_CLIENTS = 8
MSE_N = 1050
PARSE_CLIENTS = 4
PAD_BYTES = 32 * 1024 * 1024
PAD_REPEATS = 5
PHASE_S = 10.0
REQUEST_TIMEOUT_S = 15.0

JSON = {"content-type": "application/json"}
TUTORIAL = orjson.dumps({"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}})
TUTORIAL_ANSWER = (-12.0, {"x": -4.0, "y": -4.0, "z": 3.0})

# glibc tunables for the server process, one at a time (BPV_LOAD_ATTACK_MALLOC=1). Setting the
# trim or the mmap threshold also switches off glibc's dynamic mmap threshold (which otherwise
# rises to the size of the largest freed buffer, so later answer-sized buffers come from the
# heap and stay resident after they are freed).
MALLOC_VARIANTS = [
    ("MALLOC_ARENA_MAX=2", {"MALLOC_ARENA_MAX": "2"}),
    ("MALLOC_TRIM_THRESHOLD_=16MiB", {"MALLOC_TRIM_THRESHOLD_": str(16 * 1024 * 1024)}),
    ("MALLOC_MMAP_THRESHOLD_=1MiB", {"MALLOC_MMAP_THRESHOLD_": str(1024 * 1024)}),
]


# --- memory -----------------------------------------------------------------------------------

def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return 0.0  # a zombie has no VmRSS line


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid, _, _ in processes():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def memory(pid: int, kids: list[int] | None = None) -> tuple[float, float]:
    """(server MB, descendants' MB)."""
    kids = descendants(pid) if kids is None else kids
    return rss_mb(pid) or 0.0, sum(rss_mb(k) or 0.0 for k in kids)


class Sampler:
    """Peak RSS of the server and of its descendants, sampled every SAMPLE_S in a thread."""

    def __init__(self, pid):
        self.pid = pid
        self.peak_server = self.peak_kids = self.peak_total = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    def _run(self):
        kids, rescan = descendants(self.pid), time.monotonic() + 0.5
        while not self._stop.is_set():
            if time.monotonic() > rescan:  # a worker may have been replaced
                kids, rescan = descendants(self.pid), time.monotonic() + 0.5
            server, k = memory(self.pid, kids)
            self.peak_server = max(self.peak_server, server)
            self.peak_kids = max(self.peak_kids, k)
            self.peak_total = max(self.peak_total, server + k)
            self.samples += 1
            self._stop.wait(SAMPLE_S)


def settle(pid) -> tuple[float, float, float]:
    """(server MB, descendants' MB, seconds waited) once the total has been stable for
    SETTLE_WINDOW_S (within SETTLE_MB), or after SETTLE_MAX_S."""
    t0 = time.monotonic()
    history = []
    while True:
        server, kids = memory(pid)
        now = time.monotonic()
        history.append((now, server + kids))
        window = [m for t, m in history if t >= now - SETTLE_WINDOW_S]
        if (now - t0 >= SETTLE_WINDOW_S and max(window) - min(window) <= SETTLE_MB) \
                or now - t0 >= SETTLE_MAX_S:
            return server, kids, now - t0
        time.sleep(0.25)


# --- raw HTTP ---------------------------------------------------------------------------------

def head(path: str, port: int, length: int | None, chunked: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}", "Content-Type: application/json"]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def connect(port: int, rcvbuf: int | None = None) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: the window
    s.settimeout(10.0)
    s.connect((HOST, port))
    return s


def status_of(data: bytes) -> int | None:
    if data.startswith(b"HTTP/1.1 ") and len(data) >= 12 and data[9:12].isdigit():
        return int(data[9:12])
    return None


def peek(s: socket.socket, n: int = 2048) -> bytes | None:
    """What has arrived, without consuming it; None if nothing yet, b"" if closed."""
    try:
        return s.recv(n, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def read_response(s: socket.socket, limit_s: float = 5.0) -> bytes:
    """Everything the server sends until it closes (small answers only), at most limit_s."""
    s.settimeout(0.5)
    data, end = b"", time.monotonic() + limit_s
    while time.monotonic() < end and len(data) < 1 << 20:
        try:
            piece = s.recv(65536)
        except TimeoutError:
            if b"\r\n\r\n" in data:
                break
            continue
        except OSError:
            break
        if not piece:
            break
        data += piece
    return data


# --- HTTP clients ----------------------------------------------------------------------------

def post(http, url, body):
    t = time.perf_counter()
    try:
        r = http.post(url, content=body, headers=JSON)
        return time.perf_counter() - t, r.status_code, r.content
    except Exception as e:  # noqa: BLE001 - a transport error is a result here
        return time.perf_counter() - t, type(e).__name__, b""


def check_tutorial(url):
    with client(REQUEST_TIMEOUT_S) as http:
        _, status, content = post(http, url, TUTORIAL)
    if status != 200:
        raise VerificationError(f"tutorial: status {status}: {content[:300]!r}")
    d = orjson.loads(content)
    value, grads = TUTORIAL_ANSWER
    if not close(d["value"], value) or any(not close(d["gradients"][k], g)
                                           for k, g in grads.items()):
        raise VerificationError(f"tutorial: wrong answer {d['value']} {d['gradients']}")


class Loop(threading.Thread):
    """POST `body` to `url` until `stop` is set or `deadline` passes; records (start, latency,
    status) of every request."""

    def __init__(self, url, body, stop, deadline):
        super().__init__(daemon=True)
        self.url, self.body, self.stop, self.deadline = url, body, stop, deadline
        self.records = []

    def run(self):
        with client(REQUEST_TIMEOUT_S) as http:
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                t = time.monotonic()
                dt, status, _ = post(http, self.url, self.body)
                self.records.append((t, dt, status))


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else math.nan


def summary(records, seconds=None):
    lat = [dt for _, dt, _ in records]
    statuses = {}
    for _, _, s in records:
        statuses[s] = statuses.get(s, 0) + 1
    out = {"n": len(lat), "p50_ms": pct(lat, 0.5) * 1e3, "p99_ms": pct(lat, 0.99) * 1e3,
           "max_ms": max(lat, default=math.nan) * 1e3, "statuses": statuses}
    if seconds:
        out["rps"] = len(lat) / seconds
    return out


def waits_503(records):
    return [dt for _, dt, s in records if s == 503]


def fmt_statuses(st: dict) -> str:
    return ", ".join(f"{k}×{v}" for k, v in sorted(st.items(), key=lambda kv: str(kv[0]))) or "-"


# --- the requests ----------------------------------------------------------------------------

def matrix_x():
    rng = random.Random(8)
    return [[rng.uniform(-1.0, 1.0) for _ in range(64)] for _ in range(64)]


def sum_body(x, terms):
    return orjson.dumps({"expression": "+".join(["X"] * terms), "values": {"X": x}})


def answer_size(x, terms):
    """Bytes of the server's answer to `sum_body(x, terms)`, computed here with the engine and
    the API's encoder (the same code the worker runs)."""
    import numpy as np

    from app.api.encoding import dumps_graph
    from app.engine import evaluate
    from app.settings import get_settings

    expression = "+".join(["X"] * terms)
    result = evaluate(expression, {"X": np.array(x)}, None, False, get_settings().limits())
    return len(dumps_graph(expression, result, get_settings().max_tensor_elements))


def terms_under_budget(x):
    """The most terms whose answer is within max_response_bytes (a little margin)."""
    from app.settings import get_settings

    limit = get_settings().max_response_bytes
    a, b = 10, 20
    sa, sb = answer_size(x, a), answer_size(x, b)
    per = (sb - sa) / (b - a)
    n = max(1, int((0.985 * limit - sa) / per) + a)
    size = answer_size(x, n)
    while size > limit and n > 1:
        n -= 1
        size = answer_size(x, n)
    return n, size, limit


def mse_body():
    a = [[i / MSE_N for i in range(MSE_N)]]
    b = [[(i % 97) / 97] for i in range(MSE_N)]
    return orjson.dumps({"expression": "mse(a, b)", "values": {"a": a, "b": b}}), a, b


def ones_expression(chars):
    """`1+1+…+1` of exactly `chars` characters (a trailing `11` when `chars` is even)."""
    k = (chars + 1) // 2
    e = "+".join(["1"] * k)
    return e if len(e) == chars else e + "1"


# --- attack 1: unread large answers ----------------------------------------------------------

def unread_round(srv, body, label, stagger_s, log):
    """UNREAD_CLIENTS raw sockets send `body` (all at once, or one every `stagger_s`) and never
    read; held HOLD_S after the last request, then closed."""
    pid = srv.proc.pid
    base_server, base_kids, _ = settle(pid)
    request = head("/api/graph", srv.port, len(body)) + body
    socks = [connect(srv.port, RCVBUF) for _ in range(UNREAD_CLIENTS)]
    first_byte = [None] * len(socks)
    sent_at = [None] * len(socks)
    poller = select.poll()
    fds = {s.fileno(): i for i, s in enumerate(socks)}
    for s in socks:
        poller.register(s, select.POLLIN)
    try:
        with Sampler(pid) as sampler:
            t0 = time.monotonic()
            for i, s in enumerate(socks):
                while stagger_s and time.monotonic() < t0 + i * stagger_s:
                    _note_answers(poller, fds, first_byte, sent_at, 20)
                sent_at[i] = time.monotonic()
                s.sendall(request)
            end = time.monotonic() + HOLD_S
            while time.monotonic() < end and fds:
                _note_answers(poller, fds, first_byte, sent_at, 50)
            seen = [peek(s) for s in socks]
            for s in socks:
                s.close()
            after_server, after_kids, waited = settle(pid)
    finally:
        for s in socks:
            with contextlib.suppress(OSError):
                s.close()
    statuses, waits, kinds = {}, {}, set()
    for data, fb in zip(seen, first_byte):
        st = status_of(data) if data else ("closed" if data == b"" else "none")
        statuses[st] = statuses.get(st, 0) + 1
        if fb is not None:
            waits.setdefault(st, []).append(fb)
        if data and b"limit_exceeded" in data:
            kinds.add("limit_exceeded")
    held = statuses.get(200, 0)
    r = {"label": label, "base": (base_server, base_kids), "peak": (
        sampler.peak_server, sampler.peak_kids, sampler.peak_total),
        "after": (after_server, after_kids), "settle_s": waited, "statuses": statuses,
        "first_byte_s": {k: (statistics.median(v), max(v)) for k, v in waits.items()},
        "kinds": sorted(kinds), "held": held, "stagger_s": stagger_s}
    per = f"; {(sampler.peak_server - base_server) / held:.0f} MB of server RSS per held " \
          "answer" if held else ""
    log(f"  {label}: {fmt_mem(r)}; statuses {fmt_statuses(statuses)}"
        f"{' (' + ', '.join(sorted(kinds)) + ')' if kinds else ''}; answer began after "
        + "; ".join(f"{k}: median {m:.2f} s, max {x:.2f} s" for k, (m, x) in
                    r["first_byte_s"].items()) + per)
    return r


def _note_answers(poller, fds, first_byte, sent_at, timeout_ms):
    """Record when an answer begins to arrive on each socket (poll only: nothing is read)."""
    for fd, _ in poller.poll(timeout_ms):
        i = fds.pop(fd)
        first_byte[i] = time.monotonic() - sent_at[i]
        poller.unregister(fd)


def unread_answers(rounds, env, log):
    """[(body, label, stagger_s)] on one server (fresh, warmed); each round has its own
    baseline. Returns (results, server record)."""
    with Server("app.main:app", env=env) as srv:
        check_tutorial(srv.url("/api/graph"))
        with client(REQUEST_TIMEOUT_S) as http:  # warm the workers with a small tensor job
            for _ in range(2):
                post(http, srv.url("/api/graph"), sum_body(matrix_x(), 2))
        results = [unread_round(srv, body, label, stagger, log)
                   for body, label, stagger in rounds]
        return results, server_record(srv)


def server_record(srv):
    """After an attack: does it still answer the tutorial, and what did its log see."""
    try:
        check_tutorial(srv.url("/api/graph"))
        answers = True
    except (VerificationError, OSError):
        answers = False
    text = srv.log_text()
    return {"alive": srv.alive() and answers, "problems": server_problems(text),
            "access": access_status_counts(text)}


def fmt_mem(r):
    bs, bk = r["base"]
    ps, pk, pt = r["peak"]
    a_s, ak = r["after"]
    return (f"server RSS {bs:.0f} → peak {ps:.0f} → after {a_s:.0f} MB (settled in "
            f"{r['settle_s']:.1f} s); workers {bk:.0f} → {pk:.0f} → {ak:.0f} MB; total peak "
            f"{pt:.0f} MB")


# --- attack 2: stalled uploads ---------------------------------------------------------------

class Uploader(threading.Thread):
    """Declares `declared` bytes, sends `sent`, then waits for an answer until `deadline`."""

    def __init__(self, port, path, declared, sent, deadline, chunked=False, payload=None):
        super().__init__(daemon=True)
        self.port, self.path, self.declared, self.sent = port, path, declared, sent
        self.deadline, self.chunked, self.payload = deadline, chunked, payload
        self.status = None
        self.answered_s = None
        self.stalled_s = None  # when it had sent everything it meant to
        self.bytes_sent = 0
        self.error = None

    def run(self):
        t0 = time.monotonic()
        try:
            s = connect(self.port)
        except OSError as e:
            self.error = repr(e)
            return
        try:
            self._run(s, t0)
        finally:
            with contextlib.suppress(OSError):
                s.close()

    def _pieces(self):
        if self.payload is not None:  # a real body (the pad), sent in CHUNK pieces
            for i in range(0, len(self.payload), CHUNK):
                part = self.payload[i:i + CHUNK]
                yield (b"%x\r\n" % len(part) + part + b"\r\n") if self.chunked else part
            if self.chunked:
                yield b"0\r\n\r\n"
            return
        zeros = b"0" * CHUNK
        left = self.sent
        while left > 0:
            yield zeros[:min(CHUNK, left)]
            left -= CHUNK

    def _run(self, s, t0):
        s.setblocking(False)
        pending = head(self.path, self.port, self.declared, self.chunked)
        pieces = self._pieces()
        done_sending = False
        while time.monotonic() < self.deadline:
            want_write = [s] if not done_sending else []
            readable, writable, _ = select.select([s], want_write, [], 0.1)
            if readable:
                self.answered_s = time.monotonic() - t0
                s.setblocking(True)
                data = read_response(s, 2.0)
                self.status = status_of(data) or ("closed" if not data else "garbled")
                return
            if writable:
                if not pending:
                    pending = next(pieces, b"")
                    if not pending:
                        done_sending = True
                        self.stalled_s = time.monotonic() - t0
                        continue
                try:
                    n = s.send(pending)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as e:  # the server closed after answering: read the answer
                    self.error = type(e).__name__
                    s.setblocking(True)
                    data = read_response(s, 2.0)
                    self.answered_s = time.monotonic() - t0
                    self.status = status_of(data) or "reset"
                    return
                self.bytes_sent += n
                pending = pending[n:]
        self.status = "none"


def stalled_uploads(env, label, log):
    env = {"BPV_READ_TIMEOUT_S": str(STALL_READ_TIMEOUT_S), **env}
    with Server("app.main:app", env=env) as srv:
        pid = srv.proc.pid
        check_tutorial(srv.url("/api/graph"))
        base_server, base_kids, _ = settle(pid)
        with Sampler(pid) as sampler:
            deadline = time.monotonic() + STALL_READ_TIMEOUT_S + 25
            ups = [Uploader(srv.port, "/api/graph", STALL_DECLARED, STALL_SENT, deadline)
                   for _ in range(STALL_CLIENTS)]
            for u in ups:
                u.start()
            for u in ups:
                u.join(STALL_READ_TIMEOUT_S + 40)
            after_server, after_kids, waited = settle(pid)
        record = server_record(srv)
    statuses, when = {}, {}
    for u in ups:
        statuses[u.status] = statuses.get(u.status, 0) + 1
        if u.answered_s is not None:
            when.setdefault(u.status, []).append(u.answered_s)
    stalled = [u.stalled_s for u in ups if u.stalled_s is not None]
    r = {"label": label, "base": (base_server, base_kids),
         "peak": (sampler.peak_server, sampler.peak_kids, sampler.peak_total),
         "after": (after_server, after_kids), "settle_s": waited, "statuses": statuses,
         "when_s": {k: (min(v), statistics.median(v), max(v)) for k, v in when.items()},
         "stalled_n": len(stalled), "stalled_at_s": (min(stalled), max(stalled)) if stalled
         else None, "sent_mb": sum(u.bytes_sent for u in ups) / 2**20}
    log(f"  {label}: {fmt_mem(r)}; statuses {fmt_statuses(statuses)}; answered at "
        + "; ".join(f"{k}: {a:.1f}–{c:.1f} s (median {b:.1f})" for k, (a, b, c) in
                    r["when_s"].items())
        + f"; {len(stalled)} of {STALL_CLIENTS} sent all 30 MiB and stalled"
        + (f" (by {r['stalled_at_s'][1]:.1f} s)" if stalled else "")
        + f"; {r['sent_mb']:.0f} MiB sent in all")
    return r, record


# --- attacks 3 and 4 -------------------------------------------------------------------------

def _attack_process(url, body, n, seconds, conn):
    """In a separate process (so that the attackers never hold the measuring client's GIL):
    `n` clients loop POST `body` until told to stop (or a hard deadline)."""
    stop = threading.Event()
    loops = [Loop(url, body, stop, time.monotonic() + seconds + 30) for _ in range(n)]
    for lp in loops:
        lp.start()
    conn.send("started")
    conn.poll(seconds + 30)
    stop.set()
    for lp in loops:
        lp.join(REQUEST_TIMEOUT_S + 5)
    conn.send([r for lp in loops for r in lp.records])


def measure_phase(url, seconds, attack=None):
    """The tutorial client (this process, sequential) for `seconds`, while `attack`
    (url, body, count) loops in a child process. time.monotonic() is the same clock in both."""
    proc = conn = None
    if attack:
        ctx = multiprocessing.get_context("spawn")
        conn, child = ctx.Pipe()
        proc = ctx.Process(target=_attack_process, args=(*attack, seconds, child), daemon=True)
        proc.start()
        child.close()
        if not conn.poll(60) or conn.recv() != "started":
            proc.kill()
            raise RuntimeError("the attacking process did not start")
        time.sleep(0.5)  # let the attack take hold
    probe = Loop(url, TUTORIAL, threading.Event(), time.monotonic() + seconds)
    t0 = time.monotonic()
    probe.run()  # in this thread
    elapsed = time.monotonic() - t0
    attack_records = []
    if proc is not None:
        conn.send("stop")
        if conn.poll(REQUEST_TIMEOUT_S + 10):
            attack_records = conn.recv()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        conn.close()
    return (summary(probe.records, elapsed), summary(attack_records, elapsed),
            waits_503(attack_records))


def pads(srv, tutorial_seconds_min):
    """The 32 MiB pad bodies (PAD_REPEATS with Content-Length, then one chunked) sent one
    after another while the tutorial client runs in a thread; returns (pad results, tutorial
    summary while a pad was in flight, tutorial summary overall)."""
    pad = b'{"expression":"x","pad":[' + b"0," * ((PAD_BYTES - 30) // 2)
    pad = pad + b"0" * (PAD_BYTES - 2 - len(pad)) + b"]}"
    assert len(pad) == PAD_BYTES
    stop = threading.Event()
    probe = Loop(srv.url("/api/graph"), TUTORIAL, stop, time.monotonic() + 60)
    probe.start()
    time.sleep(0.3)
    results = []
    t_first = time.monotonic()
    for i in range(PAD_REPEATS + 1):
        chunked = i == PAD_REPEATS
        t = time.monotonic()
        u = Uploader(srv.port, "/api/parse", PAD_BYTES, PAD_BYTES, time.monotonic() + 30,
                     chunked=chunked, payload=pad)
        u.run()
        results.append({"chunked": chunked, "status": u.status, "s": u.answered_s,
                        "start": t, "end": time.monotonic(),
                        "sent_mb": u.bytes_sent / 2**20})
        time.sleep(0.3)
    time.sleep(max(0.0, tutorial_seconds_min - (time.monotonic() - t_first)))
    stop.set()
    probe.join(REQUEST_TIMEOUT_S + 5)
    windows = [(p["start"], p["end"]) for p in results]
    during = [rec for rec in probe.records
              if any(a <= rec[0] + rec[1] and rec[0] <= b for a, b in windows)]
    return results, summary(during), summary(probe.records)


def parse_bodies():
    from app.settings import get_settings

    s = get_settings()
    n_ones = (s.max_nodes + 1) // 2  # n ones and n-1 pluses: 2n-1 nodes
    return {"at_limit": orjson.dumps({"expression": ones_expression(s.max_chars)}),
            "largest_ok": orjson.dumps({"expression": "+".join(["1"] * n_ones)}),
            "over": orjson.dumps({"expression": ones_expression(s.max_chars + 1)})}


LATENCY_PHASES = [  # (name, attack endpoint, body key, clients); None: the tutorial alone
    ("alone, before mse", None, None, 0),
    ("mse", "/api/graph", "mse", MSE_CLIENTS),
    ("alone, before parse", None, None, 0),
    ("parse at_limit", "/api/parse", "at_limit", PARSE_CLIENTS),
    ("parse largest_ok", "/api/parse", "largest_ok", PARSE_CLIENTS),
    ("parse over", "/api/parse", "over", PARSE_CLIENTS),
]


def latency_attacks(log, seconds):
    import numpy as np

    x_mse, a, b = mse_body()
    expected_mse = float(np.mean((np.array(a) - np.array(b)) ** 2))
    bodies = {"mse": x_mse, **parse_bodies()}
    out = {}
    with Server("app.main:app") as srv:
        g, p = srv.url("/api/graph"), srv.url("/api/parse")
        check_tutorial(g)
        with client(REQUEST_TIMEOUT_S) as http:  # what the server answers to each, once
            _, st, content = post(http, g, x_mse)
            if st != 200 or not close(orjson.loads(content)["value"], expected_mse, 1e-9):
                raise VerificationError(f"mse(a, b): status {st}: {content[:300]!r}")
            answers = {}
            for k in ("at_limit", "largest_ok", "over"):
                _, st, content = post(http, p, bodies[k])
                answers[k] = (st, orjson.loads(content)["detail"][0]["type"] if st == 422
                              else "ok", len(orjson.loads(bodies[k])["expression"]))
        out["parse_answers"] = answers
        from app.settings import get_settings

        log("  /api/parse answers: " + "; ".join(
            f"{k} ({n:,} chars): {st} {t}" for k, (st, t, n) in answers.items())
            + f" (max_chars {get_settings().max_chars:,}, max_nodes "
              f"{get_settings().max_nodes:,})")
        if answers["largest_ok"][0] != 200:
            log("  NOTE: the 'largest accepted' parse body was refused: the limits changed")

        for name, path, key, n in LATENCY_PHASES:
            attack = (srv.url(path), bodies[key], n) if path else None
            load = os.getloadavg()[0]
            tut, att, w503 = measure_phase(g, seconds, attack)
            out[name] = {"tutorial": tut, "attack": att, "w503": w503, "load": load}
            log(f"  {name:20s} tutorial {tut['rps']:6.0f} req/s, p50 {tut['p50_ms']:6.2f} ms, "
                f"p99 {tut['p99_ms']:7.2f} ms, max {tut['max_ms']:7.1f} ms, statuses "
                f"{fmt_statuses(tut['statuses'])} (load avg {load:.1f})"
                + (f" | attackers {att['rps']:5.1f} req/s, p50 {att['p50_ms']:.0f} ms, "
                   f"statuses {fmt_statuses(att['statuses'])}" if attack else ""))
        pad_results, during, whole = pads(srv, 3.0)
        out["pads"], out["pad_tutorial"], out["pad_tutorial_whole"] = pad_results, during, whole
        for pr in pad_results:
            log(f"  32 MiB pad {'chunked' if pr['chunked'] else 'with Content-Length'}: "
                f"{pr['status']} after {_ms(pr['s'])}, {pr['sent_mb']:.1f} MiB sent before "
                "the answer")
        log(f"  tutorial while the pads were in flight: {during['n']} requests, p50 "
            f"{during['p50_ms']:.2f} ms, p99 {during['p99_ms']:.2f} ms, max "
            f"{during['max_ms']:.1f} ms, statuses {fmt_statuses(during['statuses'])}")
        record = server_record(srv)
    return out, record


# --- the benchmark ---------------------------------------------------------------------------

def phase_seconds() -> float:
    raw = os.environ.get("BPV_LOAD_ATTACK_SECONDS")
    if not raw:
        return PHASE_S
    try:
        return max(1.0, float(raw))
    except ValueError:
        raise ValueError(f"BPV_LOAD_ATTACK_SECONDS must be a number of seconds, not {raw!r}") \
            from None


def _mem_outcomes(r, name, log):
    peak = r["peak"][0]
    growth = r["after"][0] - r["base"][0]
    ok_peak, ok_after = peak < PEAK_TARGET_MB, growth <= AFTER_TARGET_MB
    l1 = (f"attacks {name}: peak server RSS {peak:.0f} MB (baseline {r['base'][0]:.0f} MB; "
          f"with workers {r['peak'][2]:.0f} MB) (target < {PEAK_TARGET_MB:g} MB) "
          f"{verdict(ok_peak)}")
    l2 = (f"attacks {name}: server RSS after {r['after'][0]:.0f} MB vs baseline "
          f"{r['base'][0]:.0f} MB: {growth:+.0f} MB (target ≤ +{AFTER_TARGET_MB:g} MB) "
          f"{verdict(ok_after)}")
    log(l1)
    log(l2)
    return [Outcome(f"attacks {name}: peak server RSS < {PEAK_TARGET_MB:g} MB", l1, ok_peak, r),
            Outcome(f"attacks {name}: server RSS after ≤ baseline + {AFTER_TARGET_MB:g} MB",
                    l2, ok_after, r)]


def run(runs: int = 9, log=print) -> list[Outcome]:
    del runs  # fixed counts and durations
    seconds = phase_seconds()
    log(f"  app settings: BPV_* overrides {app_overrides() or 'none (the defaults)'}; "
        f"latency phases {seconds:g} s (BPV_LOAD_ATTACK_SECONDS); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    x = matrix_x()
    n_ok, size_ok, limit = terms_under_budget(x)
    size_big = answer_size(x, UNREAD_TERMS)
    big, fits = sum_body(x, UNREAD_TERMS), sum_body(x, n_ok)
    log(f"  X: 64×64 full-precision floats, {len(orjson.dumps(x)):,} bytes of JSON; answers: "
        f"{UNREAD_TERMS} terms → {size_big / 1e6:.1f} MB, {n_ok} terms → "
        f"{size_ok / 1e6:.1f} MB (max_response_bytes {limit / 1e6:.1f} MB)")
    rounds = [(big, f"1a {UNREAD_TERMS} terms (~{size_big / 1e6:.0f} MB answer), at once", 0.0),
              (fits, f"1b {n_ok} terms (~{size_ok / 1e6:.0f} MB answer), at once", 0.0),
              (fits, f"1c {n_ok} terms, one every {STAGGER_S:g} s", STAGGER_S)]
    outcomes, servers = [], []

    log(f"  1. unread large answers: {UNREAD_CLIENTS} clients, SO_RCVBUF {RCVBUF}, held "
        f"{HOLD_S:g} s after the last request (one server, each round from its own baseline)")
    unread, record = unread_answers(rounds, {}, log)
    servers.append(("1 unread answers", record))
    for r, tag in zip(unread, (f"unread {size_big / 1e6:.0f} MB answers",
                               f"unread {size_ok / 1e6:.0f} MB answers",
                               f"unread {size_ok / 1e6:.0f} MB answers staggered")):
        outcomes += _mem_outcomes(r, tag, log)

    log(f"  2. stalled uploads: {STALL_CLIENTS} clients declare 32 MiB, send 30 MiB, stall "
        f"(BPV_READ_TIMEOUT_S={STALL_READ_TIMEOUT_S}, not the default 20)")
    stalled, record = stalled_uploads({}, "stalled uploads", log)
    servers.append(("2 stalled uploads", record))
    outcomes += _mem_outcomes(stalled, "stalled uploads", log)

    if os.environ.get("BPV_LOAD_ATTACK_MALLOC"):
        log("  malloc tunables (information only): attacks 1b and 1c again, twice each")
        for label, env in MALLOC_VARIANTS:
            _, record = unread_answers(
                [(fits, f"1b with {label}", 0.0), (fits, f"1c with {label}", STAGGER_S),
                 (fits, f"1b again with {label}", 0.0),
                 (fits, f"1c again with {label}", STAGGER_S)], env, log)
            servers.append((f"1 with {label}", record))

    log(f"  3./4. latency: the tutorial's (x+y)*z, one sequential client, {seconds:g} s per "
        f"phase; {MSE_CLIENTS} mse(row 1×{MSE_N}, column {MSE_N}×1) clients; "
        f"{PARSE_CLIENTS} parse clients (attackers in a separate process)")
    lat, record = latency_attacks(log, seconds)
    servers.append(("3/4 latency", record))

    answers = lat["parse_answers"]
    for name, alone, label in [
            ("mse", "alone, before mse", f"{MSE_CLIENTS} mse clients"),
            ("parse at_limit", "alone, before parse",
             f"{PARSE_CLIENTS} parse clients, {answers['at_limit'][2]:,} chars"),
            ("parse largest_ok", "alone, before parse",
             f"{PARSE_CLIENTS} parse clients, {answers['largest_ok'][2]:,} chars (largest "
             "accepted)"),
            ("parse over", "alone, before parse",
             f"{PARSE_CLIENTS} parse clients, {answers['over'][2]:,} chars")]:
        t, a = lat[name]["tutorial"], lat[alone]["tutorial"]
        ok = t["p99_ms"] < P99_TARGET_MS and set(t["statuses"]) == {200}
        line = (f"attacks tutorial p99 with {label}: {t['p99_ms']:.1f} ms (alone "
                f"{a['p99_ms']:.1f} ms; {t['rps']:.0f} vs {a['rps']:.0f} req/s; statuses "
                f"{fmt_statuses(t['statuses'])}) (target < {P99_TARGET_MS:g} ms, all 200) "
                f"{verdict(ok)}")
        log(line)
        outcomes.append(Outcome(f"attacks tutorial p99 < {P99_TARGET_MS:g} ms with {label}",
                                line, ok, lat[name]))

    pad_s = [p["s"] if p["s"] is not None else math.inf for p in lat["pads"]]
    ok_pad = all(p["status"] == 413 for p in lat["pads"]) and max(pad_s) < PAD_TARGET_S
    line = (f"attacks 32 MiB parse pads: statuses "
            f"{fmt_statuses(_count(p['status'] for p in lat['pads']))}, answered in median "
            f"{_ms(statistics.median(pad_s))}, max {_ms(max(pad_s))} (the chunked one: "
            f"{_ms(lat['pads'][-1]['s'])}) (target 413 in < {PAD_TARGET_S:g} s) "
            f"{verdict(ok_pad)}")
    log(line)
    outcomes.append(Outcome(f"attacks parse pad 413 in < {PAD_TARGET_S:g} s", line, ok_pad,
                            {"pads": lat["pads"]}))
    d = lat["pad_tutorial"]
    ok_d = d["p99_ms"] < P99_TARGET_MS and set(d["statuses"]) <= {200}
    line = (f"attacks tutorial p99 while the pads were in flight: {d['p99_ms']:.1f} ms over "
            f"{d['n']} requests (target < {P99_TARGET_MS:g} ms) {verdict(ok_d)}")
    log(line)
    outcomes.append(Outcome(f"attacks tutorial p99 < {P99_TARGET_MS:g} ms during the pads",
                            line, ok_d, d))

    parts = []
    for r in unread:
        if 503 in r["first_byte_s"]:
            m, mx = r["first_byte_s"][503]
            parts.append(f"{r['label'].split()[0]} ({r['statuses'][503]}): median {m:.2f} s, "
                         f"max {mx:.2f} s")
    if 503 in stalled["when_s"]:
        a, b, c = stalled["when_s"][503]
        parts.append(f"2 ({stalled['statuses'][503]}): {a:.1f}–{c:.1f} s after the upload "
                     "began, while sending")
    for name in ("mse", "parse at_limit", "parse largest_ok", "parse over"):
        w = lat[name]["w503"]
        if w:
            parts.append(f"{name} ({len(w)}): median {statistics.median(w):.2f} s, max "
                         f"{max(w):.2f} s")
    log("  503 waits (information): " + ("; ".join(parts) or "no 503"))

    client_500 = sum(r["statuses"].get(500, 0) for r in unread) \
        + stalled["statuses"].get(500, 0) \
        + sum(lat[name][w]["statuses"].get(500, 0) for name, *_ in LATENCY_PHASES
              for w in ("tutorial", "attack")) \
        + sum(p["status"] == 500 for p in lat["pads"]) + d["statuses"].get(500, 0)
    bad = []
    for name, rec in servers:
        log(f"  server {name}: POST statuses in its access log "
            f"{fmt_statuses(rec['access'])}; {'alive and answering' if rec['alive'] else 'DOWN'}")
        if rec["access"].get(500) or rec["problems"] or not rec["alive"]:
            bad.append(name)
        for problem in rec["problems"]:
            log(f"  server {name} LOG: {problem}")
    ok = not bad and not client_500
    line = (f"attacks: 500s seen by clients {client_500}, servers with a 500, traceback or "
            f"ERROR line in their log, or down: {', '.join(bad) or 'none'} of {len(servers)} "
            f"(target none) {verdict(ok)}")
    log(line)
    outcomes.append(Outcome("attacks: no 500, every server survives", line, ok, {}))
    return outcomes


def _count(items):
    out = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


def _ms(s):
    return "no answer" if s is None or s == math.inf else f"{s * 1e3:.0f} ms"


NAME = "attacks"
DESCRIPTION = ("hostile clients (unread answers, stalled uploads, mse and parse floods, 32 MiB "
               "pads): server memory and tutorial latency")
