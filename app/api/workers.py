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
import time

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
            name, body, stream = conn.recv()
        except EOFError:
            return
        emit = (lambda piece: conn.send(("piece", piece))) if stream else None
        conn.send(("done", *jobs.handle(name, body, settings, emit)))


class _Worker:
    def __init__(self, settings):
        """Start a worker and wait until it has imported everything (blocking)."""
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, settings), daemon=True)
        self.process.start()
        child.close()
        try:
            ready = self.conn.poll(_STARTUP_S) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise WorkerDied

    def call(self, name, body, timeout, on_piece=None):
        """Blocking: run one job, passing streamed pieces to `on_piece`; (status, bytes).
        Raises TimeLimit or WorkerDied, having killed the process."""
        deadline = time.monotonic() + timeout
        try:
            self.conn.send((name, body, on_piece is not None))
            while self.conn.poll(max(0.0, deadline - time.monotonic())):
                message = self.conn.recv()
                if message[0] == "done":
                    return message[1], message[2]
                on_piece(message[1])
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

    async def run(self, name, body, on_piece=None):
        """(status, JSON bytes) of a job; raises Overloaded, TimeLimit or WorkerDied.
        `on_piece` receives a streaming job's pieces, in a worker thread."""
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
            result = await asyncio.to_thread(worker.call, name, body, s.timeout_s, on_piece)
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

    async def stream(self, name, body):
        """Async iterator over a streaming job: ("piece", bytes)… then ("done", status,
        bytes), or ("error", exception) if the pool could not finish it."""
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue()

        async def produce():
            try:
                status, content = await self.run(
                    name, body, lambda piece: loop.call_soon_threadsafe(queue.put_nowait,
                                                                        ("piece", piece)))
                queue.put_nowait(("done", status, content))
            except (Overloaded, TimeLimit, WorkerDied) as e:
                queue.put_nowait(("error", e))

        task = asyncio.create_task(produce())
        try:
            while True:
                message = await queue.get()
                yield message
                if message[0] != "piece":
                    return
        finally:
            await task

    async def _replace(self):
        while True:
            try:
                worker = await asyncio.to_thread(_Worker, self.settings)
                break
            except WorkerDied:
                await asyncio.sleep(1)
        self._idle.append(worker)
        self._slots.release()
