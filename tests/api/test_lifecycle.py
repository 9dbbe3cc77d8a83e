"""Every way a request ends gives back what it held (issue: survive every client).

These tests run the real server (uvicorn in a child process) and talk to it over raw
sockets, so that a client can really go away: before, during or after its upload, while its
job is queued or computing, in the middle of a stream. Workers are killed and stopped from
outside. Afterwards every pool slot is free, no child is a zombie, and every endpoint
answers correctly within a second.

The server runs with a short time bound (BPV_TIMEOUT_S) so that a slow job is a timeout;
waits are for conditions, with generous limits, never fixed sleeps.
"""

import concurrent.futures
import os
import random
import signal
import socket
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_server import HOST, Server, processes, server_problems  # noqa: E402

TIMEOUT_S = 1.0  # the server's time bound: the slow job below needs ~1.5 s or more
READ_TIMEOUT_S = 1.5  # a body must have arrived by then
WRITE_TIMEOUT_S = 1.0  # a client may read nothing of its answer this long
SETTLE_S = 60.0  # how long the pool may take to be whole again (replacements under load)

TUTORIAL = {"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}}
TRAIN = {"expression": "mse(w * X + b, Y)",
         "values": {"w": 0, "b": 0, "X": [[-1, -0.5, 0, 0.5, 1]], "Y": [[-1, 0, 1, 2, 3]]},
         "params": ["w", "b"], "optimizer": {"name": "sgd", "lr": 0.5}, "steps": 10_000}
LANDSCAPE = {"expression": "mse(w * X + b, Y)",
             "values": {"w": 0, "b": 0, "X": [[-1, 0, 1]], "Y": [[-1, 1, 3]]},
             "params": ["w", "b"], "ranges": {"w": [-1, 4], "b": [-2, 3]}, "resolution": 21}


def slow_graph():
    """Cheap to send (5,000 numbers), ~1.5 s of broadcasting in a worker (with the raised
    element limits below): a timeout here."""
    a = [[i / 1000 for i in range(1000)]]
    b = [[i / 777] for i in range(4000)]
    return {"expression": "sum(sin(a + b)) + sum(cos(a * b)) + sum(sin(a - b))",
            "values": {"a": a, "b": b}}


def big_gradcheck():
    """A ~2 MB body: the tutorial with unused vectors, sent to a worker."""
    return {**TUTORIAL, "values": {**TUTORIAL["values"],
                                   **{f"u{k}": [0.5] * 50_000 for k in range(8)}}}


# (path, body, extra headers): every endpoint, streamed and not, small and pooled
ENDPOINTS = {
    "graph": ("/api/graph", TUTORIAL, {}),
    "graph-slow": ("/api/graph", slow_graph(), {}),
    "gradcheck": ("/api/gradcheck", TUTORIAL, {}),
    "gradcheck-big": ("/api/gradcheck", big_gradcheck(), {}),
    "train": ("/api/train", TRAIN, {}),
    "train-stream": ("/api/train", TRAIN, {"accept": "application/x-ndjson"}),
    "landscape": ("/api/landscape", LANDSCAPE, {}),
    "parse": ("/api/parse", {"expression": "q = x + y; q * z"}, {}),
}


@pytest.fixture(scope="module")
def server():
    with Server("app.main:app", env={"BPV_TIMEOUT_S": str(TIMEOUT_S), "BPV_WORKERS": "2",
                                     "BPV_QUEUE_TIMEOUT_S": "2",
                                     "BPV_MAX_TOTAL_ELEMENTS": "64000000",
                                     "BPV_MAX_FLOPS": "2e10",
                                     "BPV_READ_TIMEOUT_S": str(READ_TIMEOUT_S),
                                     "BPV_WRITE_TIMEOUT_S": str(WRITE_TIMEOUT_S)}) as srv:
        yield srv


# ---------------------------------------------------------------- raw HTTP

def _request_bytes(path, body, headers):
    head = [f"POST {path} HTTP/1.1", f"Host: {HOST}", "Content-Type: application/json",
            f"Content-Length: {len(body)}", "Connection: close",
            *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def _connect(server):
    sock = socket.create_connection((HOST, server.port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    return sock


def _read_all(sock):
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _status(response):
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else None


def end_request(server, name, ending, rng):
    """Send one request to endpoint `name` and end it as `ending` says; returns the status
    when the client read a response, else None."""
    path, payload, headers = ENDPOINTS[name]
    body = orjson.dumps(payload)
    sock = _connect(server)
    try:
        sock.sendall(_request_bytes(path, body, headers))
        if ending == "during-upload":
            sock.sendall(body[:rng.randrange(len(body))])
            time.sleep(rng.uniform(0, 0.05))
            return None
        sock.sendall(body)
        if ending == "after-upload":  # queued, computing, or answering: a random moment
            time.sleep(rng.uniform(0, 0.4))
            return None
        if ending == "mid-stream":
            first = sock.recv(4096)
            time.sleep(rng.uniform(0, 0.1))
            return _status(first)
        return _status(_read_all(sock))  # complete (a timeout is a complete 422 too)
    finally:
        sock.close()  # SO_LINGER 0: a reset, the rudest way to go


# ---------------------------------------------------------------- the server's state

def worker_pids(server):
    """The engine workers: the server's child processes (not multiprocessing's resource
    tracker, which is one too)."""
    return [pid for pid, ppid, state in _processes() if ppid == server.proc.pid
            and state != "Z" and b"spawn_main" in _cmdline(pid)]


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def exited(pid):
    """Whether a process has finished exiting: gone, or a zombie whose threads have all
    exited too. A worker has threads (BLAS, its stop listener): its main thread can show as a
    zombie while the others are still exiting, and the files they share (its pipe to the
    server) close only with the last of them; until then the server can still write to it.
    Not `pid not in worker_pids`: an exiting process's cmdline reads empty while its pipe to
    the server is still open."""
    if any(p == pid and state != "Z" for p, _, state in _processes()):
        return False
    try:
        return os.listdir(f"/proc/{pid}/task") in ([], [str(pid)])
    except OSError:  # reaped: gone
        return True


def frozen(server):
    return [pid for pid, ppid, state in _processes() if ppid == server.proc.pid
            and state == "T"]


def zombies(server):
    return [pid for pid, ppid, state in _processes() if ppid == server.proc.pid
            and state == "Z"]


def _processes():
    return [(pid, ppid, state) for pid, ppid, _, state in processes()]


def wait_until_whole(server, http):
    """Block until every pool slot is free (all workers alive and idle) and no child is a
    zombie; fail with what was seen if that does not happen within SETTLE_S."""
    deadline = time.monotonic() + SETTLE_S
    seen = None
    while time.monotonic() < deadline:
        r = http.get(server.url("/healthz?workers=true"))
        seen = (r.status_code, r.text, zombies(server))
        if r.status_code == 200:
            w = r.json()["workers"]
            if w["idle"] == w["live"] == w["size"] and not seen[2] \
                    and len(worker_pids(server)) == w["size"]:
                return
        time.sleep(0.05)
    pytest.fail(f"the pool never became whole again: {seen}, children "
                f"{worker_pids(server)}; log:\n{server.log_text()[-3000:]}")


def assert_every_endpoint_answers(server, http):
    """Each endpoint gives its correct answer, each within a second."""
    checks = {
        "/api/graph": (TUTORIAL, lambda b: b["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}),
        "/api/gradcheck": (TUTORIAL, lambda b: b["max_rel_error"] < 1e-6),
        "/api/train": ({**TRAIN, "steps": 100},
                       lambda b: abs(b["params"]["w"] - 2) < 1e-3 and abs(b["params"]["b"] - 1)
                       < 1e-3),
        "/api/landscape": (LANDSCAPE, lambda b: len(b["loss"]) == 21),
        "/api/parse": ({"expression": "q = x + y; q * z"},
                       lambda b: b == {"variables": ["x", "y", "z"], "names": ["q"]}),
    }
    for path, (payload, ok) in checks.items():
        t = time.monotonic()
        r = http.post(server.url(path), json=payload)
        elapsed = time.monotonic() - t
        assert r.status_code == 200 and ok(r.json()), (path, r.status_code, r.text[:300])
        assert elapsed < 1.0, (path, elapsed)


def wait_for(condition, what, limit=SETTLE_S):
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {limit} s for {what}")
        time.sleep(0.01)


@pytest.fixture
def http():
    with httpx.Client(trust_env=False, timeout=30) as c:
        yield c


# ---------------------------------------------------------------- tests

ENDINGS = ["complete", "during-upload", "after-upload", "mid-stream"]


def test_every_ending_of_every_request_gives_back_its_worker(server, http):
    """Each endpoint × each ending, several times at random moments, many at once."""
    rng = random.Random(8)
    jobs = [(name, ending, random.Random(rng.random()))
            for _ in range(3) for name in ENDPOINTS for ending in ENDINGS
            if ending != "mid-stream" or name == "train-stream"]
    rng.shuffle(jobs)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda job: end_request(server, *job), jobs))
    # a client that read its answer got a proper one: never a 500
    seen = [(job[:2], status) for job, status in zip(jobs, statuses) if status is not None]
    assert {status for _, status in seen} <= {200, 422, 503}, (
        [x for x in seen if x[1] not in (200, 422, 503)], server_problems(server.log_text()))
    wait_until_whole(server, http)
    assert_every_endpoint_answers(server, http)


def test_pressing_pause_over_and_over_leaks_nothing(server, http):
    """The training lab's Pause: a streamed run dropped after its first line, twenty times
    in a row (this took the pool down for good)."""
    rng = random.Random(2)
    for _ in range(20):
        assert end_request(server, "train-stream", "mid-stream", rng) == 200
    wait_until_whole(server, http)
    assert_every_endpoint_answers(server, http)


def test_a_worker_killed_mid_request_is_replaced(server, http):
    rng = random.Random(3)
    for _ in range(4):
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(end_request, server, "graph-slow", "complete", rng)
            time.sleep(rng.uniform(0, 0.2))
            for pid in worker_pids(server)[:1]:
                os.kill(pid, signal.SIGKILL)
            assert pending.result() in (200, 422, 500)
        wait_until_whole(server, http)
    assert_every_endpoint_answers(server, http)


def test_stopped_workers_cost_one_time_bound_not_the_pool(server, http):
    """Both workers frozen (SIGSTOP): a 2 MB gradient check is answered at its deadline, not
    hung, and the pool replaces what it had to kill."""
    wait_until_whole(server, http)
    for pid in worker_pids(server):
        os.kill(pid, signal.SIGSTOP)
    path, payload, _ = ENDPOINTS["gradcheck-big"]
    t = time.monotonic()
    r = http.post(server.url(path), json=payload)
    assert time.monotonic() - t < TIMEOUT_S + 5, time.monotonic() - t
    assert r.status_code in (422, 503), r.text[:300]
    # the other frozen worker is found out by the next requests' deadlines in the same way
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            rs = list(pool.map(lambda _: http.post(server.url("/api/gradcheck"), json=TUTORIAL),
                               range(2)))
        if all(x.status_code == 200 for x in rs) and not frozen(server):
            break
    wait_until_whole(server, http)
    assert_every_endpoint_answers(server, http)


def test_a_worker_that_died_while_idle_is_never_handed_a_request(server, http):
    wait_until_whole(server, http)
    pid = worker_pids(server)[0]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: exited(pid), "the killed worker to exit")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        rs = list(pool.map(lambda _: http.post(server.url("/api/gradcheck"), json=TUTORIAL),
                           range(2)))
    if [r.status_code for r in rs] != [200, 200]:
        log = [line for line in server.log_text().splitlines() if '"GET /healthz' not in line]
        pytest.fail(f"{[r.status_code for r in rs]}: {[r.text[:200] for r in rs]}\n"
                    + "\n".join(log[-60:]))
    wait_until_whole(server, http)


def test_healthz_is_not_ready_while_no_worker_lives(server, http):
    """Kill every worker: /healthz says 503 until replacements are warm, then 200."""
    wait_until_whole(server, http)
    for pid in worker_pids(server):
        os.kill(pid, signal.SIGKILL)
    statuses = []
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        statuses.append(http.get(server.url("/healthz")).status_code)
        if statuses[-1] == 200 and 503 in statuses:
            break
        time.sleep(0.01)
    assert 503 in statuses and statuses[-1] == 200, statuses[-5:]
    wait_until_whole(server, http)


def test_a_client_gone_mid_upload_costs_one_log_line(server, http):
    before = server.log_text()
    rng = random.Random(5)
    for _ in range(5):
        end_request(server, "gradcheck-big", "during-upload", rng)
    wait_until_whole(server, http)
    new = server.log_text()[len(before):]
    assert "Traceback" not in new, new[-3000:]
    assert len(new.splitlines()) < 40, new[-3000:]


def test_a_stalled_upload_is_answered_408_and_let_go(server, http):
    path, payload, _ = ENDPOINTS["gradcheck-big"]
    body = orjson.dumps(payload)
    sock = _connect(server)
    try:
        sock.sendall(_request_bytes(path, body, {}) + body[:len(body) // 2])
        t = time.monotonic()
        response = _read_all(sock)  # the server answers and closes; we send nothing more
        elapsed = time.monotonic() - t
    finally:
        sock.close()
    assert _status(response) == 408, response[:300]
    assert b"request_timeout" in response
    assert READ_TIMEOUT_S - 0.1 < elapsed < READ_TIMEOUT_S + 5, elapsed
    wait_until_whole(server, http)


def test_a_client_that_reads_nothing_is_dropped(server, http):
    """A ~9 MB answer to a client that never reads: once nothing has moved for the write
    timeout, the server gives up on the answer (and lets go of it) instead of holding it
    for as long as the client likes."""
    program = " + ".join(f"x{i % 50} * y{i % 30}" for i in range(5000))
    values = {**{f"x{i}": 0.5 for i in range(50)}, **{f"y{i}": 1.5 for i in range(30)}}
    body = orjson.dumps({"expression": program, "values": values})
    before = len(server.log_text())
    sock = _connect(server)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel buffers fill fast
    try:
        sock.sendall(_request_bytes("/api/graph", body, {}) + body)
        wait_for(lambda: "read nothing" in server.log_text()[before:],
                 "the server to drop the client that does not read")
    finally:
        sock.close()
    wait_until_whole(server, http)
