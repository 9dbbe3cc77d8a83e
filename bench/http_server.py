"""Serving an ASGI app for the HTTP benchmarks: `uvicorn MODULE:app` on 127.0.0.1 at a free
port, as a child process of the benchmark, the way `make run` serves the app (one uvicorn
process with its defaults, access log included; the app starts its own BPV_WORKERS engine
processes).

Loopback only: every URL handed out or requested here is http://127.0.0.1:PORT/..., and the
HTTP client ignores proxy settings from the environment (trust_env=False), so no request
can leave the machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0  # the app spawns its worker processes before it answers
STOP_TIMEOUT_S = 10.0


class ServerError(RuntimeError):
    """The server did not start, or died."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller retries on a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def check_loopback(url: str) -> str:
    """Refuse any URL that is not plain http on 127.0.0.1."""
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or u.hostname != HOST:
        raise ValueError(f"refusing a non-loopback URL: {url!r}")
    return url


def client(timeout: float = 60.0):
    """A keep-alive httpx client for loopback use only (no proxies from the environment)."""
    import httpx

    return httpx.Client(trust_env=False, timeout=timeout,
                        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))


def server_env() -> dict:
    """The environment of the server: ours, minus the benchmark's own knobs (BPV_LOAD_*),
    so the app runs with its defaults unless the user set BPV_* deliberately."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BPV_LOAD_")}


def app_overrides() -> dict:
    """BPV_* settings the server will see (empty: the app's defaults)."""
    return {k: v for k, v in server_env().items() if k.startswith("BPV_")}


class Server:
    """`with Server("app.main:app") as srv: srv.url("/api/graph")`.

    Starts `python -m uvicorn TARGET --host 127.0.0.1 --port P` (the venv's python) in its
    own session with stdout+stderr to a temporary log file, waits until GET `ready_path`
    answers (`ready_any`: any HTTP status will do, else only 200), and always stops it on
    exit: SIGTERM (uvicorn's graceful shutdown, which lets the app stop its workers), then
    SIGKILL to the whole process group if it is still there after STOP_TIMEOUT_S.
    """

    def __init__(self, target: str, ready_path: str = "/healthz", ready_any: bool = False,
                 attempts: int = 3, env: dict | None = None):
        self.target = target
        self.env = {**server_env(), **(env or {})}
        self.ready_path = ready_path
        self.ready_any = ready_any
        self.attempts = attempts
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path: Path | None = None
        self._log = None

    # -- public

    def url(self, path: str) -> str:
        return check_loopback(f"http://{HOST}:{self.port}{path}")

    def log_text(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self):
        last = None
        for _ in range(self.attempts):
            try:
                self._start()
                return self
            except ServerError as e:  # e.g. the port was taken between probe and bind
                last = e
                self._stop()
        raise last

    def __exit__(self, *exc):
        self._stop()
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
        return False

    # -- internals

    def _start(self):
        self.port = free_port()
        fd, name = tempfile.mkstemp(prefix="bpv-bench-server-", suffix=".log")
        self.log_path = Path(name)
        self._log = os.fdopen(fd, "wb")
        cmd = [sys.executable, "-m", "uvicorn", self.target, "--host", HOST,
               "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_ready()

    def _wait_ready(self):
        import httpx

        url = self.url(self.ready_path)
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(trust_env=False, timeout=2.0) as c:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise ServerError(f"{self.target} exited with status {self.proc.returncode} "
                                      f"before answering; its log ends:\n{self._tail()}")
                try:
                    r = c.get(url)
                    if self.ready_any or r.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise ServerError(f"{self.target} did not answer GET {self.ready_path} within "
                          f"{START_TIMEOUT_S:.0f} s; its log ends:\n{self._tail()}")

    def _tail(self, n: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def _stop(self):
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    # still there (so its process group id is still ours): kill the group
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(STOP_TIMEOUT_S)
            # leftovers of the group we started (an engine worker that outlived uvicorn);
            # while any member lives, the group id cannot have been reused
            if _group_members(proc.pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None


def processes() -> list[tuple[int, int, int, str]]:
    """(pid, parent pid, process group, state letter) of every process (Linux /proc; empty
    elsewhere). State "Z" is a zombie, "T" a stopped process."""
    out = []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2:].split()  # after "pid (comm) "
            out.append((int(entry), int(fields[1]), int(fields[2]), fields[0].decode()))
    return out


def _group_members(pgid: int) -> list[int]:
    """Pids of live processes in process group `pgid`."""
    return [pid for pid, _, group, state in processes() if group == pgid and state != "Z"]


def server_problems(log: str, limit: int = 5) -> list[str]:
    """Tracebacks and ERROR lines from a server log (first `limit`), for the report."""
    lines = log.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback") or line.startswith("ERROR"):
            out.append(" | ".join(lines[i:i + 12]) if line.startswith("Traceback") else line)
            if len(out) >= limit:
                break
    return out


def access_status_counts(log: str, method: str = "POST") -> dict:
    """{status: count} of `method` requests from uvicorn's access log lines
    (`... "POST /x HTTP/1.1" 200 OK`); the readiness probes are GETs."""
    counts: dict = {}
    for line in log.splitlines():
        if f'"{method} ' in line and "HTTP/1.1\" " in line:
            tail = line.rsplit('" ', 1)[-1].split()
            if tail and tail[0].isdigit():
                counts[int(tail[0])] = counts.get(int(tail[0]), 0) + 1
    return counts
