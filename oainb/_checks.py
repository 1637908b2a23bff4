"""Local checks: bad input is caught before any request, with a one-line "what to do" message.

The limits come from the spec and CONTRACT.md. Each check raises `InputError` naming the
parameter. Model families are told apart by name, so the local backend's own models
(`whisper-tiny.en`, ...) are not held to rules that only the hosted models have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from oainb._exceptions import InputError
from oainb._files import AUDIO_EXTENSIONS, MAX_UPLOAD_BYTES, Upload

__all__ = [
    "MAX_SPEECH_CHARS",
    "SPEECH_FORMATS",
    "TRANSCRIPT_FORMATS",
    "VOICES",
    "check_response_params",
    "check_resume",
    "check_speech_params",
    "check_transcription_params",
    "check_translation_params",
    "check_upload",
    "is_gpt4o_transcribe",
    "is_tts1",
]

VOICES = frozenset(
    {
        "alloy",
        "ash",
        "ballad",
        "coral",
        "echo",
        "fable",
        "onyx",
        "nova",
        "sage",
        "shimmer",
        "verse",
        "marin",
        "cedar",
    }
)
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt", "diarized_json")
GRANULARITIES = ("word", "segment")
MAX_SPEECH_CHARS = 4096
_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _fail(param: str, message: str) -> InputError:
    return InputError(message, param=param)


def _in_range(params: Mapping[str, Any], name: str, low: float, high: float) -> None:
    value = params.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise _fail(name, f"{name} must be a number between {low:g} and {high:g}, not {value!r}.")


def is_tts1(model: str) -> bool:
    """True for `tts-1` and `tts-1-hd` (no instructions, no SSE)."""
    return model.startswith("tts-1")


def is_gpt4o_transcribe(model: str) -> bool:
    """True for gpt-4o(-mini)-transcribe and gpt-transcribe, which answer only in `json`."""
    return ("gpt-4o" in model or model.startswith("gpt-transcribe")) and "diarize" not in model


def _is_diarize(model: str) -> bool:
    return "diarize" in model


def _require_model(params: Mapping[str, Any]) -> str:
    model = params.get("model")
    if not isinstance(model, str) or not model.strip():
        raise _fail("model", 'model is required; pass model=..., for example model="gpt-4o-mini".')
    return model


def check_response_params(params: Mapping[str, Any]) -> None:
    """Check a `responses.create` body (already normalised from the seed guide's shapes)."""
    _require_model(params)
    if params.get("input") is None and not any(
        params.get(k) for k in ("previous_response_id", "prompt", "conversation")
    ):
        raise _fail("input", 'input is required; pass input="..." or a list of input items.')
    if isinstance(params.get("input"), str) and not params["input"].strip():
        raise _fail("input", "input is empty; pass the text to respond to.")
    _in_range(params, "temperature", 0, 2)
    _in_range(params, "top_p", 0, 1)
    _check_max_output_tokens(params.get("max_output_tokens"))
    top = params.get("top_logprobs")
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= 20
    ):
        raise _fail("top_logprobs", f"top_logprobs must be an integer from 0 to 20, not {top!r}.")
    if params.get("previous_response_id") and params.get("conversation"):
        raise _fail("conversation", "pass previous_response_id or conversation, not both.")
    if params.get("stream_options") is not None and not params.get("stream"):
        raise _fail(
            "stream_options", "stream_options only applies with stream=True; drop it or stream."
        )
    if params.get("background") and params.get("store") is False:
        raise _fail("store", "background=True needs store=True (the default); drop store=False.")
    truncation = params.get("truncation")
    if truncation is not None and truncation not in ("auto", "disabled"):
        raise _fail("truncation", f"truncation must be 'auto' or 'disabled', not {truncation!r}.")
    _check_metadata(params.get("metadata"))
    _check_tools(params.get("tools"))
    _check_text_format(params.get("text"))


