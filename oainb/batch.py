"""Many requests at once: a concurrency cap, an rpm limit, retry-after and a progress bar.

```python
import oainb.batch
done = oainb.batch.transcribe(["a.wav", "b.wav", "c.wav"], concurrency=4, rpm=50)
done.results          # the transcripts that succeeded, in input order
done.errors           # the inputs that failed, each with its error, in input order
```

Each public function exists twice. `transcribe`, `respond` and `speak` block and
run the requests on worker threads with the sync `Client`, so they work from a
plain script and from a notebook cell alike (a Jupyter kernel already runs an
event loop, so a sync function may not start another one). `atranscribe`,
`arespond` and `aspeak` are coroutines for `await` at the top of a cell; they run
the requests as tasks with `AsyncClient`. Both call the same library functions as
the magics (`oainb.notebook.actions`), and both drivers share the bookkeeping in
`_Batch`, so they differ only in how they wait.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from oainb._batch_result import (
    BatchItem,
    BatchResult,
    NoProgress,
    Progress,
    TextProgress,
    result_cost,
)
from oainb._ratelimit import RateLimiter, retry_after_seconds

__all__ = [
    "BatchItem",
    "BatchResult",
    "TextProgress",
    "arespond",
    "arun",
    "aspeak",
    "atranscribe",
    "respond",
    "run",
    "speak",
    "transcribe",
]

Clock = Callable[[], float]


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def make_progress(progress: Any) -> Progress:
    """Turn the `progress=` argument into a `Progress`.

    `True` picks a widget inside a Jupyter kernel and a text line elsewhere;
    `"widget"` and `"text"` force one; `False`/`None` show nothing; any other
    object is used as it is.
    """
    if progress is True:
        progress = "widget" if _in_kernel() else "text"
    if progress == "widget":
        from oainb.notebook.widgets import BatchProgress

        return BatchProgress()
    if progress == "text":
        return TextProgress()
    if progress is False or progress is None:
        return NoProgress()
    return progress  # type: ignore[no-any-return]


class _Batch:
    """The bookkeeping both drivers share: items, retries, limiter, progress (no I/O)."""

    def __init__(
        self,
        kind: str,
        inputs: Iterable[Any],
        *,
        rpm: float | None,
        max_attempts: int,
        progress: Any,
        clock: Clock,
        cost_of: Callable[[Any], Any],
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts!r}.")
        self.kind = kind
        self.items = [BatchItem(index=i, input=x) for i, x in enumerate(inputs)]
        self.limiter = RateLimiter(rpm)
        self.max_attempts = max_attempts
        self.progress: Progress = make_progress(progress)
        self.clock = clock
        self.cost_of = cost_of
        self._lock = threading.Lock()  # sync workers record from several threads
        self._started = clock()

    def workers(self, concurrency: int) -> int:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency!r}.")
        return max(1, min(concurrency, len(self.items)))

    def record(self, item: BatchItem, *, result: Any = None, error: Exception | None = None) -> bool:
        """Store one attempt's outcome; return True when the item should be tried again."""
        with self._lock:
            item.attempts += 1
            if error is None:
                item.result, item.error, item.done = result, None, True
                item.cost = self.cost_of(result)
                return False
            delay = retry_after_seconds(error)
            if delay is not None and item.attempts < self.max_attempts:
                # Every worker waits, not only this one: the limit is per account.
                self.limiter.pause_until(self.clock() + delay)
                return True
            item.error, item.done = error, True
            return False

    def start(self) -> None:
        self.progress.start(len(self.items), self.kind)

    def update(self) -> None:
        self.progress.update(self.snapshot())

    def finish(self) -> BatchResult:
        result = BatchResult(self.kind, self.items, elapsed=self.clock() - self._started)
        result.progress = self.progress
        self.progress.finish(result)
        return result

    def snapshot(self) -> BatchResult:
        return BatchResult(self.kind, self.items, elapsed=self.clock() - self._started)


