"""The library functions behind the magics and the widgets: one call each, priced and recorded.

Every function checks the session budget with an estimate before it sends anything, records
what the call cost in the session ledger afterwards, and attaches the cost and the elapsed
time to the result (`oainb.display.annotations_of(result)`), which its display shows.

`respond` remembers the id of the last reply of this kernel, so
`respond(..., previous_response_id=CONTINUE)` (the magic's `--continue`) follows on from it.
Ctrl-C during a streamed reply closes the connection and returns the partial reply marked
`interrupted`, its cost counted. The `a`-prefixed twins do the same with `AsyncClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from oainb._exceptions import InputError, OainbError
from oainb.cost import (
    CostEstimate,
    Ledger,
    count_tokens,
    estimate_reply,
    estimate_speech,
    estimate_transcription,
    price_usage,
    session_ledger,
)
from oainb.display import annotate
from oainb.notebook._audio import AudioSource, duration_of, load_source

__all__ = [
    "CONTINUE",
    "DEFAULT_MODEL",
    "DEFAULT_STT_MODEL",
    "DEFAULT_TTS_MODEL",
    "DEFAULT_VOICE",
    "TOOL_NAMES",
    "PollEvent",
    "Session",
    "arespond",
    "aspeak",
    "atranscribe",
    "atranslate",
    "is_local",
    "respond",
    "session",
    "speak",
    "status_text",
    "transcribe",
    "translate",
]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_STT_MODEL = "whisper-1"
DEFAULT_TTS_MODEL = "tts-1"
DEFAULT_VOICE = "alloy"
#: Seconds between polls of a background reply.
POLL_INTERVAL = 0.5
#: `previous_response_id=CONTINUE` follows on from the last reply of this session.
CONTINUE = "__oainb_continue__"
TOOL_NAMES = ("web_search", "file_search", "code_interpreter", "image_generation")
_TOOLS: dict[str, dict[str, Any]] = {
    "web_search": {"type": "web_search"},
    "file_search": {"type": "file_search", "vector_store_ids": []},
    "code_interpreter": {"type": "code_interpreter", "container": {"type": "auto"}},
    "image_generation": {"type": "image_generation"},
}
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
_PENDING = ("queued", "in_progress")
OnEvent = Callable[[Any], None] | None


@dataclass
class PollEvent:
    """What `respond(background=True)` reports to `on_event` at each poll."""

    status: str
    reply: Any = None
    type: str = "oainb.poll"


@dataclass
class Session:
    """This kernel's state: the clients, the cost ledger, the last reply id.

    `client` is built on first use (`oainb.Client()`: the local server when no key is set).
    `set_api_key` rebuilds the clients with a key that lives only in memory.
    """

    client: Any = None
    async_client: Any = None
    ledger: Ledger = field(default_factory=session_ledger)
    previous_response_id: str | None = None
    api_key: str | None = field(default=None, repr=False)
    http_client: Any = None

    def get_client(self) -> Any:
        """The sync client, created on first use."""
        if self.client is None:
            from oainb import Client

            self.client = Client(api_key=self.api_key, http_client=self.http_client)
        return self.client

    def get_async_client(self) -> Any:
        """The async client, created on first use."""
        if self.async_client is None:
            from oainb import AsyncClient

            self.async_client = AsyncClient(api_key=self.api_key)
        return self.async_client

    def set_api_key(self, key: str | None) -> None:
        """Use `key` from now on (None: back to the environment or the local server)."""
        self.api_key = key or None
        self.client = self.async_client = None

    def reset(self) -> None:
        """Forget the clients and the conversation (the ledger stays)."""
        self.client = self.async_client = None
        self.previous_response_id = None


_SESSION = Session()


def session() -> Session:
    """The session of this kernel, shared by the magics, the widgets and these functions."""
    return _SESSION


def status_text(*, defaults: dict[str, Any] | None = None) -> str:
    """What `%oainb` prints: backend, whether a key is set (never the key), defaults, ledger."""
    from oainb._config import resolve_config

    state = session()
    if state.client is not None:
        backend = "local server" if is_local(state.client) else "OpenAI-compatible API"
        where = str(getattr(state.client, "base_url", "") or "")
    else:
        try:
            config = resolve_config(api_key=state.api_key)
        except InputError as exc:
            return f"backend: not configured ({exc})"
        where = config.base_url
        if config.backend == "local":
            backend = "local server (started on first call)"
        else:
            backend = "local server" if is_local(config) else "OpenAI-compatible API"
    key = state.api_key or os.environ.get("OPENAI_API_KEY")
    lines = [
        f"backend: {backend}{' at ' + where if where else ''}",
        f"API key: {'set' if key else 'not set'}" + (" (this session)" if state.api_key else ""),
    ]
    if defaults:
        lines.append("defaults: " + ", ".join(f"{k}={v}" for k, v in defaults.items()))
    if state.previous_response_id:
        lines.append(f"conversation: continues from {state.previous_response_id}")
    lines.append("ledger: " + state.ledger.summary())
    return "\n".join(lines)


def is_local(client: Any) -> bool:
    """True when `client` talks to the bundled local server (or any server on this machine)."""
    if getattr(client, "backend", None) == "local":
        return True
    base_url = str(getattr(client, "base_url", "") or "")
    host = urllib.parse.urlsplit(base_url).hostname or ""
    return host in _LOOPBACK


def _tools(tools: Any) -> list[Any] | None:
    if not tools:
        return None
    if isinstance(tools, str):
        tools = [t.strip() for t in tools.split(",") if t.strip()]
    out = []
    for tool in tools:
        if isinstance(tool, dict):
            out.append(tool)
        elif tool in _TOOLS:
            out.append(dict(_TOOLS[tool]))
        else:
            raise InputError(f"Unknown tool {tool!r}; choose from {', '.join(TOOL_NAMES)}.", param="tools")
    return out


def _text_format(schema: Any, json_mode: bool) -> dict[str, Any] | None:
    if schema is not None:
        if hasattr(schema, "model_json_schema"):  # a pydantic model class
            name, body = schema.__name__, schema.model_json_schema()
        elif isinstance(schema, dict):
            name, body = str(schema.get("title") or "output"), schema
        else:
            raise InputError("schema must be a JSON-schema dict or a pydantic model class.", param="schema")
        body = _strict_schema(dict(body)) if body.get("type") == "object" else body
        return {"format": {"type": "json_schema", "name": name[:64], "schema": body, "strict": False}}
    if json_mode:
        return {"format": {"type": "json_object"}}
    return None


def _strict_schema(body: dict[str, Any]) -> dict[str, Any]:
    body.setdefault("additionalProperties", False)
    return body


def _reply_params(
    *,
    model: str,
    instructions: str | None,
    temperature: float | None,
    top_p: float | None,
    max_output_tokens: int | None,
    tools: Any,
    schema: Any,
    json: bool,
    logprobs: int | None,
    previous_response_id: str | None,
) -> dict[str, Any]:
    """The keyword arguments of `responses.create`, without the ones left unset."""
    params: dict[str, Any] = {
        "instructions": instructions,
        "temperature": temperature,
        "top_p": top_p,
        "max_output_tokens": max_output_tokens,
        "tools": _tools(tools),
        "text": _text_format(schema, json),
        "previous_response_id": previous_response_id,
    }
    if logprobs is not None:
        params["top_logprobs"] = logprobs
        params["include"] = ["message.output_text.logprobs"]
    return {k: v for k, v in params.items() if v is not None}


def _previous(previous_response_id: str | None, state: Session) -> str | None:
    if previous_response_id != CONTINUE:
        return previous_response_id
    if state.previous_response_id is None:
        raise InputError("There is no earlier reply in this session to continue from; drop --continue.")
    return state.previous_response_id


@dataclass
class _ReplyCall:
    """One `respond` call once checked: what both shells send, and how to settle it."""

    state: Session
    client: Any
    model: str
    prompt: str
    params: dict[str, Any]
    estimate: CostEstimate
    started: float = field(default_factory=time.monotonic)

    def settle(self, reply: Any) -> Any:
        """Price a finished (or interrupted) reply, record it, remember its id."""
        usage = reply.usage
        if usage is None:  # interrupted: count what was sent and what arrived
            usage = {"input_tokens": count_tokens(self.prompt, model=self.model),
                     "output_tokens": count_tokens(reply.output_text, model=self.model)}
        cost = price_usage(self.model, usage, local=self.estimate.local)
        if reply.usage is None:
            cost = dataclasses.replace(cost, estimated=True)
        self.state.ledger.record(cost, kind="respond", label=reply.id or "")
        if reply.id and not getattr(reply, "partial", False):
            self.state.previous_response_id = reply.id
        return annotate(reply, cost=cost, elapsed=time.monotonic() - self.started,
                        estimate=self.estimate)


def _begin_reply(prompt: str, client: Any, state: Session, *, model: str | None,
                 instructions: str | None, max_output_tokens: int | None,
                 previous_response_id: str | None, **options: Any) -> _ReplyCall:
    """Build the request and check the budget: everything `respond` does before sending."""
    model = model or DEFAULT_MODEL
    params = _reply_params(model=model, instructions=instructions,
                           max_output_tokens=max_output_tokens,
                           previous_response_id=_previous(previous_response_id, state), **options)
    estimate = estimate_reply(model, prompt, max_output_tokens, instructions=instructions,
                              local=is_local(client))
    state.ledger.check(estimate)
    params.update(model=model, input=prompt)
    return _ReplyCall(state=state, client=client, model=model, prompt=prompt, params=params,
                      estimate=estimate)


def _is_cancelled(cancel: Any) -> bool:
    if cancel is None:
        return False
    is_set = getattr(cancel, "is_set", None)
    return bool(is_set() if callable(is_set) else cancel())


def _interrupted(reply: Any) -> Any:
    return reply.model_copy(update={"interrupted": True, "partial": True})


def _stream_reply(call: _ReplyCall, on_event: OnEvent, cancel: Any) -> Any:
    stream = call.client.responses.stream(**call.params)
    try:
        for event in stream:
            if on_event is not None:
                on_event(event)
            if _is_cancelled(cancel):
                break
    except KeyboardInterrupt:
        pass  # Ctrl-C: keep what arrived; close() below marks the reply interrupted
    finally:
        stream.close()
    return stream.reply


def _poll_reply(call: _ReplyCall, on_event: OnEvent, cancel: Any,
                sleep: Callable[[float], None]) -> Any:
    responses = call.client.responses
    reply = responses.create(**call.params, background=True)
    try:
        while reply.status in _PENDING:
            if on_event is not None:
                on_event(PollEvent(status=str(reply.status), reply=reply))
            if _is_cancelled(cancel):
                return _interrupted(responses.cancel(reply.id))
            sleep(POLL_INTERVAL)
            reply = responses.retrieve(reply.id)
    except KeyboardInterrupt:
        return _interrupted(responses.cancel(reply.id))
    return reply


def respond(
    prompt: str,
    *,
    client: Any = None,
    model: str | None = None,
    instructions: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    max_output_tokens: int | None = None,
    tools: Any = None,
    schema: Any = None,
    json: bool = False,
    logprobs: int | None = None,
    background: bool = False,
    stream: bool = True,
    previous_response_id: str | None = None,
    on_event: OnEvent = None,
    cancel: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Ask a model; the returned `Reply` carries its cost and displays as Markdown.

    Args:
        prompt: the user's message.
        client: an `oainb.Client` (default: the session's).
        model: the model (default `DEFAULT_MODEL`).
        tools: tool names (`"web_search,code_interpreter"`) or tool objects.
        schema: a JSON-schema dict or pydantic model the reply must follow; `json=True` asks for
            any JSON object instead.
        logprobs: how many alternatives to report per token (adds per-token logprobs).
        background: run as a background reply and poll it (`on_event` gets `PollEvent`s).
        stream: stream the reply (`on_event` gets each `ReplyEvent`).
        previous_response_id: follow on from this reply; `CONTINUE` means the last one.
        cancel: a `threading.Event` (or a callable) that stops the call when set.

    Returns:
        The `Reply`; after Ctrl-C or `cancel`, the partial reply with `interrupted=True`.

    Raises:
        BudgetExceededError: the estimate would pass the session budget.
        OainbError: the API refused the call or could not be reached.

    Example:
        >>> reply = respond("Name a prime number.", max_output_tokens=20)  # doctest: +SKIP
    """
    state = session()
    call = _begin_reply(
        prompt, client or state.get_client(), state, model=model, instructions=instructions,
        temperature=temperature, top_p=top_p, max_output_tokens=max_output_tokens, tools=tools,
        schema=schema, json=json, logprobs=logprobs, previous_response_id=previous_response_id,
    )
    if background:
        reply = _poll_reply(call, on_event, cancel, sleep)
    elif stream:
        reply = _stream_reply(call, on_event, cancel)
    else:
        reply = call.client.responses.create(**call.params)
    return call.settle(reply)


