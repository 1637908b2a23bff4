"""`client.audio`: transcriptions, translations and speech."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal

import httpx

from oainb._checks import (
    check_speech_params,
    check_transcription_params,
    check_translation_params,
    check_upload,
)
from oainb._client import AsyncClient, Client, RequestOptions
from oainb._compat import normalize_chunking_strategy
from oainb._config import is_loopback
from oainb._files import to_upload
from oainb._streaming import (
    AsyncSpeechStream,
    AsyncTranscriptStream,
    SpeechStream,
    SpeechStreamState,
    SSEDecoder,
    TranscriptStream,
    TranscriptStreamState,
)
from oainb._types import NOT_GIVEN, FileInput, NotGiven
from oainb.resources._base import (
    AsyncAPIResource,
    SyncAPIResource,
    encode_form,
    given,
    merge_extra,
    parse_json,
)
from oainb.results.speech import SpeechClip
from oainb.results.transcript import Transcript

__all__ = [
    "AsyncAudio",
    "AsyncSpeech",
    "AsyncTranscriptions",
    "AsyncTranslations",
    "Audio",
    "Speech",
    "Transcriptions",
    "Translations",
]

Timeout = float | httpx.Timeout | None | NotGiven


def _upload_options(
    path: str,
    file: FileInput,
    fields: dict[str, Any],
    *,
    stream: bool,
    extra_body: Mapping[str, Any] | None,
    timeout: Any,
) -> RequestOptions:
    upload = to_upload(file)
    check_upload(upload)
    return RequestOptions(
        "POST",
        path,
        data=encode_form(merge_extra(fields, extra_body)),
        files={"file": upload},
        stream=stream,
        timeout=timeout,
    )


def build_transcription_options(
    file: FileInput,
    fields: dict[str, Any],
    *,
    extra_body: Mapping[str, Any] | None = None,
    timeout: Any = NOT_GIVEN,
) -> RequestOptions:
    """Check and encode a `POST /audio/transcriptions` multipart request (pure)."""
    if "chunking_strategy" in fields:
        fields["chunking_strategy"] = normalize_chunking_strategy(fields["chunking_strategy"])
    check_transcription_params(fields)
    stream = bool(fields.get("stream"))
    return _upload_options(
        "/audio/transcriptions", file, fields, stream=stream, extra_body=extra_body, timeout=timeout
    )


def build_translation_options(
    file: FileInput,
    fields: dict[str, Any],
    *,
    extra_body: Mapping[str, Any] | None = None,
    timeout: Any = NOT_GIVEN,
) -> RequestOptions:
    """Check and encode a `POST /audio/translations` multipart request (pure)."""
    check_translation_params(fields)
    return _upload_options(
        "/audio/translations", file, fields, stream=False, extra_body=extra_body, timeout=timeout
    )


def build_speech_options(
    fields: dict[str, Any],
    *,
    stream: bool,
    local: bool = False,
    extra_body: Mapping[str, Any] | None = None,
    timeout: Any = NOT_GIVEN,
) -> RequestOptions:
    """Check a `POST /audio/speech` JSON body (pure).

    `local`: the server runs on this machine, so voices other than OpenAI's (the local
    server's espeak-ng names, `"de"`, `"en-us+f3"`) are left for it to judge.
    """
    check_speech_params(fields, any_voice=local)
    return RequestOptions(
        "POST",
        "/audio/speech",
        json=merge_extra(fields, extra_body),
        stream=stream,
        timeout=timeout,
    )


def _is_local(client: Client | AsyncClient) -> bool:
    """Whether `client` talks to a server on this machine (the embedded one, or any other)."""
    return client.backend == "local" or is_loopback(client.base_url)


def parse_transcript(response: httpx.Response, fields: Mapping[str, Any]) -> Transcript:
    """A `Transcript` from any `response_format`'s body (JSON, plain text, SRT or VTT)."""
    fmt = fields.get("response_format") or "json"
    model = fields.get("model")
    if fmt in ("srt", "vtt"):
        return Transcript.from_subtitles(response.text, model=model, response_format=fmt)
    if fmt == "text":
        return Transcript(text=response.text.strip(), model=model, response_format=fmt)
    body = parse_json(response)
    if isinstance(body, str):
        return Transcript(text=body, model=model, response_format=fmt)
    transcript = Transcript.model_validate(body)
    return transcript.model_copy(update={"model": model, "response_format": fmt})


