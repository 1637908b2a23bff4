"""Server-sent events: one decoder and thin sync/async streams around it.

The SSE decoder follows the WHATWG event-stream rules the way openai-python's
`src/openai/_streaming.py` (`SSEDecoder`) does: `event:`/`data:`/`id:` fields, multi-line
`data:`, `:` comments, CR/LF/CRLF line ends. The decoded events go into the I/O-free state
objects of `oainb.results.stream_state`; `ReplyStream` and `AsyncReplyStream` (and their
siblings) only move bytes, open and close the connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

import httpx
from typing_extensions import Self

from oainb._config import redact
from oainb._exceptions import StreamError
from oainb.results.events import ReplyEvent, SpeechEvent, TranscriptEvent
from oainb.results.reply import Reply
from oainb.results.speech import SpeechClip
from oainb.results.stream_state import ReplyStreamState, SpeechStreamState, TranscriptStreamState
from oainb.results.transcript import Transcript

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
