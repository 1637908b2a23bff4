"""``POST /v1/audio/transcriptions`` and ``/v1/audio/translations``: multipart in, text out."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from oainb.results.transcript import Transcript
from oainb.server.app import state_of
from oainb.server.errors import ServerError, invalid
from oainb.server.jobs import Job
from oainb.server.routes_speech import speech_routes
from oainb.server.sse import sse_response

__all__ = ["audio_routes", "chunking_strategy", "read_form"]

_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
_GRANULARITIES = ("word", "segment")
# gpt-4o-transcribe bills audio at about 10 tokens a second: our usage estimate follows it.
_AUDIO_TOKENS_PER_SECOND = 10


async def read_form(request: Request) -> tuple[dict[str, list[str]], UploadFile | None]:
    """The text fields (every value of each, ``name[]`` stored as ``name``) and the file."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ServerError(
            415, "Send the audio as multipart/form-data with a 'file' field.", code="invalid_body"
        )
    form = await request.form(max_files=1, max_fields=200)
    fields: dict[str, list[str]] = {}
    upload: UploadFile | None = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == "file":
                upload = value
            continue
        name = key.removesuffix("[]")
        fields.setdefault(name, []).append(value)
    return fields, upload


def _one(fields: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = fields.get(name)
    return values[-1] if values else default


def _number(fields: dict[str, list[str]], name: str, low: float, high: float) -> float | None:
    raw = _one(fields, name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise invalid(f"'{name}' must be a number, got {raw!r}.", param=name) from None
    if not low <= value <= high:
        raise invalid(f"'{name}' must be between {low} and {high}, got {value}.", param=name)
    return value


def _flag(fields: dict[str, list[str]], name: str) -> bool:
    return (_one(fields, name) or "false").strip().lower() in ("true", "1", "yes")


def chunking_strategy(fields: dict[str, list[str]]) -> str | dict[str, Any] | None:
    """``chunking_strategy`` as "auto", bracket fields (what the SDK sends) or a JSON string."""
    bracketed = {
        key[len("chunking_strategy[") : -1]: values[-1]
        for key, values in fields.items()
        if key.startswith("chunking_strategy[") and key.endswith("]")
    }
    if bracketed:
        strategy: Any = dict(bracketed)
    else:
        raw = _one(fields, "chunking_strategy")
        if raw is None or raw == "":
            return None
        if raw.strip() == "auto":
            return "auto"
        try:
            strategy = json.loads(raw)
        except ValueError:
            raise invalid(
                "'chunking_strategy' must be \"auto\" or a server_vad object.",
                param="chunking_strategy",
            ) from None
    if strategy == "auto":
        return "auto"
    if not isinstance(strategy, dict) or strategy.get("type") != "server_vad":
        raise invalid(
            "'chunking_strategy' must be \"auto\" or an object with type \"server_vad\".",
            param="chunking_strategy",
        )
    return _vad_numbers(strategy)


def _vad_numbers(strategy: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "server_vad"}
    for key, kind, low, high in (
        ("threshold", float, 0.0, 1.0),
        ("prefix_padding_ms", int, 0, 60_000),
        ("silence_duration_ms", int, 0, 60_000),
    ):
        if strategy.get(key) in (None, ""):
            continue
        try:
            value = kind(float(strategy[key]))
        except (TypeError, ValueError):
            raise invalid(f"chunking_strategy.{key} must be a number.",
                          param=f"chunking_strategy.{key}") from None
        if not low <= value <= high:
            raise invalid(f"chunking_strategy.{key} must be between {low} and {high}.",
                          param=f"chunking_strategy.{key}")
        out[key] = value
    return out


async def _audio(upload: UploadFile | None) -> bytes:
    if upload is None:
        raise invalid("Attach the audio as the multipart field 'file'.", param="file",
                      code="missing_required_parameter")
    data = await upload.read()
    if not data:
        raise invalid("The uploaded audio file is empty.", param="file")
    return data


def _common(fields: dict[str, list[str]], *, streaming: bool) -> dict[str, Any]:
    model = _one(fields, "model")
    if not model:
        raise invalid("'model' is required, e.g. whisper-1.", param="model",
                      code="missing_required_parameter")
    fmt = _one(fields, "response_format") or "json"
    if fmt not in _FORMATS:
        raise invalid(f"'response_format' must be one of {', '.join(_FORMATS)}; got {fmt!r}.",
                      param="response_format")
    prompt = _one(fields, "prompt")
    if prompt is not None and len(prompt) > 4096:
        raise invalid("'prompt' is longer than 4096 characters.", param="prompt",
                      code="string_above_max_length")
    return {"model": model, "format": fmt, "prompt": prompt or None,
            "temperature": _number(fields, "temperature", 0.0, 1.0)}


def _transcript(result: Any, *, words: bool, logprobs: bool) -> Transcript:
    """Our engine's result as the shared results model (the wire shape is defined there)."""
    return Transcript.model_validate({
        "text": result.text,
        "task": result.task,
        "language": result.language,
        "duration": round(result.duration, 3),
        "words": [{"word": w.word.strip(), "start": w.start, "end": w.end}
                  for w in result.words] if words else [],
        "segments": [s.to_dict() for s in result.segments],
        "logprobs": [vars(p) for p in result.logprobs] if logprobs else None,
        "usage": {"type": "duration", "seconds": math.ceil(result.duration)},
    })


def _answer(transcript: Transcript, fmt: str, model: str) -> Response:
    # Transcription bodies have no `model` field: the serving engine is named in a header.
    headers = {"x-oainb-model": model}
    body = transcript.to_body(fmt)
    if isinstance(body, str):
        kind = {"srt": "application/x-subrip", "vtt": "text/vtt"}.get(fmt, "text/plain")
        text = body if fmt != "text" else body + "\n"
        return PlainTextResponse(text, media_type=kind, headers=headers)
    return JSONResponse(body, headers=headers)


def _token_usage(result: Any) -> dict[str, Any]:
    audio = max(1, math.ceil(result.duration * _AUDIO_TOKENS_PER_SECOND))
    output = result.output_tokens
    return {"type": "tokens", "input_tokens": audio,
            "input_token_details": {"text_tokens": 0, "audio_tokens": audio},
            "output_tokens": output, "total_tokens": audio + output}


async def transcriptions(request: Request) -> Response:
    fields, upload = await read_form(request)
    stream = _flag(fields, "stream")
    opts = _common(fields, streaming=stream)
    include = fields.get("include", [])
    granularities = fields.get("timestamp_granularities", [])
    for g in granularities:
        if g not in _GRANULARITIES:
            raise invalid(f"timestamp_granularities may hold 'word' and 'segment'; got {g!r}.",
                          param="timestamp_granularities")
    if granularities and opts["format"] != "verbose_json":
        raise invalid("timestamp_granularities needs response_format 'verbose_json'.",
                      param="timestamp_granularities")
    vad = chunking_strategy(fields)
    audio = await _audio(upload)
    state = state_of(request)
    engine = state.engines.stt(opts["model"])
    words = "word" in granularities
    logprobs = "logprobs" in include
    options = {"language": _one(fields, "language") or None, "prompt": opts["prompt"],
               "temperature": opts["temperature"], "word_timestamps": words, "vad": vad,
               "logprobs": logprobs}
    if stream:
        return await _stream_transcription(state, engine, audio, options, logprobs)

    def work(job: Job) -> Any:
        return engine.transcribe(audio, **options)

    result = await state.lane("stt").submit(work, name="transcription").wait()
    transcript = _transcript(result, words=words, logprobs=logprobs)
    return _answer(transcript, opts["format"], engine.name)


async def _stream_transcription(
    state: Any, engine: Any, audio: bytes, options: dict[str, Any], logprobs: bool
) -> Response:
    def work(job: Job) -> Any:
        stream = engine.transcribe_stream(audio, **options)
        try:
            for piece in stream:
                if job.cancel.is_set():
                    return None
                event: dict[str, Any] = {"type": "transcript.text.delta", "delta": piece.delta}
                if logprobs:
                    event["logprobs"] = [vars(p) for p in piece.logprobs]
                job.emit(event)
        finally:
            stream.close()
        result = stream.result
        done: dict[str, Any] = {"type": "transcript.text.done", "text": result.text,
                                "usage": _token_usage(result)}
        if logprobs:
            done["logprobs"] = [vars(p) for p in result.logprobs]
        job.emit(done)
        return result

    job = state.lane("stt").submit(work, name="transcription stream")
    await job.started()  # a bad file or language is still a 400, not a broken stream
    response = sse_response(_follow(job), named=False)
    response.headers["x-oainb-model"] = engine.name
    return response


async def _follow(job: Job) -> AsyncIterator[dict[str, Any]]:
    try:
        async for event in job.follow():
            yield event
    finally:
        job.cancel.set()  # the client left: stop decoding


async def translations(request: Request) -> Response:
    fields, upload = await read_form(request)
    opts = _common(fields, streaming=False)
    audio = await _audio(upload)
    state = state_of(request)
    engine = state.engines.stt(opts["model"])

    def work(job: Job) -> Any:
        return engine.translate(audio, prompt=opts["prompt"], temperature=opts["temperature"])

    result = await state.lane("stt").submit(work, name="translation").wait()
    transcript = _transcript(result, words=False, logprobs=False)
    return _answer(transcript, opts["format"], engine.name)


def audio_routes() -> list[Route]:
    """The audio endpoints, speech included."""
    return [
        Route("/v1/audio/transcriptions", transcriptions, methods=["POST"]),
        Route("/v1/audio/translations", translations, methods=["POST"]),
        *speech_routes(),
    ]
