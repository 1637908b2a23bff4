"""Stream accumulators: turn decoded server-sent events into results, with no I/O.

`ReplyStreamState`, `TranscriptStreamState` and `SpeechStreamState` take one event at a
time (anything with `.event` and `.data`, such as `oainb._streaming.ServerSentEvent`) and keep
the result so far. The I/O shells in `oainb._streaming` drive them; the local server and the
tests can feed them directly. Events are dispatched on the JSON `type`, never on the `event:`
line (CONTRACT §3).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from oainb._exceptions import StreamError
from oainb.results.events import ReplyEvent, SpeechEvent, TranscriptEvent
from oainb.results.reply import (
    OutputMessage,
    OutputText,
    Reply,
    parse_output_content,
    parse_output_item,
)
from oainb.results.speech import SpeechClip
from oainb.results.transcript import Transcript, TranscriptSegment
from oainb.results.usage import Usage

__all__ = ["EventLike", "ReplyStreamState", "SpeechStreamState", "TranscriptStreamState"]


class EventLike(Protocol):
    """One decoded server-sent event: its `event:` name (if any) and its `data` text."""

    event: str | None
    data: str


def _payload(sse: EventLike, state_reply: Callable[[], Any]) -> dict[str, Any] | None:
    """The JSON object of an event, or None for `[DONE]`/empty data; raises on bad JSON."""
    data = sse.data.strip()
    if not data or data == "[DONE]":
        return None
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        raise StreamError(
            "The server sent an event that is not JSON; the partial result is on `.reply`.",
            reply=state_reply(),
        ) from exc
    if not isinstance(payload, dict):
        return {}
    if not payload.get("type") and sse.event and not _is_chat_chunk(payload):
        payload["type"] = sse.event
    return payload


def _is_chat_chunk(payload: dict[str, Any]) -> bool:
    return "choices" in payload and "type" not in payload


def _error_event_fields(payload: dict[str, Any]) -> dict[str, Any] | None:
    """`code`, `message`, `param` of an error event, flat or nested (CONTRACT §3), else None."""
    nested = payload.get("error")
    if payload.get("type") != "error" and not (nested and payload.get("type") in (None, "")):
        return None
    source = nested if isinstance(nested, dict) else payload
    message = source.get("message") or (nested if isinstance(nested, str) else None)
    return {
        "code": source.get("code"),
        "message": str(message or "the stream reported an error"),
        "param": source.get("param"),
    }


def _stream_error(payload: dict[str, Any], template: str, partial: Any) -> StreamError | None:
    """The `StreamError` an error event stands for (`template` takes `{message}`), else None."""
    error = _error_event_fields(payload)
    if error is None:
        return None
    return StreamError(template.format(message=error["message"]), reply=partial,
                       code=error["code"], param=error["param"])


class ReplyStreamState:
    """Accumulate Responses stream events into a `Reply`, with no I/O.

    `feed(sse)` returns the typed events to hand to the user (none for `[DONE]`), raises
    `StreamError` on an `error` event after keeping what arrived, and sets `done` on a
    terminal event or `[DONE]`. `reply` is the result so far: complete after a terminal
    event, else marked `partial`. Chat-completions chunks (`choices[].delta`, the seed
    guide's shape) become `response.output_text.delta` events.
    """

    def __init__(self, *, starting_after: int | None = None) -> None:
        self.done = False
        self.interrupted = False
        self.last_sequence_number: int | None = starting_after
        self._starting_after = starting_after
        self._snapshot: Reply | None = None
        self._final: Reply | None = None
        self._output: list[Any] = []
        self._chat = False
        self._chat_seq = 0
        self._usage: Usage | None = None

    @property
    def reply(self) -> Reply:
        """The reply so far; `partial` unless a terminal event (or chat `[DONE]`) arrived."""
        if self._final is not None:
            final = self._final
            if not final.output and self._output:
                final = final.model_copy(update={"output": list(self._output)})
            return final
        base = self._snapshot or Reply(status="in_progress")
        update: dict[str, Any] = {"output": list(self._output), "partial": True}
        update["interrupted"] = self.interrupted
        if self._usage is not None:
            update["usage"] = self._usage
        return base.model_copy(update=update)

    def feed(self, sse: EventLike) -> list[ReplyEvent]:
        """Take one decoded event; returns the typed events to yield."""
        if self.done:
            return []
        if sse.data.strip() == "[DONE]":
            self._finish_chat()
            self.done = True
            return []
        payload = _payload(sse, lambda: self.reply)
        if not payload:
            return []
        if _is_chat_chunk(payload):
            payload = self._from_chat_chunk(payload)
            if payload is None:
                return []
        failure = _stream_error(
            payload, "The stream reported an error: {message}; the partial reply is on `.reply`.",
            self.reply)
        if failure is not None:
            self.done = True
            raise failure
        event = ReplyEvent.model_validate(payload)
        seq = event.sequence_number
        if self._starting_after is not None and seq is not None and seq <= self._starting_after:
            return []
        if seq is not None:
            self.last_sequence_number = seq
        self._apply(event, payload)
        return [event]

    def finish(self) -> None:
        """The body ended: a stream that never sent a terminal event stays partial."""
        self.done = True

    def interrupt(self) -> None:
        """The user stopped the stream (left the `with` block, or pressed Ctrl-C)."""
        if self._final is None:
            self.interrupted = True
        self.done = True

    def _apply(self, event: ReplyEvent, payload: dict[str, Any]) -> None:
        kind = event.type
        if event.response is not None:
            if event.is_terminal:
                self._final = event.response
                self.done = True
            else:
                self._snapshot = event.response
                if event.response.output and not self._output:
                    self._output = list(event.response.output)
        elif kind in ("response.output_item.added", "response.output_item.done"):
            self._put_item(payload.get("output_index"), parse_output_item(payload.get("item")))
        elif kind == "response.content_part.added":
            item = self._message(payload)
            part = parse_output_content(payload.get("part") or {"type": "output_text"})
            _put(item.content, payload.get("content_index"), part)
        elif kind == "response.output_text.delta" and isinstance(event.delta, str):
            self._text_part(payload).text += event.delta
        elif kind == "response.output_text.done" and isinstance(payload.get("text"), str):
            self._text_part(payload).text = payload["text"]
        elif kind == "response.function_call_arguments.delta" and isinstance(event.delta, str):
            item = self._item(payload)
            if item is not None and hasattr(item, "arguments"):
                item.arguments += event.delta

    def _put_item(self, index: Any, item: Any) -> None:
        _put(self._output, index, item)

    def _item(self, payload: dict[str, Any]) -> Any:
        index = payload.get("output_index")
        if isinstance(index, int) and 0 <= index < len(self._output):
            return self._output[index]
        item_id = payload.get("item_id")
        return next((i for i in self._output if getattr(i, "id", None) == item_id), None)

    def _message(self, payload: dict[str, Any]) -> OutputMessage:
        item = self._item(payload)
        if not isinstance(item, OutputMessage):
            item = OutputMessage(id=payload.get("item_id"), status="in_progress")
            self._put_item(payload.get("output_index"), item)
        return item

    def _text_part(self, payload: dict[str, Any]) -> OutputText:
        message = self._message(payload)
        index = payload.get("content_index")
        index = index if isinstance(index, int) else 0
        while len(message.content) <= index:
            message.content.append(OutputText())
        part = message.content[index]
        if not isinstance(part, OutputText):
            part = OutputText()
            message.content[index] = part
        return part

    def _from_chat_chunk(self, chunk: dict[str, Any]) -> dict[str, Any] | None:
        """A seed-guide chat chunk as a `response.output_text.delta` payload (SEED_DIFFS row 6)."""
        self._chat = True
        if self._snapshot is None:
            self._snapshot = Reply(
                id=str(chunk.get("id") or ""),
                model=str(chunk.get("model") or ""),
                created_at=chunk.get("created"),
                status="in_progress",
            )
        if isinstance(chunk.get("usage"), dict):
            self._usage = Usage.model_validate(chunk["usage"])
        choices = chunk.get("choices") or [{}]
        delta = (choices[0] or {}).get("delta") or {}
        text = delta.get("content") if isinstance(delta, dict) else None
        if not text:
            return None
        self._chat_seq += 1
        return {
            "type": "response.output_text.delta",
            "sequence_number": self._chat_seq,
            "item_id": "msg_0",
            "output_index": 0,
            "content_index": 0,
            "delta": text,
            "logprobs": [],
        }

    def _finish_chat(self) -> None:
        if self._final is None and self._chat:
            for item in self._output:
                if isinstance(item, OutputMessage):
                    item.status = "completed"
            self._final = self.reply.model_copy(update={"status": "completed", "partial": False})


def _put(items: list[Any], index: Any, value: Any) -> None:
    if not isinstance(index, int) or index < 0:
        items.append(value)
        return
    while len(items) <= index:
        items.append(None)
    items[index] = value
    while None in items:  # fill gaps left by out-of-order indices with nothing
        items.remove(None)


class TranscriptStreamState:
    """Accumulate `transcript.text.*` events into a `Transcript`, with no I/O."""

    def __init__(self, *, model: str | None = None, response_format: str | None = None) -> None:
        self.done = False
        self.interrupted = False
        self._model = model
        self._format = response_format
        self._text: list[str] = []
        self._final_text: str | None = None
        self._logprobs: list[Any] = []
        self._segments: list[TranscriptSegment] = []
        self._usage: Usage | None = None
        self.source_audio: bytes | None = None

    @property
    def transcript(self) -> Transcript:
        """The transcript so far (complete once `transcript.text.done` arrived)."""
        text = self._final_text if self._final_text is not None else "".join(self._text)
        return Transcript(
            text=text,
            segments=list(self._segments),
            logprobs=self._logprobs or None,
            usage=self._usage,
            model=self._model,
            response_format=self._format,
            source_audio=self.source_audio,
        )

    def feed(self, sse: EventLike) -> list[TranscriptEvent]:
        """Take one decoded event; returns the typed events to yield."""
        if self.done:
            return []
        if sse.data.strip() == "[DONE]":
            self.done = True
            return []
        payload = _payload(sse, lambda: self.transcript)
        if not payload:
            return []
        failure = _stream_error(
            payload, "The transcription stream reported an error: {message}.", self.transcript)
        if failure is not None:
            self.done = True
            raise failure
        event = TranscriptEvent.model_validate(payload)
        if event.type == "transcript.text.delta" and event.delta:
            self._text.append(event.delta)
            self._logprobs.extend(event.logprobs or [])
        elif event.type == "transcript.text.segment":
            self._segments.append(TranscriptSegment.model_validate(payload))
        elif event.type == "transcript.text.done":
            self._final_text = event.text if event.text is not None else "".join(self._text)
            if event.logprobs:
                self._logprobs = list(event.logprobs)
            self._usage = event.usage
            self.done = True
        return [event]

    def finish(self) -> None:
        """The body ended."""
        self.done = True

    def interrupt(self) -> None:
        """The user stopped the stream."""
        self.interrupted = not self.done
        self.done = True


class SpeechStreamState:
    """Collect speech audio, from raw chunks (`stream_format="audio"`) or SSE events."""

    def __init__(self, *, sse: bool, clip: SpeechClip) -> None:
        self.sse = sse
        self.done = False
        self.interrupted = False
        self._template = clip
        self._chunks: list[bytes] = []
        self._usage: Usage | None = None
        self.events: list[SpeechEvent] = []

    @property
    def clip(self) -> SpeechClip:
        """The audio so far as a `SpeechClip` (`partial` until the stream ended)."""
        return self._template.model_copy(
            update={
                "audio": b"".join(self._chunks),
                "usage": self._usage,
                "partial": not self.done or self.interrupted,
            }
        )

    def feed_bytes(self, chunk: bytes) -> list[bytes]:
        """Take a raw audio chunk."""
        if chunk:
            self._chunks.append(chunk)
            return [chunk]
        return []

    def feed(self, sse: EventLike) -> list[bytes]:
        """Take one SSE event; returns the decoded audio chunks it carried."""
        if self.done:
            return []
        if sse.data.strip() == "[DONE]":
            self.done = True
            return []
        payload = _payload(sse, lambda: self.clip)
        if not payload:
            return []
        failure = _stream_error(payload, "The speech stream reported an error: {message}.",
                                self.clip)
        if failure is not None:
            self.done = True
            raise failure
        event = SpeechEvent.model_validate(payload)
        self.events.append(event)
        if event.type == "speech.audio.done":
            self._usage = event.usage
            self.done = True
            return []
        return self.feed_bytes(event.chunk)

    def finish(self) -> None:
        """The body ended."""
        self.done = True

    def interrupt(self) -> None:
        """The user stopped the stream."""
        self.interrupted = not self.done
        self.done = True
