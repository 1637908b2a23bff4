"""`transcribe` and `translate` (and their async twins): audio in, a priced `Transcript` out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from oainb.cost import CostEstimate, estimate_transcription, price_usage
from oainb.display import annotate
from oainb.notebook._audio import AudioSource, duration_of, load_source
from oainb.notebook._session import is_local, session

__all__ = ["DEFAULT_STT_MODEL", "atranscribe", "atranslate", "transcribe", "translate"]

DEFAULT_STT_MODEL = "whisper-1"


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
