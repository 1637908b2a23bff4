"""Ctrl-C (or task cancellation) mid-stream closes the connection and keeps a partial reply."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from oainb import Client
from tests.core._harness import FAKE_KEY, sse, text_stream_events


class Interrupted(httpx.SyncByteStream):
    def __init__(self, head: bytes, exc: BaseException) -> None:
        self.head, self.exc, self.closed = head, exc, False

    def __iter__(self):
        yield self.head
        raise self.exc

    def close(self) -> None:
        self.closed = True


def test_ctrl_c_closes_the_connection_and_marks_the_reply():
    body = Interrupted(sse(*text_stream_events(["Hi"], terminal=False)), KeyboardInterrupt())
    transport = httpx.MockTransport(lambda r: httpx.Response(200, stream=body))
    client = Client(api_key=FAKE_KEY, http_client=httpx.Client(transport=transport))
    stream = client.responses.stream(model="m", input="Hi")
    seen = []
    with pytest.raises(KeyboardInterrupt), stream:
        for event in stream:
            seen.append(event.type)
    assert "response.output_text.delta" in seen
    assert body.closed
    reply = stream.reply
    assert reply.partial and reply.interrupted and reply.output_text == "Hi"


class AsyncStalled(httpx.AsyncByteStream):
    def __init__(self, head: bytes) -> None:
        self.head, self.closed = head, False

    async def __aiter__(self):
        yield self.head
        await asyncio.sleep(3600)  # never finishes: the task gets cancelled
        yield b""

    async def aclose(self) -> None:
        self.closed = True


def test_cancelling_the_task_closes_the_async_stream():
    from oainb import AsyncClient

    body = AsyncStalled(sse(*text_stream_events(["Hi"], terminal=False)))
    transport = httpx.MockTransport(lambda r: httpx.Response(200, stream=body))
    client = AsyncClient(api_key=FAKE_KEY, http_client=httpx.AsyncClient(transport=transport))
    stream = client.responses.stream(model="m", input="Hi")
    got = asyncio.Event()

    async def consume() -> None:
        async with stream:
            async for event in stream:
                if event.type == "response.output_text.delta":
                    got.set()

    async def main() -> None:
        task = asyncio.create_task(consume())
        await got.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert body.closed
    assert stream.reply.partial and stream.reply.interrupted and stream.reply.output_text == "Hi"
