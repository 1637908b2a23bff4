"""Helpers for the server tests: raw SSE parsing, spec checks, an in-process server, and the
scenario data that both clients are tested with.

The stand-in engines here exist for the tests that need a model to behave in a set way
(block until released, count what it was asked); they never ship in the product.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from tests.openapi_schema import validate

__all__ = ["CITY_SCHEMA", "FUNCTION_TOOLS", "HOSTED_TOOLS", "WEATHER_PARAMETERS", "GatedText",
           "check_events", "parse_sse", "serve_app", "stand_in_registry"]

# Scenario data that both clients, openai-python's and oainb's, are tested with.
CITY_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["city", "population"],
               "properties": {"city": {"type": "string"}, "population": {"type": "integer"}}}
WEATHER_PARAMETERS = {"type": "object", "required": ["city"], "additionalProperties": False,
                      "properties": {"city": {"type": "string"}}}
FUNCTION_TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather of a city",
                   "parameters": WEATHER_PARAMETERS, "strict": True},
                  {"type": "function", "name": "get_time", "parameters": {"type": "object"},
                   "strict": False}]
#: Tools the local models cannot run: each must be a 400 naming it.
HOSTED_TOOLS = [
    {"type": "web_search"}, {"type": "web_search_preview"},
    {"type": "file_search", "vector_store_ids": ["vs_1"]},
    {"type": "code_interpreter", "container": {"type": "auto"}},
    {"type": "image_generation"},
    {"type": "mcp", "server_label": "x", "server_url": "https://example.com"},
    {"type": "computer_use_preview", "display_width": 10, "display_height": 10,
     "environment": "linux"},
]


def parse_sse(lines: Iterable[str]) -> list[tuple[str | None, dict[str, Any]]]:
    """Frames of a raw SSE body as ``(event name or None, data)``; fails on ``[DONE]``."""
    frames: list[tuple[str | None, dict[str, Any]]] = []
    name: str | None = None
    data: list[str] = []
    for line in [*lines, ""]:
        if line == "":
            if data:
                payload = "\n".join(data)
                assert payload != "[DONE]", "OpenAI streams end without a [DONE] sentinel"
                frames.append((name, json.loads(payload)))
            name, data = None, []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    return frames


def check_events(frames: list[tuple[str | None, dict[str, Any]]], schema: str,
                 *, named: bool) -> list[dict[str, Any]]:
    """Validate every frame against ``schema``; check the ``event:`` lines match ``type``."""
    events = []
    for name, event in frames:
        validate(schema, event)
        if named:
            assert name == event["type"]
        else:
            assert name is None, "transcription streams are data-only frames"
        events.append(event)
    return events


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on a free loopback port; yields the base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "in-process server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class _Piece:
    text: str
    token: str
    bytes: list[int]
    logprob: float | None = None
    top_logprobs: list[tuple[str, float]] = field(default_factory=list)


class _Generation:
    def __init__(self, words: Iterable[str], gate: threading.Event,
                 cancel: threading.Event | None):
        self.input_tokens = 3
        self.output_tokens = 0
        self.finish_reason: str | None = None
        self._words = words
        self._gate = gate
        self._cancel = cancel

    def __iter__(self) -> Iterator[_Piece]:
        for word in self._words:
            while not self._gate.wait(0.01):
                if self._cancel is not None and self._cancel.is_set():
                    self.finish_reason = "cancelled"
                    return
            self.output_tokens += 1
            yield _Piece(word, word, list(word.encode()))
        self.finish_reason = "stop"

    def close(self) -> None:
        if self.finish_reason is None:
            self.finish_reason = "cancelled"


class GatedText:
    """A text engine that says ``words`` one per token, each only once ``gate`` is set."""

    name = "gated-text"
    kind: Literal["text", "stt", "tts"] = "text"
    loaded = True

    def __init__(self, words: list[str] | None = None, *, endless: bool = False) -> None:
        self.words = words or ["Hello", " there", "."]
        self.endless = endless  # say "word " forever, until cancelled
        self.gate = threading.Event()
        self.calls = 0

    def load(self) -> None:
        pass

    def generate(self, messages: Any, **options: Any) -> _Generation:
        self.calls += 1
        words = itertools.repeat("word ") if self.endless else list(self.words)
        self.endless = False
        return _Generation(words, self.gate, options.get("cancel"))

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def stand_in_registry(text: GatedText) -> Any:
    from oainb.server.engines import Registry

    return Registry([text])


@pytest.fixture
def client(local_server: Any) -> Any:
    """The official SDK against the session's local server, without retries."""
    with local_server.client(max_retries=0, timeout=120) as sdk:
        yield sdk
