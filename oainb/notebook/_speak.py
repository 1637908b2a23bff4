"""`speak` and `aspeak`: text in, a priced `SpeechClip` out, whole or streamed in chunks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from oainb._exceptions import InputError
from oainb.cost import CostEstimate, estimate_speech, price_usage
from oainb.display import annotate
from oainb.notebook._session import is_local, session

__all__ = ["DEFAULT_TTS_MODEL", "DEFAULT_VOICE", "aspeak", "speak"]

DEFAULT_TTS_MODEL = "tts-1"
DEFAULT_VOICE = "alloy"


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