async def _astream_reply(call: _ReplyCall, on_event: OnEvent, cancel: Any) -> Any:
    stream = call.client.responses.stream(**call.params)
    try:
        async for event in stream:
            if on_event is not None:
                on_event(event)
            if _is_cancelled(cancel):
                break
    except asyncio.CancelledError:
        # The task was cancelled (a hard Cancel): what was sent and received still costs.
        await stream.close()  # marks the reply interrupted
        call.settle(stream.reply)
        raise
    finally:
        await stream.close()
    return stream.reply


async def _apoll_reply(call: _ReplyCall, on_event: OnEvent, cancel: Any,
                       sleep: Callable[[float], Awaitable[None]]) -> Any:
    responses = call.client.responses
    reply = await responses.create(**call.params, background=True)
    try:
        while reply.status in _PENDING:
            if on_event is not None:
                on_event(PollEvent(status=str(reply.status), reply=reply))
            if _is_cancelled(cancel):
                return _interrupted(await responses.cancel(reply.id))
            await sleep(POLL_INTERVAL)
            reply = await responses.retrieve(reply.id)
    except asyncio.CancelledError:
        # The task was cancelled: stop the job on the server too (as Ctrl-C does), and count
        # it. A failed cancel request must not replace the cancellation itself.
        with contextlib.suppress(OainbError):
            reply = await responses.cancel(reply.id)
        call.settle(_interrupted(reply))
        raise
    return reply


