"""The local models behind the server: one engine per job, found by model name.

Each engine loads its weights once, lazily (on first use or `load()`), under its own lock, and
names itself in `engine.name`, which is what the server puts in every answer's `model` field.
Engines only need to fit one of the three protocols below, so another model can be added by
registering an object with the right methods:

    registry = Registry.default()
    registry.add(MyTextEngine(), aliases=["my-model"])
    engine = registry.resolve("gpt-4o", kind="text")     # -> the SmolLM2 engine
    engine.name                                          # 'smollm2-135m-instruct'

OpenAI's model names resolve to the local engine of the same job (`gpt-4o`, `o3` → text,
`whisper-1`, `gpt-4o-transcribe` → speech-to-text, `tts-1`, `gpt-4o-mini-tts` → speech).

Errors carry an OpenAI-style `code` and `param` so the server can answer with the right shape:

    EngineError                       400, or 500 when the model itself fails
    ├─ UnknownModelError              404 model_not_found
    ├─ WrongModelKindError            400 (a speech model asked to write text, …)
    └─ UnsupportedError               400 (what the bundled model cannot do)
       (tts.UnknownVoiceError, stt.UnsupportedLanguageError, text.InvalidSchemaError)
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .stt import Transcription, TranscriptionStream
    from .text import FunctionCall, Generation
    from .tts import SpeechChunk, SpeechResult

__all__ = [
    "DEFAULT_MODELS",
    "Engine",
    "EngineError",
    "Kind",
    "Registry",
    "SpeechEngine",
    "TextEngine",
    "TranscriptionEngine",
    "UnknownModelError",
    "UnsupportedError",
    "WrongModelKindError",
    "default_threads",
]

Kind = Literal["text", "stt", "tts"]
DEFAULT_MODELS: dict[Kind, str] = {
    "text": "smollm2-135m-instruct",
    "stt": "whisper-tiny.en",
    "tts": "espeak-ng",
}
_KIND_WORDS = {"text": "text", "stt": "speech-to-text", "tts": "text-to-speech"}


def default_threads() -> int:
    """CPU threads per engine: `$OAINB_THREADS`, else 1 on machines of up to 2 cores.

    llama.cpp and CTranslate2 worker threads spin while waiting for each other. On a small,
    shared machine (Binder, CI, a laptop running a notebook and a server) another busy process
    turns that into a collapse: measured on 2 cores under load, SmolLM2 made 22-35 tokens/s on
    one thread and 1-2 tokens/s on two, and evaluated a prompt 3x faster on one.
    """
    env = os.environ.get("OAINB_THREADS")
    if env:
        return max(1, int(env))
    cores = os.cpu_count() or 1
    return 1 if cores <= 2 else min(4, cores // 2)


class EngineError(Exception):
    """Base of every engine error; `code` and `param` follow OpenAI's error body."""

    code: str | None = None
    param: str | None = None


class UnknownModelError(EngineError, LookupError):
    """No engine serves this model name."""

    code = "model_not_found"
    param = "model"


class WrongModelKindError(EngineError, ValueError):
    """The model exists but does another job (e.g. a transcription model asked for text)."""

    code = "invalid_model"
    param = "model"


class UnsupportedError(EngineError, ValueError):
    """The request is valid for OpenAI but beyond what the bundled local model can do."""

    code = "unsupported_by_local_model"


@runtime_checkable
class Engine(Protocol):
    """What every engine has: a served name, its job, and an idempotent, thread-safe `load()`."""

    name: str
    kind: Kind

    @property
    def loaded(self) -> bool: ...

    def load(self) -> None: ...


class TextEngine(Engine, Protocol):
    """Chat-style text generation (see `text.LlamaEngine` for the arguments)."""

    def generate(self, messages: Sequence[dict[str, Any]], *, max_tokens: int | None = None,
                 temperature: float | None = None, top_p: float | None = None,
                 top_logprobs: int | None = None, json_schema: dict[str, Any] | None = None,
                 seed: int | None = None, cancel: threading.Event | None = None) -> Generation: ...

    def generate_call(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                      choice: str | dict[str, Any] = "required", *, temperature: float | None = None,
                      seed: int | None = None, cancel: threading.Event | None = None,
                      ) -> FunctionCall: ...

    def count_tokens(self, text: str) -> int: ...


class TranscriptionEngine(Engine, Protocol):
    """Speech to text (see `stt.WhisperEngine` for the arguments)."""

    def transcribe(self, audio: bytes | Any, **options: Any) -> Transcription: ...

    def transcribe_stream(self, audio: bytes | Any, **options: Any) -> TranscriptionStream: ...

    def translate(self, audio: bytes | Any, **options: Any) -> Transcription: ...


class SpeechEngine(Engine, Protocol):
    """Text to speech (see `tts.EspeakEngine` for the arguments)."""

    @property
    def voices(self) -> tuple[str, ...]: ...

    def synthesize(self, text: str, *, voice: str = ..., speed: float = ...,
                   instructions: str | None = ...) -> SpeechResult: ...

    def synthesize_stream(self, text: str, *, voice: str = ..., speed: float = ...,
                          instructions: str | None = ...) -> Iterator[SpeechChunk]: ...


