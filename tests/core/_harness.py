"""A small harness so each test runs once with `Client` and once with `AsyncClient`.

`Api` builds a client over `httpx.MockTransport` with a fake clock (sleeps are recorded,
never slept) and runs calls and streams the same way for both kinds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from oainb import AsyncClient, Client

FAKE_KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123456789"

Handler = Callable[[httpx.Request], httpx.Response]


def sse(*events: Any, event_lines: bool = True, done: bool = False) -> bytes:
    """An SSE body: `event: <type>` + `data: <json>` per event (strings go as raw data)."""
    out = []
    for event in events:
        if isinstance(event, str):
            out.append(f"data: {event}\n\n")
            continue
        head = f"event: {event['type']}\n" if event_lines and "type" in event else ""
        out.append(f"{head}data: {json.dumps(event)}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def sse_response(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body, headers={"content-type": "text/event-stream"})


class Recorder:
    """A MockTransport handler answering from a script; keeps every request it saw."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return _fresh(answer)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def json(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def _fresh(response: httpx.Response) -> httpx.Response:
    """A new Response with the same status, headers and body (a Response reads only once)."""
    return httpx.Response(response.status_code, headers=response.headers, content=response.content)


class Api:
    """Run the same test with the sync or the async client."""

    def __init__(self, sync: bool) -> None:
        self.sync = sync
        self.sleeps: list[float] = []

    def __repr__(self) -> str:
        return "sync" if self.sync else "async"

    def client(self, handler: Handler, **kwargs: Any) -> Client | AsyncClient:
        kwargs.setdefault("api_key", FAKE_KEY)
        transport = httpx.MockTransport(handler)
        if self.sync:
            client: Any = Client(http_client=httpx.Client(transport=transport), **kwargs)
            client._sleep = self.sleeps.append
        else:
            client = AsyncClient(http_client=httpx.AsyncClient(transport=transport), **kwargs)

            async def fake_sleep(seconds: float) -> None:
                self.sleeps.append(seconds)

            client._sleep = fake_sleep
        client._rand = lambda: 0.5
        return client

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a client method; awaits it for the async client."""
        if self.sync:
            return method(*args, **kwargs)

        async def run() -> Any:
            return await method(*args, **kwargs)

        return asyncio.run(run())

    def consume(
        self, make: Callable[[], Any], *, limit: int | None = None
    ) -> tuple[list[Any], Any]:
        """Enter the stream `make()` returns, read (up to `limit`) items; returns (items, stream)."""
        if self.sync:
            with make() as stream:
                items = []
                for item in stream:
                    items.append(item)
                    if limit is not None and len(items) >= limit:
                        break
            return items, stream

        async def run() -> tuple[list[Any], Any]:
            made = make()
            if asyncio.iscoroutine(made):
                made = await made
            async with made as stream:
                items = []
                async for item in stream:
                    items.append(item)
                    if limit is not None and len(items) >= limit:
                        break
            return items, stream

        return asyncio.run(run())


def reply_body(text: str = "Hello!", **extra: Any) -> dict[str, Any]:
    """A spec-shaped Response object with one message."""
    body = {
        "id": "resp_123",
        "object": "response",
        "created_at": 1_760_000_000,
        "status": "completed",
        "model": "gpt-4o-mini",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "top_p": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
                ],
            }
        ],
        "usage": {
            "input_tokens": 5,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": 3,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 8,
        },
    }
    body.update(extra)
    return body


def text_stream_events(
    text_parts: Iterable[str] = ("Hel", "lo"), *, terminal: bool = True
) -> list[dict[str, Any]]:
    """The event sequence of a streamed one-message reply, as CONTRACT §3 lists it."""
    parts = list(text_parts)
    start = reply_body("", status="in_progress", output=[], usage=None)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {
                "type": "message",
                "id": "msg_1",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            },
        },
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []},
        },
    ]
    for part in parts:
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": part,
                "logprobs": [],
                "obfuscation": "xyz",
            }
        )
    if terminal:
        events.append(
            {
                "type": "response.output_text.done",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "text": "".join(parts),
                "logprobs": [],
            }
        )
        events.append({"type": "response.completed", "response": reply_body("".join(parts))})
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events