def run(
    fn: Callable[[Any], Any],
    inputs: Iterable[Any],
    *,
    kind: str = "batch",
    concurrency: int = 4,
    rpm: float | None = None,
    max_attempts: int = 3,
    progress: Any = True,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    cost_of: Callable[[Any], Any] = result_cost,
) -> BatchResult:
    """Call `fn(input)` for every input on worker threads; block until all are done.

    ```python
    done = run(lambda p: my_call(p), ["a", "b"], concurrency=2, rpm=60)
    ```

    Args:
        fn: the call to make for one input. An exception it raises is recorded
            beside that input; a rate-limit error with a retry-after is retried.
        concurrency: how many calls may be in flight at once.
        rpm: at most this many calls start per minute (`None`: no limit).
        max_attempts: tries per input when the server asks to retry after a delay.
        progress: `True` (a widget in a notebook, a text line elsewhere),
            `False`, `"widget"`, `"text"`, or an object with the `Progress` methods.
        clock, sleep: injectable, so tests can run the limiter on a fake clock.
        cost_of: the `CostEstimate` of one result (`.usd`, `.local`), or `None`.

    Returns:
        A `BatchResult`: every input in order, with its result or its error.
    """
    batch = _Batch(kind, inputs, rpm=rpm, max_attempts=max_attempts, progress=progress,
                   clock=clock, cost_of=cost_of)
    gate = threading.Lock()

    def work(item: BatchItem) -> None:
        again = True
        while again:
            with gate:  # one worker at a time waits for the next start slot
                _sleep_until(batch.limiter.reserve(clock()), clock, sleep)
            try:
                result = fn(item.input)
            except Exception as exc:  # noqa: BLE001 - recorded beside its input, never dropped
                again = batch.record(item, error=exc)
            else:
                again = batch.record(item, result=result)

    batch.start()
    pool = ThreadPoolExecutor(batch.workers(concurrency), thread_name_prefix="oainb-batch")
    try:
        futures = [pool.submit(work, item) for item in batch.items]
        for future in as_completed(futures):
            future.result()  # a bug in `work` itself keeps its traceback
            batch.update()  # the progress widget is only touched from this thread
    finally:
        # On Ctrl-C, stop queued inputs at once instead of waiting for all of them.
        pool.shutdown(wait=False, cancel_futures=True)
    return batch.finish()


async def arun(
    afn: Callable[[Any], Awaitable[Any]],
    inputs: Iterable[Any],
    *,
    kind: str = "batch",
    concurrency: int = 4,
    rpm: float | None = None,
    max_attempts: int = 3,
    progress: Any = True,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    cost_of: Callable[[Any], Any] = result_cost,
) -> BatchResult:
    """Await `afn(input)` for every input as concurrent tasks; the async twin of `run`.

    ```python
    done = await arun(my_async_call, ["a", "b"], concurrency=2, rpm=60)
    ```

    Takes the same arguments as `run`; `sleep` is a coroutine function here.
    """
    batch = _Batch(kind, inputs, rpm=rpm, max_attempts=max_attempts, progress=progress,
                   clock=clock, cost_of=cost_of)
    gate = asyncio.Lock()
    pending = iter(batch.items)

    async def work() -> None:
        for item in pending:  # the workers share one iterator: each takes the next input
            again = True
            while again:
                async with gate:
                    await _asleep_until(batch.limiter.reserve(clock()), clock, sleep)
                try:
                    result = await afn(item.input)
                except Exception as exc:  # noqa: BLE001 - recorded beside its input
                    again = batch.record(item, error=exc)
                else:
                    again = batch.record(item, result=result)
            batch.update()

    batch.start()
    await asyncio.gather(*(work() for _ in range(batch.workers(concurrency))))
    return batch.finish()


def _sleep_until(when: float, clock: Clock, sleep: Callable[[float], None]) -> None:
    delay = when - clock()
    if delay > 0:
        sleep(delay)


async def _asleep_until(
    when: float, clock: Clock, sleep: Callable[[float], Awaitable[None]]
) -> None:
    delay = when - clock()
    if delay > 0:
        await sleep(delay)


