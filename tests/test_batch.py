from __future__ import annotations

import asyncio
import io
import threading
from typing import Any

import httpx
import pytest

from oainb import batch
from oainb._exceptions import RateLimitError
from oainb.batch import BatchResult, TextProgress
from oainb.cost import CostEstimate


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """A clock that only moves when somebody sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class Answer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.cost = CostEstimate(model="gpt-4o-mini", usd=0.001, local=True)


FAILING = {2, 5}


def _call(x: int) -> Answer:
    if x in FAILING:
        raise ValueError(f"input {x} is broken")
    return Answer(f"answer {x}")


async def _acall(x: int) -> Answer:
    await asyncio.sleep(0.001 * (8 - x))  # finish out of order on purpose
    return _call(x)


def _check_eight(done: BatchResult) -> None:
    assert [r.text for r in done.results] == [f"answer {x}" for x in range(8) if x not in FAILING]
    assert [item.index for item in done.errors] == [2, 5]
    assert [str(item.error) for item in done.errors] == ["input 2 is broken", "input 5 is broken"]
    assert [item.status for item in done.items] == [
        "failed" if i in FAILING else "ok" for i in range(8)
    ]
    assert done.progress.bar.value == 8
    assert done.progress.bar.max == 8
    assert done.cost == pytest.approx(0.006)
    assert "2 failed" in done.progress.label.value
    plain = done._repr_mimebundle_()["text/plain"]
    assert "8/8 done, 2 failed" in plain and "[2] 2: input 2 is broken" in plain


def test_eight_inputs_two_failures_on_threads() -> None:
    from oainb.notebook.widgets import BatchProgress

    done = batch.run(_call, range(8), kind="respond", concurrency=4,
                     progress=BatchProgress(show=False))
    _check_eight(done)


@pytest.mark.anyio
async def test_eight_inputs_two_failures_as_tasks() -> None:
    from oainb.notebook.widgets import BatchProgress

    done = await batch.arun(_acall, range(8), kind="respond", concurrency=4,
                            progress=BatchProgress(show=False))
    _check_eight(done)


def _max_starts_per_minute(starts: list[float]) -> int:
    return max(sum(1 for t in starts if s <= t < s + 60) for s in starts)


@pytest.mark.anyio
async def test_rpm_limit_is_respected_on_a_fake_clock() -> None:
    clock = FakeClock()
    starts: list[float] = []

    async def call(x: int) -> int:
        starts.append(clock())
        await asyncio.sleep(0)
        return x

    done = await batch.arun(call, range(20), concurrency=4, rpm=6, progress=False,
                            clock=clock, sleep=clock.asleep)
    assert len(done.results) == 20
    assert _max_starts_per_minute(starts) == 6
    assert clock.now == pytest.approx(190.0)  # 20 starts, 10 s apart

    clock2, unlimited = FakeClock(), []

    async def call2(x: int) -> int:
        unlimited.append(clock2())
        return x

    await batch.arun(call2, range(20), concurrency=4, progress=False,
                     clock=clock2, sleep=clock2.asleep)
    assert _max_starts_per_minute(unlimited) == 20  # the control: no limit, no waiting


def test_rpm_limit_is_respected_on_threads() -> None:
    clock = FakeClock()
    starts: list[float] = []

    def call(x: int) -> int:
        starts.append(clock())
        return x

    done = batch.run(call, range(10), concurrency=1, rpm=12, progress=False,
                     clock=clock, sleep=clock.sleep)
    assert [r for r in done.results] == list(range(10))
    assert starts == [5.0 * i for i in range(10)]


def _rate_limited(seconds: str) -> RateLimitError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/responses")
    response = httpx.Response(429, headers={"retry-after": seconds}, request=request)
    return RateLimitError("slow down", response=response, body=None)


@pytest.mark.anyio
async def test_retry_after_pauses_every_worker_then_retries() -> None:
    clock = FakeClock()
    starts: list[tuple[int, float]] = []
    refused: set[int] = set()

    async def call(x: int) -> int:
        starts.append((x, clock()))
        if x == 1 and x not in refused:
            refused.add(x)
            raise _rate_limited("30")
        await asyncio.sleep(0)
        return x

    done = await batch.arun(call, range(4), concurrency=2, progress=False,
                            clock=clock, sleep=clock.asleep)
    assert done.results == [0, 1, 2, 3]
    assert done.items[1].attempts == 2
    refused_at = next(t for x, t in starts if x == 1)
    later = [t for x, t in starts[starts.index((1, refused_at)) + 1:]]
    assert later and min(later) >= refused_at + 30


@pytest.mark.anyio
async def test_a_rate_limit_that_persists_is_listed_after_max_attempts() -> None:
    clock = FakeClock()

    async def call(x: int) -> int:
        raise _rate_limited("1")

    done = await batch.arun(call, ["a"], progress=False, max_attempts=3,
                            clock=clock, sleep=clock.asleep)
    assert done.results == []
    assert done.errors[0].attempts == 3
    assert isinstance(done.errors[0].error, RateLimitError)


def test_text_progress_outside_a_notebook() -> None:
    out = io.StringIO()
    done = batch.run(_call, range(8), kind="speak", progress=TextProgress(out))
    lines = out.getvalue().splitlines()
    assert lines[0] == "speak 0/8"
    assert any(line.startswith("speak 8/8") for line in lines)
    assert lines[-1].startswith("speak: 8/8 done, 2 failed, cost $0 here, about $0.0060 on OpenAI")
    assert len(done.results) == 6


def test_progress_true_picks_text_outside_a_kernel(capsys: pytest.CaptureFixture[str]) -> None:
    batch.run(_call, [0, 1], kind="respond")
    assert "respond: 2/2 done" in capsys.readouterr().err


def test_html_escapes_inputs_and_errors() -> None:
    def call(x: str) -> Any:
        raise ValueError("<script>alert(1)</script>")

    page = batch.run(call, ["<b>hi</b>"], progress=False)._repr_mimebundle_()["text/html"]
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;hi" in page
