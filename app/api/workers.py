"""A pool of killable worker processes: a request's hard time bound, BPV_TIMEOUT_S (README.md
"Deployment").

A BLAS call cannot be interrupted by a signal in the same process, so a request whose static
estimate was wrong could hold a thread for as long as it likes. Each request's work runs
in a worker process instead, under an address-space limit (a runaway allocation fails as
MemoryError inside the worker).

Every way a job ends gives its worker back, or a warm replacement:
- it completes: the worker goes back to the idle list;
- its deadline passes (sending the body, computing, or returning the answer): a watchdog on
  the event loop kills the process, the request gets `TimeLimit`, and a replacement starts;
- the worker dies: the request gets `WorkerDied` (a 500) and a replacement starts;
- the request is cancelled (its client went away mid-stream): the worker is asked to stop,
  which a streaming job does at its next step; a job that does not listen runs on to its
  deadline, when the watchdog ends it.
The bookkeeping happens when the worker's call finishes (a future callback), not in the
request's coroutine, so it runs whatever happened to the request. Killing and reaping happen
only on the event loop's thread, never racing the thread that talks to the worker.

A slot (a semaphore unit) stands for one idle worker: a replacement releases its slot once
it has imported everything, so no request pays for a worker's start-up out of its own time.
When every worker is busy, requests wait up to `queue_timeout_s` (at most `max_queue` of
them) and otherwise get `Overloaded` (503 + Retry-After) rather than queueing without bound.
A worker found dead while idle (by the monitor or at hand-out) is reaped and replaced before
any request is given to it; one that dies so shortly before that neither saw it (the job
could not even be sent) is replaced the same way, and the job goes to another worker.
"""

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import resource
import threading
import time

_CONTEXT = multiprocessing.get_context("spawn")  # no fork of a process running threads
_STARTUP_S = 60  # importing numpy and the engine in a fresh process
_POLL_S = 0.05  # how often a thread waiting on its worker looks for a cancelled request
_MONITOR_S = 0.5  # how often idle workers are checked for having died
_RESTART_PAUSE_S = 1.0  # between attempts to start a replacement that failed to start
# Workers yield a little to the server process; not so much that a busy machine starves them.
_NICENESS = 2

log = logging.getLogger("bpv.workers")


class Overloaded(Exception):
    pass


class TimeLimit(Exception):
    pass


class WorkerDied(Exception):
    pass


class _NeverSent(WorkerDied):
    """The worker was gone before its job reached it: the job may go to another one."""


def _serve(conn, settings):
    """The worker's loop: one job at a time from the pipe. Between jobs a late "stop" (for a
    job that had already finished) may arrive; it is ignored.

    A request body and an answer travel as raw bytes after their small pickled header (a
    body can be 32 MB, an answer 16 MB): pickling them would copy each twice more."""
    limit = settings.worker_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # Engine work yields the CPU to the server process, whose event loop answers everyone
    # (small requests, /healthz, streaming) — with every worker busy it would starve.
    os.nice(_NICENESS)
    from . import jobs  # imported here: the engine and numpy load inside the worker

    def stop_requested():
        return conn.poll() and conn.recv() == "stop"

    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message == "stop":
            continue
        name, deadline, stream = message
        body = conn.recv_bytes()
        emit = (lambda piece: conn.send(("piece", piece))) if stream else None
        status, content = jobs.handle(name, body, settings, deadline, emit, stop_requested)
        conn.send(("done", status))
        conn.send_bytes(content)


class _Worker:
    def __init__(self, settings):
        """Start a worker and wait until it has imported everything (blocking)."""
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, settings), daemon=True)
        self.process.start()
        child.close()
        self.expired = False  # its job's deadline passed and the watchdog killed it
        try:
            ready = self.conn.poll(_STARTUP_S) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.reap()
            raise WorkerDied

    def call(self, name, body, deadline, on_piece, cancelled):
        """Blocking (in a pool thread): run one job, passing streamed pieces to `on_piece`;
        returns (status, bytes). Raises WorkerDied when the process is gone (killed by the
        watchdog or dead by itself). Touches only the pipe, never the process."""
        try:
            self.conn.send((name, deadline, on_piece is not None))
        except OSError:
            raise _NeverSent from None
        try:
            self.conn.send_bytes(body)
            stop_sent = False
            while True:
                if self.conn.poll(_POLL_S):
                    message = self.conn.recv()
                    if message[0] == "done":
                        return message[1], self.conn.recv_bytes()
                    on_piece(message[1])
                elif cancelled.is_set() and not stop_sent:
                    self.conn.send("stop")
                    stop_sent = True
        except (EOFError, OSError):
            raise WorkerDied from None

    def alive(self):
        """Whether an idle (or just finished) worker can take a job. Its pipe says so even
        when another thread reaped the process first (multiprocessing polls every child
        whenever it starts one): a dead worker's end of the pipe reads as EOF."""
        try:
            return self.process.is_alive() and not self.conn.poll()
        except OSError:
            return False

    def expire(self):
        """The watchdog: the job's deadline has passed."""
        self.expired = True
        self.kill()

    def kill(self):
        """Send SIGKILL (the event loop's thread only); the pipe then reports EOF."""
        if self.process.exitcode is None:
            self.process.kill()

    def reap(self):
        self.kill()
        self.process.join()
        self.conn.close()