def transcribe(
    paths: Sequence[Any], *, concurrency: int = 4, rpm: float | None = None,
    client: Any = None, progress: Any = True, max_attempts: int = 3, **options: Any,
) -> BatchResult:
    """Transcribe many audio files (paths, URLs or bytes), with a progress bar.

    ```python
    done = oainb.batch.transcribe(sorted(Path("calls").glob("*.wav")), rpm=50)
    for t in done.results: print(t.text)
    ```

    Args:
        paths: the sources, anything `oainb.notebook.actions.transcribe` accepts.
        concurrency, rpm, progress, max_attempts: as for `run`.
        client: the sync `Client` to use (default: the session's).
        options: passed to every call (`model=`, `language=`, `response_format=`...).

    Returns:
        A `BatchResult` of `Transcript`s, with the failures listed beside them.
    """
    return run(_action("transcribe", client, options), paths, kind="transcribe",
               concurrency=concurrency, rpm=rpm, progress=progress, max_attempts=max_attempts)


def respond(
    prompts: Sequence[Any], *, concurrency: int = 4, rpm: float | None = None,
    client: Any = None, progress: Any = True, max_attempts: int = 3, **options: Any,
) -> BatchResult:
    """Answer many prompts with the Responses API; a `BatchResult` of `Reply`s in order.

    ```python
    done = oainb.batch.respond([f"Summarise: {doc}" for doc in docs], model="gpt-4o-mini")
    ```

    Arguments are those of `transcribe`. Streaming is off unless `stream=True` is
    passed: nobody reads eight streams at once.
    """
    options.setdefault("stream", False)
    return run(_action("respond", client, options), prompts, kind="respond",
               concurrency=concurrency, rpm=rpm, progress=progress, max_attempts=max_attempts)


def speak(
    texts: Sequence[str], *, concurrency: int = 4, rpm: float | None = None,
    client: Any = None, progress: Any = True, max_attempts: int = 3, **options: Any,
) -> BatchResult:
    """Synthesise many texts; a `BatchResult` of `SpeechClip`s in order.

    ```python
    done = oainb.batch.speak(lines, voice="alloy")
    for i, clip in enumerate(done.results): clip.save(f"line{i}.mp3")
    ```
    """
    return run(_action("speak", client, options), texts, kind="speak",
               concurrency=concurrency, rpm=rpm, progress=progress, max_attempts=max_attempts)


async def atranscribe(
    paths: Sequence[Any], *, concurrency: int = 4, rpm: float | None = None,
    client: Any = None, progress: Any = True, max_attempts: int = 3, **options: Any,
) -> BatchResult:
    """Async twin of `transcribe` (`client` is an `AsyncClient`): `await` it in a cell."""
    return await arun(_action("atranscribe", client, options), paths, kind="transcribe",
                      concurrency=concurrency, rpm=rpm, progress=progress,
                      max_attempts=max_attempts)


async def arespond(
    prompts: Sequence[Any], *, concurrency: int = 4, rpm: float | None = None,
    client: Any = None, progress: Any = True, max_attempts: int = 3, **options: Any,
) -> BatchResult:
    """Async twin of `respond` (`client` is an `AsyncClient`)."""
    options.setdefault("stream", False)
    return await arun(_action("arespond", client, options), prompts, kind="respond",
                      concurrency=concurrency, rpm=rpm, progress=progress,
                      max_attempts=max_attempts)


async def aspeak(
    texts: Sequence[str], *, concurrency: int = 4, rpm: float | None = None,
    client: Any = None, progress: Any = True, max_attempts: int = 3, **options: Any,
) -> BatchResult:
    """Async twin of `speak` (`client` is an `AsyncClient`)."""
    return await arun(_action("aspeak", client, options), texts, kind="speak",
                      concurrency=concurrency, rpm=rpm, progress=progress,
                      max_attempts=max_attempts)


def _action(name: str, client: Any, options: dict[str, Any]) -> Callable[[Any], Any]:
    """The library function the magic of the same name calls, with the batch's options."""
    from oainb.notebook import actions

    if client is None:
        # Resolve the session's client once, here, rather than in every worker thread at once.
        state = actions.session()
        client = state.get_async_client() if name.startswith("a") else state.get_client()
    return functools.partial(getattr(actions, name), client=client, **options)
