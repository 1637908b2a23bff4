"""Server-sent events: one decoder, three I/O-free state machines, and thin sync/async streams.

The SSE decoder follows the WHATWG event-stream rules the way openai-python's
`src/openai/_streaming.py` (`SSEDecoder`) does: `event:`/`data:`/`id:` fields, multi-line
`data:`, `:` comments, CR/LF/CRLF line ends. Events are dispatched on the JSON `type`, never on
the `event:` line (CONTRACT §3). The state objects (`ReplyStreamState`,
`TranscriptStreamState`, `SpeechStreamState`) turn decoded events into typed results and know
nothing of I/O; `ReplyStream` and `AsyncReplyStream` (and their siblings) only move bytes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import (
    Any,
    Generic,
    TypeVar,
)

import httpx
from typing_extensions import Self

from oainb._config import redact
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

__all__ = [
    "AsyncReplyStream",
    "AsyncSpeechStream",
    "AsyncTranscriptStream",
    "ReplyStream",
    "ReplyStreamState",
    "SSEDecoder",
    "ServerSentEvent",
    "SpeechStream",
    "SpeechStreamState",
    "TranscriptStream",
    "TranscriptStreamState",
]

log = logging.getLogger("oainb")
T = TypeVar("T")


class ServerSentEvent:
    """One decoded event: the `event` name (if any), its `data` text, `id` and `retry`."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self,
        *,
        event: str | None = None,
        data: str = "",
        id: str | None = None,
        retry: int | None = None,
    ) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def json(self) -> Any:
        """The data parsed as JSON."""
        return json.loads(self.data)

    def __repr__(self) -> str:
        return f"<ServerSentEvent event={self.event!r} data={self.data[:40]!r}>"


