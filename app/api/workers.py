"""A pool of killable worker processes: the hard time bound of DESIGN §6.

A BLAS call cannot be interrupted by a signal in the same process, so a request whose static
estimate was wrong could hold a thread for as long as it likes. Each request's work runs
in a worker process instead; when it overstays `timeout_s` the process is killed and
replaced, and the request gets 422 `limit_exceeded`. Workers also run with an address-space
limit, so a runaway allocation fails as MemoryError inside the worker. When every worker is
busy, requests wait up to `queue_timeout_s` (at most `max_queue` of them) and otherwise get
503 with Retry-After, rather than queueing without bound. A worker that dies (a bug) is
replaced the same way, and its request gets 500.
"""

import asyncio
import multiprocessing
import resource

_CONTEXT = multiprocessing.get_context("spawn")  # no fork of a process running threads


class Overloaded(Exception):
    pass


class TimeLimit(Exception):
    pass


class WorkerDied(Exception):
    pass


_STARTUP_S = 60  # importing numpy and the engine in a fresh process


def _serve(conn, settings):
    """The worker's loop: one job at a time from the pipe."""
    limit = settings.worker_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from . import jobs  # imported here: the engine and numpy load inside the worker

    conn.send("ready")
    while True:
        try:
            name, body = conn.recv()
        except EOFError:
            return
        conn.send(jobs.handle(name, body, settings))


class _Worker:
    def __init__(self, settings):
        """Start a worker and wait until it has imported everything (blocking)."""
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, settings), daemon=True)
        self.process.start()
        child.close()
        if not self.conn.poll(_STARTUP_S) or self.conn.recv() != "ready":
            self.kill()
            raise WorkerDied

    def call(self, name, body, timeout):
        """Blocking: run one job. Raises TimeLimit or WorkerDied, having killed the process."""
        try:
            self.conn.send((name, body))
            if self.conn.poll(timeout):
                return self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise WorkerDied from None
        self.kill()
        raise TimeLimit

    def kill(self):
        self.process.kill()
        self.process.join()
        self.conn.close()


class WorkerPool:
    def __init__(self, settings):
        self.settings = settings
        self._idle = []
        self._slots = None
        self._waiting = 0
        self._starting = set()

    async def start(self):
        self._slots = asyncio.Semaphore(self.settings.workers)
        self._idle = list(await asyncio.gather(
            *[asyncio.to_thread(_Worker, self.settings) for _ in range(self.settings.workers)]))

    async def stop(self):
        for task in list(self._starting):
            task.cancel()
        for worker in self._idle:
            await asyncio.to_thread(worker.kill)
        self._idle = []

    async def run(self, name, body):
        """(status, JSON bytes) of a job; raises Overloaded, TimeLimit or WorkerDied."""
        s = self.settings
        if self._waiting >= s.max_queue:
            raise Overloaded
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), s.queue_timeout_s)
        except TimeoutError:
            raise Overloaded from None
        finally:
            self._waiting -= 1
        worker = self._idle.pop()
        try:
            result = await asyncio.to_thread(worker.call, name, body, s.timeout_s)
        except (TimeLimit, WorkerDied):
            # Answer now; the slot comes back once a fresh worker is warm, so the next
            # request never pays for its start-up out of its own time budget.
            task = asyncio.create_task(self._replace())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)
            raise
        self._idle.append(worker)
        self._slots.release()
        return result

    async def _replace(self):
        while True:
            try:
                worker = await asyncio.to_thread(_Worker, self.settings)
                break
            except WorkerDied:
                await asyncio.sleep(1)
        self._idle.append(worker)
        self._slots.release()
