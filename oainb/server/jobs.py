"""Bounded job lanes: model work runs in worker threads, never on the event loop.

Each engine kind (text, speech-to-text, text-to-speech) has a :class:`Lane`: one worker thread
(the models are not thread-safe and the machine has few cores) and a bounded queue of waiting
jobs. A full queue is a 429 with ``retry-after``. A :class:`Job` is a function run in the worker;
it hands items (stream events, audio chunks) to :meth:`Job.emit`, and any number of asyncio
readers follow them with :meth:`Job.follow`, from the first item or from any later one.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from oainb.server.errors import ServerError

__all__ = ["Activity", "Job", "Lane"]

log = logging.getLogger("oainb.server")
_ids = itertools.count(1)


class Job:
    """One unit of model work and the items it has produced so far."""

    def __init__(self, fn: Callable[[Job], Any], *, name: str = "") -> None:
        self.fn = fn
        self.name = name or f"job-{next(_ids)}"
        self.cancel = threading.Event()
        self.items: list[Any] = []
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self._claimed = False
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    # -- worker side -------------------------------------------------------------------------
    def claim(self) -> bool:
        """Reserve the job for running; False if someone already did."""
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def run(self) -> None:
        """Run the job's function in the current thread and record how it ended."""
        try:
            self.result = self.fn(self)
        except BaseException as exc:
            self.error = exc
            # Bad input (ServerError, or an engine's ValueError) is the client's to read in
            # the answer; anything else is a bug worth a traceback in the server log.
            if not isinstance(exc, (ServerError, ValueError)):
                log.exception("%s failed", self.name)
        finally:
            with self._lock:
                self.done = True
            self._wake()

    def emit(self, item: Any) -> None:
        """Publish one item to every reader (called from the worker thread)."""
        with self._lock:
            self.items.append(item)
        self._wake()

    def _wake(self) -> None:
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the reader's loop is closed: nobody to wake
                pass

    # -- reader side -------------------------------------------------------------------------
    async def follow(self, start: int = 0) -> AsyncIterator[Any]:
        """Yield items from index ``start`` on, live, until the job is done."""
        index = start
        while True:
            with self._lock:
                fresh = self.items[index:]
                finished = self.done
                event: asyncio.Event | None = None
                if not fresh and not finished:
                    event = asyncio.Event()
                    self._waiters.append((asyncio.get_running_loop(), event))
            for item in fresh:
                yield item
            index += len(fresh)
            if event is not None:
                await event.wait()
            elif finished and not fresh:
                return
            else:
                # A fast producer always has fresh items: give the loop a turn anyway, so it
                # notices a reader that left and serves other requests.
                await asyncio.sleep(0)

    async def started(self) -> None:
        """Wait for the first item, or for the end; raise the job's error if it failed first.

        Lets a route answer with a proper error status when the work fails before producing
        anything, instead of a 200 whose stream then breaks.
        """
        async for _ in self.follow(0):
            return
        if self.error is not None:
            raise self.error

    async def wait(self) -> Any:
        """Wait for the job to finish; return its result or raise its error."""
        async for _ in self.follow(len(self.items)):
            pass
        if self.error is not None:
            raise self.error
        return self.result


class Lane:
    """A worker thread fed by a bounded queue of jobs."""

    def __init__(self, name: str, *, queue_size: int, activity: Activity | None = None) -> None:
        self.name = name
        self.queue_size = queue_size
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=queue_size)
        self._activity = activity
        self._thread = threading.Thread(target=self._work, name=f"oainb-{name}", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[Job], Any], *, name: str = "") -> Job:
        """Queue ``fn`` as a new job; a 429 with ``retry-after`` if the queue is full."""
        return self.put(Job(fn, name=name))

    def put(self, job: Job) -> Job:
        """Queue a job made beforehand; a 429 with ``retry-after`` if the queue is full."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise ServerError(
                429,
                f"The local {self.name} engine is busy: {self.queue_size} requests are already "
                "waiting. Retry in a few seconds.",
                code="rate_limit_exceeded",
                type="rate_limit_exceeded",
                headers={"retry-after": "2"},
            ) from None
        if self._activity is not None:
            self._activity.job_started()
        return job

    def cancel(self, job: Job) -> None:
        """Ask a job to stop; a job still waiting in the queue is finished here, at once.

        The job's function sees ``job.cancel`` set and must end quickly without model work.
        Blocking: call it from a thread, not from the event loop.
        """
        job.cancel.set()
        if job.claim():
            self._finish(job)

    def close(self) -> None:
        """Stop the worker once the jobs already queued are done."""
        self._queue.put(None)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.claim():
                self._finish(job)

    def _finish(self, job: Job) -> None:
        try:
            job.run()
        finally:
            if self._activity is not None:
                self._activity.job_ended()


class Activity:
    """When the server last did anything, so it can exit by itself after a while idle."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self.last = time.monotonic()

    def touch(self) -> None:
        with self._lock:
            self.last = time.monotonic()

    def job_started(self) -> None:
        with self._lock:
            self._busy += 1
            self.last = time.monotonic()

    def job_ended(self) -> None:
        with self._lock:
            self._busy -= 1
            self.last = time.monotonic()

    def idle_for(self) -> float:
        """Seconds since the last request or job ended; 0 while a job runs."""
        with self._lock:
            return 0.0 if self._busy else time.monotonic() - self.last
