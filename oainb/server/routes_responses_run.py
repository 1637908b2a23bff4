"""One response being generated: the wire object and its stream events.

:class:`ResponseRun` knows nothing of HTTP. It runs in a worker thread, pulls pieces from the
text engine, keeps the Response object up to date and hands every stream event, numbered, to an
``emit`` callback. The routes decide what to do with them: stream them, store them, or only wait
for the final object.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ResponseRun", "new_id", "skeleton", "usage_body"]

Emit = Callable[[dict[str, Any]], None]


def new_id(prefix: str) -> str:
    """An id in OpenAI's style: ``resp_…``, ``msg_…``, ``fc_…``, ``call_…``."""
    return f"{prefix}_{secrets.token_hex(24)}"


def usage_body(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    """The Responses ``usage`` object."""
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def skeleton(params: dict[str, Any], *, model: str, background: bool) -> dict[str, Any]:
    """A fresh Response object echoing the request's settings, before any output."""
    return {
        "id": new_id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "status": "queued" if background else "in_progress",
        "background": background,
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": params.get("instructions"),
        "max_output_tokens": params.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": model,
        "output": [],
        "parallel_tool_calls": params.get("parallel_tool_calls", True),
        "previous_response_id": params.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": params.get("store", True),
        "temperature": params.get("temperature", 1.0),
        "text": {"format": params.get("format", {"type": "text"}), "verbosity": "medium"},
        "tool_choice": params.get("tool_choice", "auto"),
        "tools": params.get("tools", []),
        "top_logprobs": params.get("top_logprobs", 0),
        "top_p": params.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None,
        "metadata": params.get("metadata") or {},
    }


def _logprob(piece: Any, top_n: int) -> dict[str, Any]:
    token = str(getattr(piece, "token", None) or piece.text)
    raw = getattr(piece, "bytes", None)
    entry: dict[str, Any] = {
        "token": token,
        "logprob": float(piece.logprob if piece.logprob is not None else 0.0),
        "bytes": list(raw) if raw is not None else list(token.encode()),
        "top_logprobs": [],
    }
    for alt in (getattr(piece, "top_logprobs", None) or [])[:top_n]:
        alt_token, alt_logprob, alt_bytes = _alternative(alt)
        entry["top_logprobs"].append(
            {"token": alt_token, "logprob": alt_logprob, "bytes": alt_bytes}
        )
    return entry


def _alternative(alt: Any) -> tuple[str, float, list[int]]:
    """Read one alternative token, whether the engine gives a mapping, a tuple or an object."""
    if isinstance(alt, dict):
        token, logprob, raw = alt.get("token"), alt.get("logprob"), alt.get("bytes")
    elif isinstance(alt, (tuple, list)):
        token, logprob, raw = alt[0], alt[1], (alt[2] if len(alt) > 2 else None)
    else:
        token, logprob, raw = alt.token, alt.logprob, getattr(alt, "bytes", None)
    token = str(token)
    value = float(logprob) if logprob is not None else 0.0
    return token, value, list(raw) if raw is not None else list(token.encode())


class ResponseRun:
    """Generate one response with a text engine, emitting its stream events.

    Example:
        run = ResponseRun(skeleton(params, model=engine.name, background=False), emit=print)
        run.start()
        body = run.run(engine.generate(messages, cancel=cancel), cancel)

    Args:
        body: the Response object from :func:`skeleton`; updated in place.
        emit: receives every event, already numbered; called from the worker thread.
        logprobs: include per-token logprobs (``message.output_text.logprobs``).
    """

    def __init__(self, body: dict[str, Any], *, emit: Emit, logprobs: bool = False) -> None:
        self.body = body
        self._emit = emit
        self._logprobs = logprobs
        self._seq = -1
        # Readers (GET while generating) snapshot the body while the worker appends to it.
        self.lock = threading.RLock()

    def event(self, type: str, **fields: Any) -> dict[str, Any]:
        """Number and emit one event."""
        with self.lock:
            self._seq += 1
            event = {"type": type, "sequence_number": self._seq, **fields}
        self._emit(event)
        return event

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the Response object, safe to send while generation goes on.

        ``usage`` is left out until it is known: the spec's schema has it as an object, never null.
        """
        with self.lock:
            body = _copy(self.body)
        if body.get("usage") is None:
            body.pop("usage", None)
        return body

    def start(self) -> None:
        """The opening events: ``created`` (and ``queued`` for background responses)."""
        self.event("response.created", response=self.snapshot())
        if self.body["status"] == "queued":
            self.event("response.queued", response=self.snapshot())

    def run(self, generation: Any, cancel: threading.Event) -> dict[str, Any]:
        """Consume the engine's generation into output items, then emit the terminal event.

        ``generation`` is the engine's ``Generation`` (a message) or ``FunctionCall`` (it has a
        ``name``); None when the response was cancelled before it started.
        """
        if generation is None or cancel.is_set():
            return self.finish_cancelled(generation)
        with self.lock:
            self.body["status"] = "in_progress"
        self.event("response.in_progress", response=self.snapshot())
        try:
            if getattr(generation, "name", None) is not None:
                self._run_function_call(generation, cancel)
            else:
                self._run_message(generation, cancel)
        finally:
            generation.close()
        if cancel.is_set() or generation.finish_reason == "cancelled":
            return self.finish_cancelled(generation)
        with self.lock:
            self.body["usage"] = usage_body(generation.input_tokens, generation.output_tokens)
            if generation.finish_reason == "length":
                self.body["status"] = "incomplete"
                self.body["incomplete_details"] = {"reason": "max_output_tokens"}
            else:
                self.body["status"] = "completed"
                self.body["completed_at"] = int(time.time())
        kind = "response.incomplete" if self.body["status"] == "incomplete" else "response.completed"
        self.event(kind, response=self.snapshot())
        return self.body

    def fail(self, message: str) -> dict[str, Any]:
        """End with ``status: failed`` after an engine error: an ``error`` event, then ``failed``."""
        with self.lock:
            self.body["status"] = "failed"
            self.body["error"] = {"code": "server_error", "message": message}
        self.event("error", code="server_error", message=message, param=None)
        self.event("response.failed", response=self.snapshot())
        return self.body

    def finish_cancelled(self, generation: Any = None) -> dict[str, Any]:
        """Mark the response cancelled; its open items become ``incomplete``.

        The spec has no ``response.cancelled`` event: a cancelled stream just ends.
        """
        with self.lock:
            self.body["status"] = "cancelled"
            if generation is not None:
                self.body["usage"] = usage_body(generation.input_tokens, generation.output_tokens)
            for item in self.body["output"]:
                if item.get("status") == "in_progress":
                    item["status"] = "incomplete"
        return self.body

    def _open_item(self, item: dict[str, Any]) -> int:
        with self.lock:
            index = len(self.body["output"])
            self.body["output"].append(item)
        self.event("response.output_item.added", output_index=index, item=_copy(item))
        return index

    def _close_item(self, item: dict[str, Any], index: int, generation: Any) -> None:
        with self.lock:
            item["status"] = "incomplete" if generation.finish_reason == "length" else "completed"
        self.event("response.output_item.done", output_index=index, item=_copy(item))

    def _run_message(self, generation: Any, cancel: threading.Event) -> None:
        item: dict[str, Any] = {
            "id": new_id("msg"), "type": "message", "status": "in_progress",
            "role": "assistant", "content": [],
        }
        index = self._open_item(item)
        part: dict[str, Any] = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        with self.lock:
            item["content"].append(part)
        where = {"item_id": item["id"], "output_index": index, "content_index": 0}
        self.event("response.content_part.added", **where, part=_copy(part))
        top_n = int(self.body.get("top_logprobs") or 0)
        for piece in generation:
            if cancel.is_set():
                return
            if not piece.text and not self._logprobs:
                continue  # half of a multi-byte character: it comes with the next token
            logprobs = [_logprob(piece, top_n)] if self._logprobs else []
            with self.lock:
                part["text"] += piece.text
                part["logprobs"].extend(logprobs)
            self.event("response.output_text.delta", **where, delta=piece.text, logprobs=logprobs)
        if cancel.is_set() or generation.finish_reason == "cancelled":
            return
        self.event("response.output_text.done", **where, text=part["text"],
                   logprobs=part["logprobs"])
        self.event("response.content_part.done", **where, part=_copy(part))
        self._close_item(item, index, generation)

    def _run_function_call(self, call: Any, cancel: threading.Event) -> None:
        item: dict[str, Any] = {
            "id": new_id("fc"), "type": "function_call", "status": "in_progress",
            "arguments": "", "call_id": new_id("call"), "name": call.name,
        }
        index = self._open_item(item)
        for piece in call:
            if cancel.is_set():
                return
            if not piece.text:
                continue
            with self.lock:
                item["arguments"] += piece.text
            self.event("response.function_call_arguments.delta", item_id=item["id"],
                       output_index=index, delta=piece.text)
        if cancel.is_set() or call.finish_reason == "cancelled":
            return
        self.event("response.function_call_arguments.done", item_id=item["id"],
                   output_index=index, name=item["name"], arguments=item["arguments"])
        self._close_item(item, index, call)


def _copy(obj: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(obj))
    return copied
