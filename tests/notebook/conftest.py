from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _frame(payload: dict[str, Any]) -> bytes:
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()


def reply_events(words: list[str], *, rid: str = "resp_test", status: str = "completed") -> list[dict[str, Any]]:
    """A Responses stream in the order the API sends it, one delta per word."""
    base = {"id": rid, "object": "response", "model": "gpt-4o-mini", "output": [], "created_at": 1}
    text = "".join(words)
    message = {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
               "content": [{"type": "output_text", "text": text, "annotations": []}]}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**base, "status": "in_progress"}},
        {"type": "response.output_item.added", "output_index": 0,
         "item": {**message, "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0,
         "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}},
    ]
    events += [{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
                "content_index": 0, "delta": w, "logprobs": []} for w in words]
    events.append({"type": f"response.{status}", "response": {
        **base, "status": status, "output": [message],
        "usage": {"input_tokens": 5, "output_tokens": len(words), "total_tokens": 5 + len(words)}}})
    for i, event in enumerate(events):
        event["sequence_number"] = i
    return events


@dataclass
class FakeAPI:
    """A scripted Responses API behind `httpx.MockTransport`, for sync and async clients.

    `words` are streamed one event at a time (`delay` seconds apart on the async side);
    `drop_after` breaks the first stream after that many events; the handler records
    every request, and `closed` counts streams whose connection was closed early.
    """

    words: list[str] = field(default_factory=lambda: ["Hello", " world"])
    delay: float = 0.0
    drop_after: int | None = None
    drop_always: bool = False
    background: bool = False
    requests: list[httpx.Request] = field(default_factory=list)
    sent: int = 0
    closed: int = 0
    cancelled: bool = False
    polls: int = 0

    def events_after(self, starting_after: int | None) -> list[dict[str, Any]]:
        status = "cancelled" if self.cancelled else "completed"
        events = reply_events(self.words, status=status)
        if self.background:
            events[0] = {**events[0], "type": "response.queued"}
        return [e for e in events if starting_after is None or e["sequence_number"] > starting_after]

    def _plan(self, request: httpx.Request) -> tuple[list[dict[str, Any]], bool] | httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.endswith("/cancel"):
            self.cancelled = True
            return httpx.Response(200, json={"id": "resp_test", "object": "response",
                                             "status": "cancelled", "output": [], "model": "gpt-4o-mini"})
        if request.method == "POST" and not json.loads(request.content or b"{}").get("stream"):
            return httpx.Response(200, json={"id": "resp_test", "object": "response",
                                             "status": "queued", "output": [], "model": "gpt-4o-mini"})
        if request.method == "GET" and "stream" not in request.url.params:
            self.polls += 1  # a background reply: in progress twice, then done
            if self.cancelled or self.polls > 2:
                return httpx.Response(200, json=self.events_after(None)[-1]["response"])
            return httpx.Response(200, json={"id": "resp_test", "object": "response",
                                             "status": "in_progress", "output": [], "model": "gpt-4o-mini"})
        after = request.url.params.get("starting_after")
        events = self.events_after(int(after) if after is not None else None)
        streams = sum(1 for r in self.requests if "stream" in r.url.params or r.method == "POST")
        drop = self.drop_always or (self.drop_after is not None and streams == 1)
        if drop:
            events = events[: self.drop_after or 0]
        return events, drop

    def sync_handler(self, request: httpx.Request) -> httpx.Response:
        plan = self._plan(request)
        if isinstance(plan, httpx.Response):
            return plan
        events, drop = plan
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=_SyncBody(self, events, drop))

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        plan = self._plan(request)
        if isinstance(plan, httpx.Response):
            return plan
        events, drop = plan
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=_AsyncBody(self, events, drop))

    def client(self) -> Any:
        from oainb import Client

        http = httpx.Client(transport=httpx.MockTransport(self.sync_handler))
        return Client(api_key="sk-test", base_url="http://127.0.0.1:9/v1", http_client=http,
                      max_retries=0)

    def aclient(self) -> Any:
        from oainb import AsyncClient

        http = httpx.AsyncClient(transport=httpx.MockTransport(self.async_handler))
        return AsyncClient(api_key="sk-test", base_url="http://127.0.0.1:9/v1", http_client=http,
                           max_retries=0)


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, api: FakeAPI, events: list[dict[str, Any]], drop: bool) -> None:
        self.api, self.events, self.drop = api, events, drop

    def __iter__(self) -> Iterator[bytes]:
        for event in self.events:
            self.api.sent += 1
            yield _frame(event)
        if self.drop:
            raise httpx.ReadError("connection reset by peer")

    def close(self) -> None:
        self.api.closed += 1


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, api: FakeAPI, events: list[dict[str, Any]], drop: bool) -> None:
        self.api, self.events, self.drop = api, events, drop

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for event in self.events:
            if self.api.delay:
                await asyncio.sleep(self.api.delay)
            self.api.sent += 1
            yield _frame(event)
        if self.drop:
            raise httpx.ReadError("connection reset by peer")

    async def aclose(self) -> None:
        self.api.closed += 1


@pytest.fixture
def fake_api() -> FakeAPI:
    return FakeAPI()