async def arespond(
    prompt: str,
    *,
    client: Any = None,
    model: str | None = None,
    instructions: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    max_output_tokens: int | None = None,
    tools: Any = None,
    schema: Any = None,
    json: bool = False,
    logprobs: int | None = None,
    background: bool = False,
    stream: bool = True,
    previous_response_id: str | None = None,
    on_event: OnEvent = None,
    cancel: Any = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Any:
    """The async twin of `respond`, for widget callbacks that run as tasks on the kernel's loop.

    Setting `cancel` stops the call and returns the partial reply (for a background reply:
    after calling the cancel endpoint). Cancelling the task closes the stream (or cancels the
    background reply on the server), records the partial reply's cost in the ledger, and
    re-raises `asyncio.CancelledError`.

    Example:
        >>> reply = await arespond("Name a prime number.", background=True)  # doctest: +SKIP
    """
    state = session()
    call = _begin_reply(
        prompt, client or state.get_async_client(), state, model=model, instructions=instructions,
        temperature=temperature, top_p=top_p, max_output_tokens=max_output_tokens, tools=tools,
        schema=schema, json=json, logprobs=logprobs, previous_response_id=previous_response_id,
    )
    if background:
        reply = await _apoll_reply(call, on_event, cancel, sleep)
    elif stream:
        reply = await _astream_reply(call, on_event, cancel)
    else:
        reply = await call.client.responses.create(**call.params)
    return call.settle(reply)


def _audio_params(
    audio: AudioSource,
    *,
    model: str,
    language: str | None = None,
    response_format: str | None = None,
    granularities: Any = None,
    logprobs: bool = False,
    prompt: str | None = None,
    vad: bool = False,
) -> dict[str, Any]:
    if isinstance(granularities, str):
        granularities = [g.strip() for g in granularities.split(",") if g.strip()]
    if granularities and response_format is None:
        response_format = "verbose_json"  # the API gives timestamps only in verbose_json
    params: dict[str, Any] = {
        "file": audio.as_file(),
        "model": model,
        "language": language,
        "response_format": response_format,
        "timestamp_granularities": list(granularities) if granularities else None,
        "include": ["logprobs"] if logprobs else None,
        "prompt": prompt,
        "chunking_strategy": {"type": "server_vad"} if vad else None,
    }
    return {k: v for k, v in params.items() if v is not None}


def _settle_transcript(result: Any, *, audio: AudioSource, model: str, seconds: float | None, estimate: CostEstimate, started: float, kind: str) -> Any:
    if isinstance(result, str):  # text/srt/vtt bodies, if the client hands them back raw
        from oainb.results import Transcript

        result = Transcript(text=result)
    if result.source_audio is None:
        result.source_audio = audio.data
    if result.model is None:
        result.model = model
    if result.duration is None and seconds is not None:
        result.duration = seconds
    cost = price_usage(model, result.usage, seconds=seconds, local=estimate.local)
    session().ledger.record(cost, kind=kind, label=audio.filename)
    return annotate(result, cost=cost, elapsed=time.monotonic() - started, estimate=estimate)


def _prepare_audio(source: Any, model: str, client: Any) -> tuple[AudioSource, float | None, CostEstimate]:
    audio = load_source(source)
    seconds = duration_of(audio.data)
    estimate = estimate_transcription(model, seconds or 0.0, local=is_local(client))
    session().ledger.check(estimate)
    return audio, seconds, estimate


def transcribe(
    source: Any,
    *,
    client: Any = None,
    model: str | None = None,
    language: str | None = None,
    response_format: str | None = None,
    granularities: Any = None,
    logprobs: bool = False,
    prompt: str | None = None,
    vad: bool = False,
    stream: bool = False,
    on_event: Callable[[Any], None] | None = None,
) -> Any:
    """Transcribe audio; the `Transcript` shows its text, a player, word timings and its cost.

    Args:
        source: a path, an http(s) URL, bytes, or a `SpeechClip`.
        granularities: `"word,segment"` (or a list): word/segment timestamps (whisper-1).
        logprobs: per-token logprobs (gpt-4o-transcribe models).
        vad: cut the audio at pauses with server-side voice activity detection.
        stream: stream the text as it is recognised (`on_event` gets each `TranscriptEvent`).

    Raises:
        InputError: the source cannot be read.
        BudgetExceededError: the estimate would pass the session budget.

    Example:
        >>> t = transcribe("meeting.wav", granularities="word")  # doctest: +SKIP
        >>> t.plot_words()  # doctest: +SKIP
    """
    client = client or session().get_client()
    model = model or DEFAULT_STT_MODEL
    audio, seconds, estimate = _prepare_audio(source, model, client)
    params = _audio_params(
        audio, model=model, language=language, response_format=response_format,
        granularities=granularities, logprobs=logprobs, prompt=prompt, vad=vad,
    )
    started = time.monotonic()
    if stream:
        with client.audio.transcriptions.create(**params, stream=True) as events:
            for event in events:
                if on_event is not None:
                    on_event(event)
            result = events.transcript
    else:
        result = client.audio.transcriptions.create(**params)
    return _settle_transcript(result, audio=audio, model=model, seconds=seconds, estimate=estimate, started=started, kind="transcribe")


async def atranscribe(
    source: Any,
    *,
    client: Any = None,
    model: str | None = None,
    language: str | None = None,
    response_format: str | None = None,
    granularities: Any = None,
    logprobs: bool = False,
    prompt: str | None = None,
    vad: bool = False,
    stream: bool = False,
    on_event: Callable[[Any], None] | None = None,
) -> Any:
    """The async twin of `transcribe`."""
    client = client or session().get_async_client()
    model = model or DEFAULT_STT_MODEL
    audio, seconds, estimate = _prepare_audio(source, model, client)
    params = _audio_params(
        audio, model=model, language=language, response_format=response_format,
        granularities=granularities, logprobs=logprobs, prompt=prompt, vad=vad,
    )
    started = time.monotonic()
    if stream:
        async with await client.audio.transcriptions.create(**params, stream=True) as events:
            async for event in events:
                if on_event is not None:
                    on_event(event)
            result = events.transcript
    else:
        result = await client.audio.transcriptions.create(**params)
    return _settle_transcript(result, audio=audio, model=model, seconds=seconds, estimate=estimate, started=started, kind="transcribe")


def translate(
    source: Any,
    *,
    client: Any = None,
    model: str | None = None,
    response_format: str | None = None,
    prompt: str | None = None,
) -> Any:
    """Translate speech into English text; returns a `Transcript` (see `transcribe`).

    Example:
        >>> translate("interview_fr.mp3").text  # doctest: +SKIP
    """
    client = client or session().get_client()
    model = model or DEFAULT_STT_MODEL
    audio, seconds, estimate = _prepare_audio(source, model, client)
    params = _audio_params(audio, model=model, response_format=response_format, prompt=prompt)
    started = time.monotonic()
    result = client.audio.translations.create(**params)
    return _settle_transcript(result, audio=audio, model=model, seconds=seconds, estimate=estimate, started=started, kind="translate")


async def atranslate(
    source: Any,
    *,
    client: Any = None,
    model: str | None = None,
    response_format: str | None = None,
    prompt: str | None = None,
) -> Any:
    """The async twin of `translate`."""
    client = client or session().get_async_client()
    model = model or DEFAULT_STT_MODEL
    audio, seconds, estimate = _prepare_audio(source, model, client)
    params = _audio_params(audio, model=model, response_format=response_format, prompt=prompt)
    started = time.monotonic()
    result = await client.audio.translations.create(**params)
    return _settle_transcript(result, audio=audio, model=model, seconds=seconds, estimate=estimate, started=started, kind="translate")


def _speech_params(text: str, *, model: str, voice: str | None, speed: float | None, instructions: str | None, response_format: str | None) -> dict[str, Any]:
    if not text.strip():
        raise InputError("There is no text to speak.", param="input")
    params = {
        "model": model,
        "input": text,
        "voice": voice or DEFAULT_VOICE,
        "speed": speed,
        "instructions": instructions,
        "response_format": response_format,
    }
    return {k: v for k, v in params.items() if v is not None}


def _settle_speech(clip: Any, *, text: str, model: str, estimate: CostEstimate, started: float) -> Any:
    cost = price_usage(model, clip.usage, characters=len(text), speech=True, local=estimate.local)
    if clip.usage is None and cost.usd == 0 and estimate.known:
        cost = estimate  # raw audio carries no usage: the estimate is the best figure
    session().ledger.record(cost, kind="speak", label=text[:40])
    return annotate(clip, cost=cost, elapsed=time.monotonic() - started, estimate=estimate)


def speak(
    text: str,
    *,
    client: Any = None,
    model: str | None = None,
    voice: str | None = None,
    speed: float | None = None,
    instructions: str | None = None,
    response_format: str | None = None,
    stream: bool = False,
    on_chunk: Callable[[bytes], None] | None = None,
) -> Any:
    """Turn text into speech; the `SpeechClip` shows a player and its cost, `.save(path)` writes it.

    Args:
        voice: a voice name (`alloy`, `coral`, ...).
        speed: 0.25 to 4.0.
        instructions: how to speak (gpt-4o-mini-tts only).
        response_format: `mp3` (default), `opus`, `aac`, `flac`, `wav` or `pcm`.
        stream: receive the audio in chunks as it is made (`on_chunk` gets each one).

    Example:
        >>> speak("Hello!", voice="coral").save("hello.mp3")  # doctest: +SKIP
    """
    client = client or session().get_client()
    model = model or DEFAULT_TTS_MODEL
    params = _speech_params(text, model=model, voice=voice, speed=speed, instructions=instructions, response_format=response_format)
    estimate = estimate_speech(model, text, local=is_local(client))
    session().ledger.check(estimate)
    started = time.monotonic()
    if stream:
        with client.audio.speech.stream(**params) as chunks:
            for chunk in chunks:
                if on_chunk is not None:
                    on_chunk(chunk)
            clip = chunks.clip
    else:
        clip = client.audio.speech.create(**params)
    return _settle_speech(clip, text=text, model=model, estimate=estimate, started=started)


async def aspeak(
    text: str,
    *,
    client: Any = None,
    model: str | None = None,
    voice: str | None = None,
    speed: float | None = None,
    instructions: str | None = None,
    response_format: str | None = None,
    stream: bool = False,
    on_chunk: Callable[[bytes], None] | None = None,
) -> Any:
    """The async twin of `speak`."""
    client = client or session().get_async_client()
    model = model or DEFAULT_TTS_MODEL
    params = _speech_params(text, model=model, voice=voice, speed=speed, instructions=instructions, response_format=response_format)
    estimate = estimate_speech(model, text, local=is_local(client))
    session().ledger.check(estimate)
    started = time.monotonic()
    if stream:
        async with client.audio.speech.stream(**params) as chunks:
            async for chunk in chunks:
                if on_chunk is not None:
                    on_chunk(chunk)
            clip = chunks.clip
    else:
        clip = await client.audio.speech.create(**params)
    return _settle_speech(clip, text=text, model=model, estimate=estimate, started=started)