def _speech_clip(fields: Mapping[str, Any]) -> SpeechClip:
    return SpeechClip(
        format=fields.get("response_format") or "mp3",
        model=fields.get("model"),
        voice=fields["voice"] if isinstance(fields.get("voice"), str) else None,
        input=fields.get("input"),
        instructions=fields.get("instructions"),
        speed=fields.get("speed"),
    )


def clip_from_body(response: httpx.Response, fields: Mapping[str, Any]) -> SpeechClip:
    """A `SpeechClip` from a complete speech body: raw audio, or SSE when asked for."""
    template = _speech_clip(fields)
    if fields.get("stream_format") != "sse":
        return template.model_copy(update={"audio": response.content})
    state = SpeechStreamState(sse=True, clip=template)
    for sse in SSEDecoder().iter_bytes([response.content]):
        state.feed(sse)
    state.finish()
    return state.clip


class Transcriptions(SyncAPIResource):
    """`POST /audio/transcriptions`."""

    def create(
        self,
        *,
        file: FileInput,
        model: str,
        response_format: str | NotGiven = NOT_GIVEN,
        language: str | NotGiven = NOT_GIVEN,
        prompt: str | NotGiven = NOT_GIVEN,
        temperature: float | NotGiven = NOT_GIVEN,
        timestamp_granularities: list[Literal["word", "segment"]] | NotGiven = NOT_GIVEN,
        include: list[Literal["logprobs"]] | NotGiven = NOT_GIVEN,
        chunking_strategy: Any = NOT_GIVEN,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout = NOT_GIVEN,
    ) -> Transcript | TranscriptStream:
        """Transcribe an audio file (a path, bytes or a binary file object).

        Example:
            >>> t = client.audio.transcriptions.create(file="talk.mp3", model="whisper-1",
            ...     response_format="verbose_json", timestamp_granularities=["word"])  # doctest: +SKIP
            >>> t.words[0]  # doctest: +SKIP
            <TranscriptWord 'Hello' 0.00-0.42s>

        Returns:
            A `Transcript`, or with `stream=True` a `TranscriptStream` of events.

        Raises:
            InputError: the file or a parameter is rejected locally (nothing is sent).
        """
        fields = given(
            model=model,
            response_format=response_format,
            language=language,
            prompt=prompt,
            temperature=temperature,
            timestamp_granularities=timestamp_granularities,
            include=include,
            chunking_strategy=chunking_strategy,
        )
        if stream:
            fields["stream"] = True
        options = build_transcription_options(file, fields, extra_body=extra_body, timeout=timeout)
        if stream:
            state = TranscriptStreamState(
                model=model, response_format=fields.get("response_format")
            )
            transcript_stream = TranscriptStream(
                lambda: self._client.request(options), state, secret=self._client.api_key
            )
            transcript_stream._open()
            return transcript_stream
        return parse_transcript(self._client.request(options), fields)


