"""Typed stream events. Each keeps every field it is sent; dispatch is on the JSON `type`."""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from pydantic import model_validator

from oainb.results._base import ResultModel, shorten
from oainb.results.reply import Reply
from oainb.results.usage import Usage

__all__ = ["REPLY_TERMINAL_EVENTS", "ReplyEvent", "SpeechEvent", "TranscriptEvent"]

#: Events after which a Responses stream has nothing more to say.
REPLY_TERMINAL_EVENTS: frozenset[str] = frozenset(
    {"response.completed", "response.failed", "response.incomplete", "response.cancelled"}
)


class ReplyEvent(ResultModel):
    """One server-sent event of a Responses stream.

    `type` names it (`response.output_text.delta`, `response.completed`, ... or any type this
    version does not know), `sequence_number` orders it, `delta` carries text for `*.delta`
    events, `response` carries the Reply for lifecycle events. Other fields stay reachable as
    attributes (`event.item_id`, `event.output_index`, `event.obfuscation`).

    Example:
        >>> from oainb import ReplyEvent
        >>> e = ReplyEvent.model_validate({"type": "response.output_text.delta",
        ...     "sequence_number": 3, "delta": "Hi", "item_id": "msg_1"})
        >>> (e.type, e.sequence_number, e.delta, e.item_id)
        ('response.output_text.delta', 3, 'Hi', 'msg_1')
    """

    type: str
    sequence_number: int | None = None
    delta: Any = None
    response: Reply | None = None

    @property
    def is_terminal(self) -> bool:
        """True for `response.completed`, `.failed`, `.incomplete` (and a `cancelled`)."""
        return self.type in REPLY_TERMINAL_EVENTS

    def error_fields(self) -> dict[str, Any]:
        """`code`, `message`, `param` of an `error` event, flat or nested under `error`."""
        extra = self.model_extra or {}
        found = extra.get("error")
        nested: dict[str, Any] = found if isinstance(found, dict) else {}
        return {k: nested.get(k, extra.get(k)) for k in ("code", "message", "param", "type")}

    def __repr__(self) -> str:
        seq = "" if self.sequence_number is None else f" #{self.sequence_number}"
        tail = f" {shorten(self.delta, 30)!r}" if isinstance(self.delta, str) else ""
        return f"<ReplyEvent {self.type}{seq}{tail}>"


class TranscriptEvent(ResultModel):
    """One event of a streamed transcription.

    `transcript.text.delta` carries `delta`, `transcript.text.done` the full `text` and
    `usage`, `transcript.text.segment` (diarization) `id start end text speaker`. The seed
    guide's bare `{"text", "x_start", "x_end"}` frames read as deltas (SEED_DIFFS row 9).
    """

    type: str
    delta: str | None = None
    text: str | None = None
    logprobs: list[Any] | None = None
    usage: Usage | None = None
    segment_id: str | None = None
    id: str | None = None
    start: float | None = None
    end: float | None = None
    speaker: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("type"):
            data = dict(data)
            data["type"] = "transcript.text.delta"
            if data.get("delta") is None:
                data["delta"] = data.pop("text", "")
            if data.get("start") is None and data.get("x_start") is not None:
                data["start"] = data["x_start"]
            if data.get("end") is None and data.get("x_end") is not None:
                data["end"] = data["x_end"]
        return data

    def __repr__(self) -> str:
        body = self.delta if self.delta is not None else self.text
        tail = f" {shorten(body, 30)!r}" if body else ""
        return f"<TranscriptEvent {self.type}{tail}>"


class SpeechEvent(ResultModel):
    """One event of `audio.speech.stream(stream_format="sse")`.

    `speech.audio.delta` carries a base64 `audio` chunk (`chunk` decodes it);
    `speech.audio.done` carries `usage`. The bare `audio.delta` / `audio.done` names and a
    `delta` field in place of `audio` are read too (SEED_DIFFS row 10).
    """

    type: str
    audio: str | None = None
    usage: Usage | None = None

    _wire_required: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if data.get("type") in ("audio.delta", "audio.done"):
                data["type"] = "speech." + data["type"]
            if data.get("audio") is None and isinstance(data.get("delta"), str):
                data["audio"] = data.pop("delta")
        return data

    @property
    def chunk(self) -> bytes:
        """The decoded audio bytes of a delta event (empty for other events)."""
        return base64.b64decode(self.audio) if self.audio else b""

    def __repr__(self) -> str:
        size = f" {len(self.chunk)} bytes" if self.audio else ""
        return f"<SpeechEvent {self.type}{size}>"