class SSEDecoder:
    """Decode a text/event-stream body into `ServerSentEvent`s.

    Example:
        >>> events = list(SSEDecoder().iter_bytes([b"event: x\\ndata: {}\\n\\n"]))
        >>> events[0].event, events[0].data
        ('x', '{}')
    """

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None

    def decode(self, line: str) -> ServerSentEvent | None:
        """Feed one line (without its line end); returns an event when a blank line ends one."""
        if not line:
            if self._event is None and not self._data and self._id is None:
                return None
            sse = ServerSentEvent(
                event=self._event, data="\n".join(self._data), id=self._id, retry=self._retry
            )
            self._event, self._data, self._retry = None, [], None
            return sse
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self._id = value
        elif field == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def flush(self) -> ServerSentEvent | None:
        """The event still pending when the body ended without a final blank line."""
        return self.decode("")

    def iter_bytes(self, chunks: Iterator[bytes] | list[bytes]) -> Iterator[ServerSentEvent]:
        """Decode a sync iterator of byte chunks."""
        buffer = b""
        for chunk in chunks:
            buffer += chunk
            lines, buffer = _split_lines(buffer)
            for line in lines:
                sse = self.decode(line)
                if sse is not None:
                    yield sse
        yield from self._tail(buffer)

    async def aiter_bytes(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[ServerSentEvent]:
        """Decode an async iterator of byte chunks."""
        buffer = b""
        async for chunk in chunks:
            buffer += chunk
            lines, buffer = _split_lines(buffer)
            for line in lines:
                sse = self.decode(line)
                if sse is not None:
                    yield sse
        for sse in self._tail(buffer):
            yield sse

    def _tail(self, buffer: bytes) -> Iterator[ServerSentEvent]:
        if buffer:
            sse = self.decode(buffer.decode("utf-8", errors="replace").rstrip("\r"))
            if sse is not None:
                yield sse
        sse = self.flush()
        if sse is not None:
            yield sse


def _split_lines(buffer: bytes) -> tuple[list[str], bytes]:
    """Complete lines of `buffer` (CR, LF or CRLF ends) and the unfinished rest."""
    lines: list[str] = []
    start = 0
    i = 0
    while i < len(buffer):
        byte = buffer[i : i + 1]
        if byte == b"\n" or byte == b"\r":
            if byte == b"\r" and i + 1 == len(buffer):
                break  # a CR at the end may be the first half of a CRLF
            lines.append(buffer[start:i].decode("utf-8", errors="replace"))
            i += 2 if buffer[i : i + 2] == b"\r\n" else 1
            start = i
        else:
            i += 1
    return lines, buffer[start:]


def _payload(sse: ServerSentEvent, state_reply: Callable[[], Any]) -> dict[str, Any] | None:
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

    def feed(self, sse: ServerSentEvent) -> list[ReplyEvent]:
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
        error = _error_event_fields(payload)
        if error is not None:
            self.done = True
            raise StreamError(
                f"The stream reported an error: {error['message']}; the partial reply is on `.reply`.",
                reply=self.reply,
                code=error["code"],
                param=error["param"],
            )
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

    def feed(self, sse: ServerSentEvent) -> list[TranscriptEvent]:
        """Take one decoded event; returns the typed events to yield."""
        if self.done:
            return []
        if sse.data.strip() == "[DONE]":
            self.done = True
            return []
        payload = _payload(sse, lambda: self.transcript)
        if not payload:
            return []
        error = _error_event_fields(payload)
        if error is not None:
            self.done = True
            raise StreamError(
                f"The transcription stream reported an error: {error['message']}.",
                reply=self.transcript,
                code=error["code"],
                param=error["param"],
            )
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

    def feed(self, sse: ServerSentEvent) -> list[bytes]:
        """Take one SSE event; returns the decoded audio chunks it carried."""
        if self.done:
            return []
        if sse.data.strip() == "[DONE]":
            self.done = True
            return []
        payload = _payload(sse, lambda: self.clip)
        if not payload:
            return []
        error = _error_event_fields(payload)
        if error is not None:
            self.done = True
            raise StreamError(
                f"The speech stream reported an error: {error['message']}.",
                reply=self.clip,
                code=error["code"],
                param=error["param"],
            )
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


_BROKEN = (
    "The connection broke off mid-stream; the partial result is kept on the stream "
    "(a background reply can be resumed with `starting_after`)."
)


def _redact_error(exc: StreamError, secret: str | None) -> None:
    """A server may echo the key in an error event; the message must not carry it on."""
    exc.message = redact(exc.message, secret)
    exc.args = (exc.message,)


class _SyncStream(Generic[T]):
    """Opens the response on first use, yields what the state makes of it, closes on exit."""

    def __init__(
        self,
        opener: Callable[[], httpx.Response],
        state: Any,
        *,
        raw: bool = False,
        secret: str | None = None,
    ):
        self._opener = opener
        self._secret = secret
        self._state = state
        self._raw = raw
        self._response: httpx.Response | None = None
        self._iterator: Iterator[T] | None = None

    def _open(self) -> httpx.Response:
        if self._response is None:
            self._response = self._opener()
        return self._response

    def __enter__(self) -> Self:
        self._open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator

    def __next__(self) -> T:
        return next(iter(self))

    def _iterate(self) -> Iterator[T]:
        response = self._open()
        try:
            if self._raw:
                for chunk in response.iter_bytes():
                    yield from self._state.feed_bytes(chunk)
            else:
                for sse in SSEDecoder().iter_bytes(response.iter_bytes()):
                    yield from self._state.feed(sse)
                    if self._state.done:
                        break
            self._state.finish()
        except StreamError as exc:
            _redact_error(exc, self._secret)
            raise
        except httpx.HTTPError as exc:
            self._state.finish()
            raise StreamError(_BROKEN, reply=self._result()) from exc
        except KeyboardInterrupt:
            self._state.interrupt()
            raise
        finally:
            if self._state.done:
                self.close()

    def _result(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection; a stream stopped before its end keeps a partial result."""
        if not self._state.done:
            self._state.interrupt()
        if self._response is not None:
            self._response.close()


class _AsyncStream(Generic[T]):
    """The async twin of `_SyncStream`, kept parallel line by line."""

    def __init__(
        self,
        opener: Callable[[], Awaitable[httpx.Response]],
        state: Any,
        *,
        raw: bool = False,
        secret: str | None = None,
    ):
        self._opener = opener
        self._secret = secret
        self._state = state
        self._raw = raw
        self._response: httpx.Response | None = None
        self._iterator: AsyncIterator[T] | None = None

    async def _open(self) -> httpx.Response:
        if self._response is None:
            self._response = await self._opener()
        return self._response

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __aiter__(self) -> AsyncIterator[T]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator

    async def __anext__(self) -> T:
        return await self.__aiter__().__anext__()

    async def _iterate(self) -> AsyncIterator[T]:
        response = await self._open()
        try:
            if self._raw:
                async for chunk in response.aiter_bytes():
                    for item in self._state.feed_bytes(chunk):
                        yield item
            else:
                async for sse in SSEDecoder().aiter_bytes(response.aiter_bytes()):
                    for item in self._state.feed(sse):
                        yield item
                    if self._state.done:
                        break
            self._state.finish()
        except StreamError as exc:
            _redact_error(exc, self._secret)
            raise
        except httpx.HTTPError as exc:
            self._state.finish()
            raise StreamError(_BROKEN, reply=self._result()) from exc
        except (KeyboardInterrupt, asyncio.CancelledError):
            self._state.interrupt()
            raise
        finally:
            if self._state.done:
                await self.close()

    def _result(self) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        """Close the connection; a stream stopped before its end keeps a partial result."""
        if not self._state.done:
            self._state.interrupt()
        if self._response is not None:
            await self._response.aclose()


class ReplyStream(_SyncStream[ReplyEvent]):
    """A streamed reply: iterate it for `ReplyEvent`s; `reply` holds the result so far.

    Example:
        >>> with client.responses.stream(model="gpt-4o-mini", input="Hi") as stream:  # doctest: +SKIP
        ...     for event in stream:
        ...         if event.type == "response.output_text.delta":
        ...             print(event.delta, end="")
        ...     print(stream.reply.usage)
    """

    _state: ReplyStreamState

    @property
    def reply(self) -> Reply:
        """Complete after the terminal event; partial (and marked so) after an error or a stop."""
        return self._state.reply

    @property
    def last_sequence_number(self) -> int | None:
        """The `sequence_number` of the last event seen (to resume with `starting_after`)."""
        return self._state.last_sequence_number

    def _result(self) -> Reply:
        return self.reply

    def text_deltas(self) -> Iterator[str]:
        """Only the text deltas, the way a chat-completions stream gave them."""
        for event in self:
            if event.type == "response.output_text.delta" and isinstance(event.delta, str):
                yield event.delta

    def get_final_reply(self) -> Reply:
        """Read the stream to its end and return the reply."""
        for _ in self:
            pass
        return self.reply


class AsyncReplyStream(_AsyncStream[ReplyEvent]):
    """The async twin of `ReplyStream`: `async with` / `async for`."""

    _state: ReplyStreamState

    @property
    def reply(self) -> Reply:
        """Complete after the terminal event; partial (and marked so) after an error or a stop."""
        return self._state.reply

    @property
    def last_sequence_number(self) -> int | None:
        """The `sequence_number` of the last event seen (to resume with `starting_after`)."""
        return self._state.last_sequence_number

    def _result(self) -> Reply:
        return self.reply

    async def text_deltas(self) -> AsyncIterator[str]:
        """Only the text deltas, the way a chat-completions stream gave them."""
        async for event in self:
            if event.type == "response.output_text.delta" and isinstance(event.delta, str):
                yield event.delta

    async def get_final_reply(self) -> Reply:
        """Read the stream to its end and return the reply."""
        async for _ in self:
            pass
        return self.reply


class TranscriptStream(_SyncStream[TranscriptEvent]):
    """A streamed transcription: iterate for `TranscriptEvent`s; `transcript` is the text so far."""

    _state: TranscriptStreamState

    @property
    def transcript(self) -> Transcript:
        """The transcript so far (complete after `transcript.text.done`)."""
        return self._state.transcript

    def _result(self) -> Transcript:
        return self.transcript

    def get_final_transcript(self) -> Transcript:
        """Read the stream to its end and return the transcript."""
        for _ in self:
            pass
        return self.transcript


class AsyncTranscriptStream(_AsyncStream[TranscriptEvent]):
    """The async twin of `TranscriptStream`."""

    _state: TranscriptStreamState

    @property
    def transcript(self) -> Transcript:
        """The transcript so far (complete after `transcript.text.done`)."""
        return self._state.transcript

    def _result(self) -> Transcript:
        return self.transcript

    async def get_final_transcript(self) -> Transcript:
        """Read the stream to its end and return the transcript."""
        async for _ in self:
            pass
        return self.transcript


class SpeechStream(_SyncStream[bytes]):
    """Streamed speech: iterate for audio `bytes` chunks as they arrive; `clip` collects them."""

    _state: SpeechStreamState

    @property
    def clip(self) -> SpeechClip:
        """The audio so far (`partial` until the stream ended)."""
        return self._state.clip

    @property
    def events(self) -> list[SpeechEvent]:
        """The SSE events seen so far (`stream_format="sse"` only)."""
        return list(self._state.events)

    def _result(self) -> SpeechClip:
        return self.clip

    def get_final_clip(self) -> SpeechClip:
        """Read the stream to its end and return the clip."""
        for _ in self:
            pass
        return self.clip


class AsyncSpeechStream(_AsyncStream[bytes]):
    """The async twin of `SpeechStream`."""

    _state: SpeechStreamState

    @property
    def clip(self) -> SpeechClip:
        """The audio so far (`partial` until the stream ended)."""
        return self._state.clip

    @property
    def events(self) -> list[SpeechEvent]:
        """The SSE events seen so far (`stream_format="sse"` only)."""
        return list(self._state.events)

    def _result(self) -> SpeechClip:
        return self.clip

    async def get_final_clip(self) -> SpeechClip:
        """Read the stream to its end and return the clip."""
        async for _ in self:
            pass
        return self.clip