class AsyncTranscriptions(AsyncAPIResource):
    """`POST /audio/transcriptions`, async."""

    async def create(
        self,
        *,
        file: FileInput,
        model: str,
        response_format: str | NotGiven = NOT_GIVEN,
        language: str | NotGiven = NOT_GIVEN,
        prompt: str | NotGiven = NOT_GIVEN,
        temperature: float | NotGiven = NOT_GIVEN,
        timestamp_granularities: list[Literal["word", "segment"]] | NotGiven = NOT_GIVEN,
        include: list[Literal["logprobs"]] | NotGiven = NOT_GIVEN,
        chunking_strategy: Any = NOT_GIVEN,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout = NOT_GIVEN,
    ) -> Transcript | AsyncTranscriptStream:
        """Transcribe an audio file; with `stream=True`, an `AsyncTranscriptStream`."""
        fields = given(
            model=model,
            response_format=response_format,
            language=language,
            prompt=prompt,
            temperature=temperature,
            timestamp_granularities=timestamp_granularities,
            include=include,
            chunking_strategy=chunking_strategy,
        )
        if stream:
            fields["stream"] = True
        options = build_transcription_options(file, fields, extra_body=extra_body, timeout=timeout)
        if stream:
            state = TranscriptStreamState(
                model=model, response_format=fields.get("response_format")
            )
            transcript_stream = AsyncTranscriptStream(
                lambda: self._client.request(options), state, secret=self._client.api_key
            )
            await transcript_stream._open()
            return transcript_stream
        return parse_transcript(await self._client.request(options), fields)


class Translations(SyncAPIResource):
    """`POST /audio/translations` (into English; whisper-1 only)."""

    def create(
        self,
        *,
        file: FileInput,
        model: str,
        response_format: str | NotGiven = NOT_GIVEN,
        prompt: str | NotGiven = NOT_GIVEN,
        temperature: float | NotGiven = NOT_GIVEN,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout = NOT_GIVEN,
    ) -> Transcript:
        """Translate speech in an audio file into English text."""
        fields = given(
            model=model, response_format=response_format, prompt=prompt, temperature=temperature
        )
        options = build_translation_options(file, fields, extra_body=extra_body, timeout=timeout)
        return parse_transcript(self._client.request(options), fields)


class AsyncTranslations(AsyncAPIResource):
    """`POST /audio/translations`, async."""

    async def create(
        self,
        *,
        file: FileInput,
        model: str,
        response_format: str | NotGiven = NOT_GIVEN,
        prompt: str | NotGiven = NOT_GIVEN,
        temperature: float | NotGiven = NOT_GIVEN,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout = NOT_GIVEN,
    ) -> Transcript:
        """Translate speech in an audio file into English text."""
        fields = given(
            model=model, response_format=response_format, prompt=prompt, temperature=temperature
        )
        options = build_translation_options(file, fields, extra_body=extra_body, timeout=timeout)
        return parse_transcript(await self._client.request(options), fields)


class Speech(SyncAPIResource):
    """`POST /audio/speech`."""

    def create(
        self,
        *,
        model: str,
        input: str,
        voice: str | dict[str, str],
        instructions: str | NotGiven = NOT_GIVEN,
        response_format: str | NotGiven = NOT_GIVEN,
        speed: float | NotGiven = NOT_GIVEN,
        stream_format: Literal["audio", "sse"] | NotGiven = NOT_GIVEN,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout = NOT_GIVEN,
    ) -> SpeechClip:
        """Speak `input` in `voice`; returns the whole clip.

        Example:
            >>> clip = client.audio.speech.create(model="gpt-4o-mini-tts", input="Hi",
            ...     voice="alloy")  # doctest: +SKIP
            >>> clip.save("hi.mp3")  # doctest: +SKIP
        """
        fields = given(
            model=model,
            input=input,
            voice=voice,
            instructions=instructions,
            response_format=response_format,
            speed=speed,
            stream_format=stream_format,
        )
        options = build_speech_options(
            fields,
            stream=False,
            local=_is_local(self._client),
            extra_body=extra_body,
            timeout=timeout,
        )
        return clip_from_body(self._client.request(options), fields)

    def stream(
        self,
        *,
        model: str,
        input: str,
        voice: str | dict[str, str],
        instructions: str | NotGiven = NOT_GIVEN,
        response_format: str | NotGiven = NOT_GIVEN,
        speed: float | NotGiven = NOT_GIVEN,
        stream_format: Literal["audio", "sse"] = "audio",
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout = NOT_GIVEN,
    ) -> SpeechStream:
        """Speak `input`, yielding audio `bytes` chunks as they arrive (`.clip` collects them).

        Example:
            >>> with client.audio.speech.stream(model="gpt-4o-mini-tts", input="Hi",
            ...         voice="alloy", response_format="pcm") as stream:  # doctest: +SKIP
            ...     for chunk in stream:
            ...         player.feed(chunk)
        """
        fields = given(
            model=model,
            input=input,
            voice=voice,
            instructions=instructions,
            response_format=response_format,
            speed=speed,
            stream_format=stream_format,
        )
        options = build_speech_options(
            fields,
            stream=True,
            local=_is_local(self._client),
            extra_body=extra_body,
            timeout=timeout,
        )
        state = SpeechStreamState(sse=stream_format == "sse", clip=_speech_clip(fields))
        return SpeechStream(
            lambda: self._client.request(options),
            state,
            raw=stream_format != "sse",
            secret=self._client.api_key,
        )