def _check_max_output_tokens(value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail("max_output_tokens", f"max_output_tokens must be an integer, not {value!r}.")
    if value < 16:
        raise _fail(
            "max_output_tokens", f"max_output_tokens must be at least 16 (got {value}); raise it."
        )


def _check_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise _fail("metadata", "metadata must be a dict of strings.")
    if len(metadata) > 16:
        raise _fail("metadata", f"metadata holds at most 16 keys, not {len(metadata)}; drop some.")
    for key, value in metadata.items():
        if not isinstance(key, str) or len(key) > 64:
            raise _fail(
                "metadata",
                f"metadata key {str(key)[:20]!r}… must be a string of at most 64 characters.",
            )
        if not isinstance(value, str) or len(value) > 512:
            raise _fail(
                "metadata", f"metadata[{key!r}] must be a string of at most 512 characters."
            )


def _check_tools(tools: Any) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise _fail("tools", 'tools must be a list of tool objects, like [{"type": "web_search"}].')
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not tool.get("type"):
            raise _fail(
                "tools", f'tools[{i}] needs a "type", like {{"type": "function", "name": ...}}.'
            )
        if tool["type"] == "function" and not tool.get("name"):
            raise _fail("tools", f'tools[{i}] is a function tool without a name; add "name".')
        if tool["type"] == "file_search" and not tool.get("vector_store_ids"):
            raise _fail(
                "tools",
                f'tools[{i}] (file_search) needs "vector_store_ids"; add the ids to search.',
            )
        if tool["type"] == "code_interpreter" and "container" not in tool:
            raise _fail(
                "tools",
                f'tools[{i}] (code_interpreter) needs "container", e.g. {{"type": "auto"}}.',
            )


def _check_text_format(text: Any) -> None:
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return
    if not _SCHEMA_NAME.match(str(fmt.get("name", ""))):
        raise _fail(
            "text", "text.format.name must be 1-64 letters, digits, '_' or '-'; rename the schema."
        )
    if not isinstance(fmt.get("schema"), dict):
        raise _fail("text", "text.format.schema must be a JSON Schema dict.")


def check_resume(response_id: Any, starting_after: Any) -> None:
    """Check the arguments of `responses.stream(response_id=..., starting_after=...)`."""
    if not isinstance(response_id, str) or not response_id:
        raise _fail(
            "response_id", "response_id must be the id of a background reply, like 'resp_...'."
        )
    if starting_after is not None and (
        isinstance(starting_after, bool)
        or not isinstance(starting_after, int)
        or starting_after < 0
    ):
        raise _fail("starting_after", "starting_after must be a sequence number (an integer >= 0).")


def check_upload(upload: Upload) -> None:
    """Check the size and type of an audio upload."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        mb = upload.size / 1024 / 1024
        raise _fail(
            "file", f"file is {mb:.1f} MB, over the 25 MB limit; split or compress it first."
        )
    if upload.size == 0:
        raise _fail("file", "file is empty; pass an audio file with content.")
    if upload.extension not in AUDIO_EXTENSIONS:
        kinds = ", ".join(sorted(AUDIO_EXTENSIONS))
        raise _fail(
            "file",
            f"file type {upload.extension or '(none)'!r} is not supported; use one of {kinds}.",
        )


def _check_audio_common(params: Mapping[str, Any], formats: tuple[str, ...]) -> str:
    model = _require_model(params)
    fmt = params.get("response_format")
    if fmt is not None and fmt not in formats:
        raise _fail(
            "response_format", f"response_format must be one of {', '.join(formats)}, not {fmt!r}."
        )
    _in_range(params, "temperature", 0, 1)
    return model


def check_transcription_params(params: Mapping[str, Any]) -> None:
    """Check the fields of `audio.transcriptions.create`."""
    model = _check_audio_common(params, TRANSCRIPT_FORMATS)
    fmt = params.get("response_format") or "json"
    grains = params.get("timestamp_granularities")
    include = params.get("include")
    if is_gpt4o_transcribe(model) and fmt != "json":
        raise _fail(
            "response_format",
            f"{model} answers only in response_format='json'; use whisper-1 for {fmt}.",
        )
    if fmt == "diarized_json" and not _is_diarize(model):
        raise _fail("response_format", "diarized_json needs model='gpt-4o-transcribe-diarize'.")
    if grains:
        if isinstance(grains, str) or any(g not in GRANULARITIES for g in grains):
            raise _fail(
                "timestamp_granularities",
                "timestamp_granularities must be a list of 'word' and/or 'segment'.",
            )
        if fmt != "verbose_json":
            raise _fail(
                "timestamp_granularities",
                "timestamp_granularities need response_format='verbose_json'.",
            )
    if include:
        if isinstance(include, str) or any(i != "logprobs" for i in include):
            raise _fail("include", "include accepts only ['logprobs'].")
        if not is_gpt4o_transcribe(model) or fmt != "json":
            raise _fail(
                "include",
                "include=['logprobs'] needs a gpt-4o transcribe model and response_format='json'.",
            )
    if params.get("stream") and model == "whisper-1":
        raise _fail(
            "stream", "whisper-1 does not stream; use gpt-4o-mini-transcribe, or stream=False."
        )
    if params.get("prompt") and _is_diarize(model):
        raise _fail("prompt", "the diarize model takes no prompt; drop prompt=.")
    language = params.get("language")
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", str(language)):
        raise _fail("language", f"language must be an ISO-639-1 code like 'en', not {language!r}.")
    _check_chunking(params.get("chunking_strategy"))


def _check_chunking(strategy: Any) -> None:
    if strategy is None or strategy == "auto":
        return
    if not isinstance(strategy, dict) or strategy.get("type") != "server_vad":
        raise _fail(
            "chunking_strategy", "chunking_strategy must be 'auto' or {'type': 'server_vad', ...}."
        )
    threshold = strategy.get("threshold")
    if threshold is not None and not (isinstance(threshold, (int, float)) and 0 <= threshold <= 1):
        raise _fail(
            "chunking_strategy",
            f"chunking_strategy threshold must be between 0 and 1, not {threshold!r}.",
        )
    for key in ("prefix_padding_ms", "silence_duration_ms"):
        value = strategy.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise _fail(
                "chunking_strategy", f"chunking_strategy {key} must be a whole number of ms >= 0."
            )
    unknown = set(strategy) - {"type", "threshold", "prefix_padding_ms", "silence_duration_ms"}
    if unknown:
        raise _fail(
            "chunking_strategy",
            f"chunking_strategy has unknown keys {sorted(unknown)}; see the VAD settings.",
        )


def check_translation_params(params: Mapping[str, Any]) -> None:
    """Check the fields of `audio.translations.create` (no streaming, no diarized_json)."""
    _check_audio_common(params, tuple(f for f in TRANSCRIPT_FORMATS if f != "diarized_json"))


def check_speech_params(params: Mapping[str, Any], *, any_voice: bool = False) -> None:
    """Check the fields of `audio.speech.create` / `.stream`.

    `any_voice` lets voice names other than OpenAI's through, for a server that knows its own
    (the local one also speaks espeak-ng voices such as `"de"`); that server judges them.
    """
    model = _require_model(params)
    text = params.get("input")
    if not isinstance(text, str) or not text.strip():
        raise _fail("input", "input is required; pass the text to speak.")
    if len(text) > MAX_SPEECH_CHARS:
        raise _fail(
            "input", f"input is {len(text)} characters, over the 4096 limit; split the text."
        )
    instructions = params.get("instructions")
    if instructions:
        if is_tts1(model):
            raise _fail(
                "instructions", f"{model} ignores instructions; use gpt-4o-mini-tts or drop them."
            )
        if len(instructions) > MAX_SPEECH_CHARS:
            raise _fail(
                "instructions",
                f"instructions are {len(instructions)} characters, over the 4096 limit.",
            )
    _check_voice(params.get("voice"), any_voice=any_voice)
    speed = params.get("speed")
    if speed is not None and (
        isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4.0
    ):
        raise _fail("speed", f"speed must be between 0.25 and 4.0, not {speed!r}.")
    fmt = params.get("response_format")
    if fmt is not None and fmt not in SPEECH_FORMATS:
        raise _fail(
            "response_format",
            f"response_format must be one of {', '.join(SPEECH_FORMATS)}, not {fmt!r}.",
        )
    stream_format = params.get("stream_format")
    if stream_format is not None and stream_format not in ("audio", "sse"):
        raise _fail(
            "stream_format", f"stream_format must be 'audio' or 'sse', not {stream_format!r}."
        )
    if stream_format == "sse" and is_tts1(model):
        raise _fail(
            "stream_format",
            f"{model} cannot stream SSE; use stream_format='audio' or gpt-4o-mini-tts.",
        )


def _check_voice(voice: Any, *, any_voice: bool) -> None:
    if isinstance(voice, dict):
        if not isinstance(voice.get("id"), str):
            raise _fail("voice", "a custom voice is {'id': 'voice_...'}; add the id.")
        return
    if not isinstance(voice, str) or not voice:
        raise _fail("voice", "voice is required; pass one of " + ", ".join(sorted(VOICES)) + ".")
    if voice not in VOICES and not any_voice:
        raise _fail("voice", f"unknown voice {voice!r}; use one of {', '.join(sorted(VOICES))}.")