class WorkerPool:
    def __init__(self, settings):
        self.settings = settings
        self._idle = []
        self._busy = set()
        self._slots = None  # its value is len(self._idle) whenever no coroutine is mid-step
        self._waiting = 0
        self._tasks = set()  # replacements being started, and the monitor
        self._closing = False
        self._threads = None

    async def start(self):
        """Start the workers (again after `stop`: a test may run the app's lifespan twice).
        Each busy worker and each worker starting needs a thread, never more at once."""
        self._closing = False
        self._threads = concurrent.futures.ThreadPoolExecutor(
            2 * self.settings.workers, thread_name_prefix="bpv-worker-io")
        self._slots = asyncio.Semaphore(0)
        workers = await asyncio.gather(*[self._spawn() for _ in range(self.settings.workers)])
        for worker in workers:
            self._give_back(worker)
        self._background(self._monitor())

    async def stop(self):
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        for worker in [*self._idle, *self._busy]:
            worker.reap()
        self._idle, self._busy = [], set()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def health(self):
        """Counts for /healthz: live workers (idle or busy) and idle ones."""
        idle = sum(w.alive() for w in self._idle)
        return {"live": idle + len(self._busy), "idle": idle, "size": self.settings.workers}

    async def run(self, name, body, started, on_piece=None):
        """(status, JSON bytes) of a job; raises Overloaded, TimeLimit or WorkerDied.

        The request's clock started at `started` (when its body was received); waiting for
        a free worker does not count against it. `on_piece` receives a streaming job's
        pieces, in a pool thread."""
        queued = time.monotonic()
        while True:
            try:
                return await self._run_on(await self._checkout(), name, body, started, queued,
                                          on_piece)
            except _NeverSent:
                log.info("an engine worker was gone before its job reached it; trying another")

    async def _run_on(self, worker, name, body, started, queued, on_piece):
        deadline = time.monotonic() + self.settings.timeout_s - (queued - started)
        loop = asyncio.get_running_loop()
        cancelled = threading.Event()
        self._busy.add(worker)
        call = loop.run_in_executor(self._threads, worker.call, name, body, deadline, on_piece,
                                    cancelled)
        watchdog = loop.call_at(loop.time() + max(0.0, deadline - time.monotonic()),
                                worker.expire)
        call.add_done_callback(lambda done: self._checkin(worker, done, watchdog))
        try:
            # shielded: cancelling the request must not detach the call from its bookkeeping
            return await asyncio.shield(call)
        except _NeverSent:
            raise
        except WorkerDied:
            if worker.expired:
                raise TimeLimit from None
            log.warning("an engine worker died during a request (pid %s, exit status %s)",
                        worker.process.pid, worker.process.exitcode)
            raise
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def _checkout(self):
        s = self.settings
        if self._waiting >= s.max_queue:
            raise Overloaded
        self._waiting += 1
        try:
            end = asyncio.get_running_loop().time() + s.queue_timeout_s
            while True:
                try:
                    async with asyncio.timeout_at(end):
                        await self._slots.acquire()
                except TimeoutError:
                    raise Overloaded from None
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                self._retire(worker)  # died while idle: never hand it a request
        finally:
            self._waiting -= 1

    def _checkin(self, worker, call, watchdog):
        watchdog.cancel()
        self._busy.discard(worker)
        # A worker the watchdog killed may not have died yet (a signal takes a moment), so
        # `expired` is checked, not only whether it is alive.
        ok = not call.cancelled() and call.exception() is None
        if ok and not worker.expired and worker.alive():
            self._give_back(worker)
        else:
            self._retire(worker)

    def _give_back(self, worker):
        self._idle.append(worker)
        self._slots.release()

    def _retire(self, worker):
        """Reap a dead (or to-be-killed) worker and start its replacement."""
        code = worker.process.exitcode
        worker.reap()
        if self._closing:
            return
        if code not in (None, -9):  # -9: our own watchdog's kill
            log.warning("an engine worker exited with status %s; replacing it", code)
        self._background(self._replace())

    async def _replace(self):
        while True:
            try:
                worker = await self._spawn()
                break
            except WorkerDied:
                await asyncio.sleep(_RESTART_PAUSE_S)
        self._give_back(worker)

    async def _spawn(self):
        return await asyncio.get_running_loop().run_in_executor(self._threads, _Worker,
                                                                self.settings)

    async def _monitor(self):
        """Replace workers that die while idle (killed from outside, out of memory), so the
        pool heals and /healthz tells the truth without waiting for a request."""
        while True:
            await asyncio.sleep(_MONITOR_S)
            for worker in list(self._idle):
                if not worker.alive() and not self._slots.locked():
                    await self._slots.acquire()  # immediate: a slot is free, nobody waits
                    self._idle.remove(worker)
                    self._retire(worker)

    def _background(self, coroutine):
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

