"""``POST /v1/audio/speech``: JSON in, audio out as chunked bytes or as SSE.

Speech is synthesized sentence by sentence in the text-to-speech lane; each sentence is encoded
as it comes, so the first bytes leave while the rest is still being spoken.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from oainb.server.app import state_of
from oainb.server.errors import ServerError, invalid
from oainb.server.jobs import Job
from oainb.server.sse import sse_response

__all__ = ["read_json", "speech_routes"]

_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
_MEDIA = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac",
          "wav": "audio/wav", "pcm": "audio/pcm"}
# Usage is estimated the way OpenAI bills gpt-4o-mini-tts: about 4 characters a text token,
# and audio tokens at roughly 12.5 a second of speech.
_AUDIO_TOKENS_PER_SECOND = 12.5


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object of the request body, or a 400 saying what is wrong with it."""
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise invalid(f"The request body is not valid JSON ({exc}).", code="invalid_json") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.", code="invalid_json")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"'{name}' is required.", param=name, code="missing_required_parameter")
        return None
    if not isinstance(value, str):
        raise invalid(f"'{name}' must be a string.", param=name, code="invalid_type")
    if len(value) > 4096:
        raise invalid(f"'{name}' is longer than 4096 characters ({len(value)}); split it.",
                      param=name, code="string_above_max_length")
    return value


def _options(body: dict[str, Any]) -> dict[str, Any]:
    model = _text(body, "model", required=True)
    text = _text(body, "input", required=True)
    if not text or not text.strip():
        raise invalid("'input' is empty: give the text to speak.", param="input")
    voice = body.get("voice")
    if isinstance(voice, dict):
        voice = voice.get("id")
    if not isinstance(voice, str) or not voice:
        raise invalid("'voice' is required, e.g. 'alloy'.", param="voice",
                      code="missing_required_parameter")
    fmt = body.get("response_format") or "mp3"
    if fmt not in _FORMATS:
        raise invalid(f"'response_format' must be one of {', '.join(_FORMATS)}; got {fmt!r}.",
                      param="response_format")
    speed = body.get("speed", 1.0)
    if speed is None:
        speed = 1.0
    if not isinstance(speed, (int, float)) or isinstance(speed, bool) or not 0.25 <= speed <= 4:
        raise invalid(f"'speed' must be a number from 0.25 to 4.0; got {speed!r}.", param="speed")
    stream_format = body.get("stream_format") or "audio"
    if stream_format not in ("audio", "sse"):
        raise invalid("'stream_format' must be 'audio' or 'sse'.", param="stream_format")
    return {"model": model, "input": text, "voice": voice, "format": fmt, "speed": float(speed),
            "instructions": _text(body, "instructions", required=False),
            "stream_format": stream_format, "streamed": "stream_format" in body}


def _usage(text: str, seconds: float) -> dict[str, int]:
    text_tokens = max(1, math.ceil(len(text) / 4))
    audio_tokens = max(1, math.ceil(seconds * _AUDIO_TOKENS_PER_SECOND))
    return {"input_tokens": text_tokens, "output_tokens": audio_tokens,
            "total_tokens": text_tokens + audio_tokens}


def _work(engine: Any, opts: dict[str, Any]) -> Any:
    """The job: speak, encode each sentence as it comes, emit the encoded bytes."""
    from oainb.server.engines.audio import StreamEncoder

    def work(job: Job) -> float:
        encoder: Any = None
        seconds = 0.0
        chunks = engine.synthesize_stream(opts["input"], voice=opts["voice"],
                                          speed=opts["speed"], instructions=opts["instructions"])
        for chunk in chunks:
            if job.cancel.is_set():
                return seconds
            if encoder is None:
                encoder = StreamEncoder(opts["format"], sample_rate=chunk.sample_rate)
            seconds += chunk.duration
            data = encoder.write(chunk.samples)
            if data:
                job.emit(data)
        if encoder is not None:
            tail = encoder.close()
            if tail:
                job.emit(tail)
        return seconds

    return work


async def _bytes(job: Job) -> AsyncIterator[bytes]:
    try:
        async for data in job.follow():
            yield data
    finally:
        job.cancel.set()


async def _events(job: Job, text: str) -> AsyncIterator[dict[str, Any]]:
    try:
        async for data in job.follow():
            yield {"type": "speech.audio.delta", "audio": base64.b64encode(data).decode()}
        seconds = await job.wait()
        yield {"type": "speech.audio.done", "usage": _usage(text, seconds)}
    finally:
        job.cancel.set()


async def speech(request: Request) -> Response:
    opts = _options(await read_json(request))
    state = state_of(request)
    engine = state.engines.tts(opts["model"])
    job = state.lane("tts").submit(_work(engine, opts), name="speech")
    await job.started()  # an unknown voice is still a 400, not a broken stream
    if job.done and not job.items and job.error is None:
        raise ServerError(500, "The local speech engine produced no audio.", code="server_error")
    headers = {"x-oainb-model": engine.name}
    if opts["stream_format"] == "sse":
        response = sse_response(_events(job, opts["input"]))
        response.headers.update(headers)
        return response
    if opts["format"] == "wav" and not opts["streamed"]:
        # Without `stream_format` the caller wants a file (OpenAI's SDK `create()`, our
        # `speech.create`): send it whole with true sizes, not the streamed header's
        # placeholders, which players accept but `wave` and duration readers do not.
        from oainb.server.engines.audio import wav_with_sizes

        audio = b"".join([data async for data in _bytes(job)])
        return Response(wav_with_sizes(audio), media_type=_MEDIA["wav"], headers=headers)
    return StreamingResponse(_bytes(job), media_type=_MEDIA[opts["format"]], headers=headers)


def speech_routes() -> list[Route]:
    return [Route("/v1/audio/speech", speech, methods=["POST"])]