# OpenAI model families and the job each does. Checked in order: the transcription and speech
# families contain "gpt-4o" too, so they must win over the text family.
_FAMILIES: list[tuple[Kind, re.Pattern[str]]] = [
    ("stt", re.compile(r"^(whisper(-\d+)?|gpt(-[\w.]+)*-transcribe[\w.-]*)$")),
    ("tts", re.compile(r"^(tts-1(-hd)?[\w.-]*|gpt(-[\w.]+)*-tts[\w.-]*)$")),
    ("text", re.compile(
        r"^(gpt-(3\.5|4|4o|4\.1|4\.5|5)[\w.:-]*|chatgpt-[\w.-]+|o\d(-[\w.-]+)?|codex-[\w.-]+)$")),
]
# Families above that still are no text model: the local server cannot do these jobs.
_NOT_TEXT = re.compile(r"(realtime|audio-preview|search-preview|image|embedding|moderation)")


def openai_kind(model: str) -> Kind | None:
    """Which job an OpenAI model name does (`"gpt-4o-mini"` → `"text"`), or None if unknown."""
    name = model.strip().lower()
    for kind, pattern in _FAMILIES:
        if pattern.match(name):
            return None if kind == "text" and _NOT_TEXT.search(name) else kind
    return None


class Registry:
    """Maps model names, local and OpenAI, to engines.

    Example:
        registry = Registry.default(gguf="~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf")
        registry.resolve("gpt-4.1-mini", kind="text").name   # 'qwen2.5-0.5b-instruct-q4_k_m'

    The first engine added of each kind serves the OpenAI names of that kind.
    """

    def __init__(self, engines: Iterable[Engine] = ()) -> None:
        self._engines: dict[str, Engine] = {}
        self._aliases: dict[str, str] = {}
        self._defaults: dict[str, str] = {}
        for engine in engines:
            self.add(engine)

    @classmethod
    def default(cls, *, gguf: str | None = None, stt_model: str | None = None) -> Registry:
        """The bundled engines: SmolLM2 (or `gguf` / `$OAINB_GGUF`), Whisper tiny.en, espeak-ng.

        Nothing is loaded here; each engine loads on first use.
        """
        from .stt import WhisperEngine
        from .text import LlamaEngine
        from .tts import EspeakEngine

        text = LlamaEngine(model_path=gguf)
        registry = cls([text, WhisperEngine(model_path=stt_model), EspeakEngine()])
        if text.name != DEFAULT_MODELS["text"]:
            registry.alias(DEFAULT_MODELS["text"], text.name)  # old requests keep working
        return registry

    def add(self, engine: Engine, *, aliases: Iterable[str] = (), default: bool = False) -> None:
        """Register `engine` under its `name` and any `aliases`; `default` makes it serve OpenAI names."""
        self._engines[engine.name.lower()] = engine
        for alias in aliases:
            self.alias(alias, engine.name)
        if default or engine.kind not in self._defaults:
            self._defaults[engine.kind] = engine.name.lower()

    def alias(self, alias: str, name: str) -> None:
        """Let `alias` resolve to the engine registered as `name`."""
        self._aliases[alias.lower()] = name.lower()

    @property
    def engines(self) -> list[Engine]:
        return list(self._engines.values())

    def model_ids(self) -> list[str]:
        """Local engine names, for `GET /v1/models`."""
        return [engine.name for engine in self._engines.values()]

    def resolve(self, model: str, *, kind: Kind | None = None) -> Engine:
        """The engine that serves `model`, checked against the job the endpoint needs.

        Raises:
            UnknownModelError: no local engine and no OpenAI family matches `model`.
            WrongModelKindError: `model` exists but does another job than `kind`.
        """
        key = model.strip().lower()
        key = self._aliases.get(key, key)
        engine = self._engines.get(key)
        if engine is None:
            family = openai_kind(key)
            if family is not None and family in self._defaults:
                engine = self._engines[self._defaults[family]]
        if engine is None:
            local = ", ".join(self.model_ids())
            raise UnknownModelError(
                f"The model `{model}` does not exist on the local server; use one of {local} "
                "or an OpenAI model name such as gpt-4o-mini, whisper-1 or tts-1.")
        if kind is not None and engine.kind != kind:
            raise WrongModelKindError(
                f"The model `{model}` is a {_KIND_WORDS[engine.kind]} model and cannot be used "
                f"here; this endpoint needs a {_KIND_WORDS[kind]} model such as "
                f"{self._defaults.get(kind, DEFAULT_MODELS[kind])}.")
        return engine

    def text(self, model: str | None = None) -> TextEngine:
        """The text engine for `model` (default: the first text engine added)."""
        engine = self.resolve(model or self._defaults.get("text", DEFAULT_MODELS["text"]), kind="text")
        return engine  # type: ignore[return-value]

    def stt(self, model: str | None = None) -> TranscriptionEngine:
        """The speech-to-text engine for `model`."""
        engine = self.resolve(model or self._defaults.get("stt", DEFAULT_MODELS["stt"]), kind="stt")
        return engine  # type: ignore[return-value]

    def tts(self, model: str | None = None) -> SpeechEngine:
        """The text-to-speech engine for `model`."""
        engine = self.resolve(model or self._defaults.get("tts", DEFAULT_MODELS["tts"]), kind="tts")
        return engine  # type: ignore[return-value]