class AsyncSpeech(AsyncAPIResource):
    """`POST /audio/speech`, async."""

    async def create(
        self,
        *,
        model: str,
        input: str,
        voice: str | dict[str, str],
        instructions: str | NotGiven = NOT_GIVEN,
        response_format: str | NotGiven = NOT_GIVEN,
        speed: float | NotGiven = NOT_GIVEN,
        stream_format: Literal["audio", "sse"] | NotGiven = NOT_GIVEN,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout = NOT_GIVEN,
    ) -> SpeechClip:
        """Speak `input` in `voice`; returns the whole clip."""
        fields = given(
            model=model,
            input=input,
            voice=voice,
            instructions=instructions,
            response_format=response_format,
            speed=speed,
            stream_format=stream_format,
        )
        options = build_speech_options(
            fields,
            stream=False,
            local=_is_local(self._client),
            extra_body=extra_body,
            timeout=timeout,
        )
        return clip_from_body(await self._client.request(options), fields)

    def stream(
        self,
        *,
        model: str,
        input: str,
        voice: str | dict[str, str],
        instructions: str | NotGiven = NOT_GIVEN,
        response_format: str | NotGiven = NOT_GIVEN,
        speed: float | NotGiven = NOT_GIVEN,
        stream_format: Literal["audio", "sse"] = "audio",
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout = NOT_GIVEN,
    ) -> AsyncSpeechStream:
        """Speak `input`, yielding audio `bytes` chunks; use with `async with`."""
        fields = given(
            model=model,
            input=input,
            voice=voice,
            instructions=instructions,
            response_format=response_format,
            speed=speed,
            stream_format=stream_format,
        )
        options = build_speech_options(
            fields,
            stream=True,
            local=_is_local(self._client),
            extra_body=extra_body,
            timeout=timeout,
        )
        state = SpeechStreamState(sse=stream_format == "sse", clip=_speech_clip(fields))
        return AsyncSpeechStream(
            lambda: self._client.request(options),
            state,
            raw=stream_format != "sse",
            secret=self._client.api_key,
        )


class Audio(SyncAPIResource):
    """`client.audio`: `transcriptions`, `translations`, `speech`."""

    @cached_property
    def transcriptions(self) -> Transcriptions:
        """Speech to text."""
        return Transcriptions(self._client)

    @cached_property
    def translations(self) -> Translations:
        """Speech to English text."""
        return Translations(self._client)

    @cached_property
    def speech(self) -> Speech:
        """Text to speech."""
        return Speech(self._client)


class AsyncAudio(AsyncAPIResource):
    """`client.audio` of an `AsyncClient`."""

    @cached_property
    def transcriptions(self) -> AsyncTranscriptions:
        """Speech to text."""
        return AsyncTranscriptions(self._client)

    @cached_property
    def translations(self) -> AsyncTranslations:
        """Speech to English text."""
        return AsyncTranslations(self._client)

    @cached_property
    def speech(self) -> AsyncSpeech:
        """Text to speech."""
        return AsyncSpeech(self._client)
