"""`arespond` on the kernel's loop: background replies, and what a cancelled task still costs."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from oainb.cost import Ledger
from oainb.notebook import _session, actions

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> actions.Session:
    state = actions.Session(ledger=Ledger())
    monkeypatch.setattr(_session, "_SESSION", state)  # the session every action reads
    return state


async def no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


async def never_wake(_seconds: float) -> None:
    await asyncio.Event().wait()


async def until(predicate: Any, what: str) -> None:
    for _ in range(2000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def paths(fake_api: Any) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in fake_api.requests]


async def test_background_reply_is_polled_until_done_and_priced(fake_api, fresh_session) -> None:  # type: ignore[no-untyped-def]
    fake_api.background = True
    seen: list[str] = []
    reply = await actions.arespond("Say hello", client=fake_api.aclient(), background=True,
                                   on_event=lambda e: seen.append(e.status), sleep=no_sleep)
    assert reply.status == "completed" and reply.output_text == "Hello world"
    assert seen == ["queued", "in_progress", "in_progress"]
    assert json.loads(fake_api.requests[0].content)["background"] is True
    assert paths(fake_api) == [("POST", "/v1/responses")] + [("GET", "/v1/responses/resp_test")] * 3
    [entry] = fresh_session.ledger.entries
    assert not entry.cost.estimated and entry.cost.local  # priced from the returned usage
    assert fresh_session.previous_response_id == "resp_test"


async def test_background_cancel_event_calls_the_cancel_endpoint(fake_api, fresh_session) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    stop.set()
    reply = await actions.arespond("A long essay", client=fake_api.aclient(), background=True,
                                   cancel=stop, sleep=no_sleep)
    assert paths(fake_api) == [("POST", "/v1/responses"), ("POST", "/v1/responses/resp_test/cancel")]
    assert reply.status == "cancelled" and reply.interrupted
    assert len(fresh_session.ledger.entries) == 1


async def test_a_cancelled_background_task_cancels_the_job_and_counts_it(fake_api, fresh_session) -> None:  # type: ignore[no-untyped-def]
    task = asyncio.create_task(actions.arespond(
        "A long essay", client=fake_api.aclient(), background=True, sleep=never_wake))
    await until(lambda: fake_api.requests, "the job was created")
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert paths(fake_api)[-1] == ("POST", "/v1/responses/resp_test/cancel")
    [entry] = fresh_session.ledger.entries
    assert entry.label == "resp_test" and entry.cost.estimated


async def test_a_cancelled_stream_task_closes_the_stream_and_counts_the_partial_reply(fake_api, fresh_session) -> None:  # type: ignore[no-untyped-def]
    fake_api.words = [f"w{i} " for i in range(300)]
    fake_api.delay = 0.005
    deltas: list[str] = []
    task = asyncio.create_task(actions.arespond(
        "Count slowly", client=fake_api.aclient(),
        on_event=lambda e: deltas.append(e.delta) if e.type.endswith("text.delta") else None))
    await until(lambda: len(deltas) >= 5, "the first words arrive")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake_api.closed == 1 and fake_api.sent < 300
    [entry] = fresh_session.ledger.entries  # the hard cancel still counts its cost
    assert entry.cost.estimated and entry.cost.usd > 0
    n_out = int(entry.cost.basis.split(" + ")[1].split()[0])
    assert n_out >= 5  # the words that arrived are counted as output
    assert fresh_session.previous_response_id is None  # a partial reply is not continued from
