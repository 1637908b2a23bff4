"""Text-to-speech with espeak-ng, through our own ctypes binding to the `espeakng-loader` wheel.

libespeak-ng keeps global state (one voice, one set of parameters, one callback), so every call
holds one process-wide lock. Synthesis runs sentence by sentence: each sentence is a chunk the
server can encode and send while the next is being spoken. The synth callback also reports word
events with their audio position, so word timings come for free.
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import EngineError, Kind, UnsupportedError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "VOICES",
    "EspeakEngine",
    "SpeechChunk",
    "SpeechResult",
    "UnknownVoiceError",
    "WordTiming",
    "split_sentences",
]

_SYNCHRONOUS = 2
_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_EVENT_END_OF_LIST, _EVENT_WORD = 0, 1
_MIN_WPM, _MAX_WPM, _BASE_WPM = 80, 450, 175


@dataclass(frozen=True)
class _Voice:
    espeak: str
    pitch: int  # 0-100, espeak's default is 50
    range: int = 50  # pitch variation, 0 = monotone


# One distinct, stable espeak-ng voice+variant and pitch per OpenAI voice. Female-sounding
# OpenAI voices get female variants, and "whisper" instructions swap in the matching whisper one.
VOICES: dict[str, _Voice] = {
    "alloy": _Voice("en-us+f3", 50),
    "ash": _Voice("en-us+m3", 45),
    "ballad": _Voice("en-gb-x-rp+m1", 42, 70),
    "coral": _Voice("en-us+f4", 60),
    "echo": _Voice("en-us+m1", 38),
    "fable": _Voice("en-gb-x-rp+m4", 52, 65),
    "nova": _Voice("en-us+f2", 66),
    "onyx": _Voice("en-us+m2", 28),
    "sage": _Voice("en+f1", 48),
    "shimmer": _Voice("en-us+f5", 72, 60),
    "verse": _Voice("en-us+m4", 56, 75),
    "marin": _Voice("en-us+Annie", 55),
    "cedar": _Voice("en-us+Andy", 40),
}
_FEMALE = {"alloy", "coral", "nova", "sage", "shimmer", "marin"}


class UnknownVoiceError(UnsupportedError):
    """The voice is neither an OpenAI voice name nor an espeak-ng voice."""

    code = "invalid_voice"
    param = "voice"


@dataclass(frozen=True)
class WordTiming:
    """One spoken word and where it sits in the clip, in seconds."""

    word: str
    start: float
    end: float


@dataclass
class SpeechChunk:
    """One synthesized sentence: samples plus its words on the clip's timeline."""

    samples: npt.NDArray[np.int16]
    sample_rate: int
    text: str
    start: float
    words: list[WordTiming] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass
class SpeechResult:
    """A whole synthesized clip (mono int16) and the engine that spoke it."""

    samples: npt.NDArray[np.int16]
    sample_rate: int
    words: list[WordTiming]
    voice: str
    model: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))

# The library is process-global, so are its lock and the buffers its callback fills.
_LOCK = threading.Lock()
_lib: Any = None
_sample_rate = 0
_chunks: list[Any] = []
_events: list[tuple[int, int, int]] = []  # (text_position, length, audio_position ms)


def _on_synth(wav: Any, n: int, events: Any) -> int:
    import numpy as np

    if n > 0 and wav:
        _chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
    i = 0
    while events and events[i].type != _EVENT_END_OF_LIST:
        ev = events[i]
        if ev.type == _EVENT_WORD:
            _events.append((ev.text_position, ev.length, ev.audio_position))
        i += 1
    return 0  # 0 = keep going


# Kept at module level: ctypes must hold a reference for as long as the library may call it.
_ON_SYNTH = _CALLBACK(_on_synth)


def _load(lib_path: str | None, data_path: str | None) -> tuple[Any, int]:
    global _lib, _sample_rate
    if _lib is not None:
        return _lib, _sample_rate
    import espeakng_loader

    lib = ctypes.CDLL(lib_path or espeakng_loader.get_library_path())
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                 ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    data = data_path or espeakng_loader.get_data_path()
    rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, data.encode(), _DONT_EXIT)
    if rate <= 0:
        raise EngineError(f"espeak-ng failed to initialise (code {rate}) with data at {data}")
    lib.espeak_SetSynthCallback(_ON_SYNTH)
    _lib, _sample_rate = lib, rate
    return lib, rate


_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n\s*\n")
_CLAUSE = re.compile(r"(?<=,)\s+")
_LONG = 200  # characters; a longer sentence is cut at commas so the first audio comes sooner


def split_sentences(text: str) -> list[str]:
    """Split text where espeak-ng would pause anyway, so chunks sound like the whole.

    Sentences longer than 200 characters are further cut after commas (clauses packed up to
    that length), which bounds the wait for the first chunk of a long run-on sentence.
    """
    chunks: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.split(text) if s and s.strip()):
        if len(sentence) <= _LONG:
            chunks.append(sentence)
            continue
        current = ""
        for clause in _CLAUSE.split(sentence):
            if current and len(current) + 1 + len(clause) > _LONG:
                chunks.append(current)
                current = clause
            else:
                current = f"{current} {clause}" if current else clause
        if current:
            chunks.append(current)
    return chunks


@dataclass(frozen=True)
class _Settings:
    espeak: str
    wpm: int
    stretch: float  # speed beyond espeak's rate range, applied with atempo
    pitch: int
    range: int
    volume: int


def _keywords(instructions: str) -> set[str]:
    return set(re.findall(r"[a-z]+", instructions.lower()))


def _apply_instructions(words: set[str], rate: float, voice: _Voice, female: bool) -> tuple[
        float, str, int, int, int]:
    pitch, prange, volume, name = voice.pitch, voice.range, 100, voice.espeak
    if words & {"slow", "slowly", "calm", "calmly", "relaxed", "gentle", "gently", "soothing"}:
        rate *= 0.8
    if words & {"fast", "quick", "quickly", "rapid", "rapidly", "hurried", "energetic", "excited"}:
        rate *= 1.25
    if words & {"high", "higher", "bright", "cheerful", "excited", "happy", "squeaky"}:
        pitch += 15
    if words & {"low", "lower", "deep", "deeper", "serious", "somber", "sad", "grave"}:
        pitch -= 15
    if words & {"monotone", "flat", "robotic", "robot"}:
        prange = 0
    if words & {"expressive", "dramatic", "animated", "lively", "enthusiastic"}:
        prange = min(100, prange + 30)
    if words & {"loud", "loudly", "shout", "shouting", "yell"}:
        volume = 160
    if words & {"quiet", "quietly", "soft", "softly"}:
        volume = 60
    if words & {"whisper", "whispering", "whispered", "whispers"}:
        name = name.split("+")[0] + ("+whisperf" if female else "+whisper")
    return rate, name, max(0, min(100, pitch)), prange, volume


def _settings(voice: str, speed: float, instructions: str | None) -> _Settings:
    if not 0.25 <= speed <= 4.0:
        raise UnsupportedError(f"speed must be between 0.25 and 4.0, got {speed}")
    key = voice.lower()
    spec = VOICES.get(key) or _Voice(voice, 50)  # anything else: try it as an espeak-ng voice name
    rate = _BASE_WPM * speed
    rate, name, pitch, prange, volume = _apply_instructions(
        _keywords(instructions or ""), rate, spec, key in _FEMALE)
    wpm = round(min(_MAX_WPM, max(_MIN_WPM, rate)))
    return _Settings(name, wpm, rate / wpm, pitch, prange, volume)


class EspeakEngine:
    """Speech synthesis with espeak-ng, every OpenAI voice name mapped to a local voice.

    Example:
        tts = EspeakEngine()
        clip = tts.synthesize("Hello there.", voice="nova", speed=1.2)
        mp3 = oainb.server.engines.audio.encode(clip.samples, sample_rate=clip.sample_rate, fmt="mp3")

    `speed` (0.25–4) scales espeak-ng's 175 words per minute; beyond its 80–450 range the rest
    is done by time-stretching (FFmpeg `atempo`, pitch kept).

    `instructions` are read for keywords, since espeak-ng cannot follow free text:
    slow/calm/gentle → 0.8× rate; fast/quick/energetic/excited → 1.25× rate;
    high/bright/cheerful/happy → pitch +15; low/deep/serious/sad → pitch −15;
    monotone/flat/robotic → no intonation; expressive/dramatic/animated → more intonation;
    loud/shout → louder; quiet/soft → quieter; whisper → espeak-ng's whisper variant.
    Anything else is accepted and ignored.
    """

    name = "espeak-ng"
    kind: Kind = "tts"

    def __init__(self, *, library_path: str | None = None, data_path: str | None = None) -> None:
        self._library_path = library_path
        self._data_path = data_path

    @property
    def loaded(self) -> bool:
        return _lib is not None

    @property
    def voices(self) -> tuple[str, ...]:
        return tuple(VOICES)

    def load(self) -> None:
        """Load libespeak-ng once (idempotent, thread-safe)."""
        with _LOCK:
            _load(self._library_path, self._data_path)

    def synthesize_stream(self, text: str, *, voice: str = "alloy", speed: float = 1.0,
                          instructions: str | None = None) -> Iterator[SpeechChunk]:
        """Speak `text` one sentence at a time; words carry times on the whole clip's timeline.

        Raises:
            UnknownVoiceError: `voice` is not an OpenAI voice name nor an espeak-ng voice.
            EngineError: `speed` is outside 0.25–4.
        """
        settings = _settings(voice, speed, instructions)
        offset = 0.0
        for sentence in split_sentences(text):
            chunk = self._speak(sentence, settings, offset)
            offset += chunk.duration
            yield chunk

    def synthesize(self, text: str, *, voice: str = "alloy", speed: float = 1.0,
                   instructions: str | None = None) -> SpeechResult:
        """Speak `text` whole; see `synthesize_stream` for the arguments."""
        import numpy as np

        chunks = list(self.synthesize_stream(text, voice=voice, speed=speed, instructions=instructions))
        self.load()
        samples = (np.concatenate([c.samples for c in chunks]) if chunks
                   else np.zeros(0, dtype=np.int16))
        words = [w for c in chunks for w in c.words]
        return SpeechResult(samples, _sample_rate, words, voice, self.name)

    def _speak(self, sentence: str, s: _Settings, offset: float) -> SpeechChunk:
        import numpy as np

        with _LOCK:
            lib, rate = _load(self._library_path, self._data_path)
            _chunks.clear()
            _events.clear()
            if lib.espeak_SetVoiceByName(s.espeak.encode()) != 0:
                raise UnknownVoiceError(
                    f"unknown voice {s.espeak!r}; use one of {', '.join(VOICES)} "
                    "or an espeak-ng voice name such as 'en-us+f3'")
            for param, value in ((_RATE, s.wpm), (_PITCH, s.pitch), (_RANGE, s.range),
                                 (_VOLUME, s.volume)):
                lib.espeak_SetParameter(param, value, 0)
            data = sentence.encode("utf-8") + b"\0"
            code = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if code != 0:
                raise EngineError(f"espeak-ng could not synthesize the text (code {code})")
            lib.espeak_Synchronize()
            samples = np.concatenate(_chunks) if _chunks else np.zeros(0, dtype=np.int16)
            events = list(_events)
        if abs(s.stretch - 1.0) > 1e-3:
            from .audio import time_stretch

            samples = time_stretch(samples, sample_rate=rate, factor=s.stretch)
        words = _word_timings(sentence, events, samples, rate, s.stretch, offset)
        return SpeechChunk(samples, rate, sentence, offset, words)


def _speech_end(samples: npt.NDArray[np.int16], rate: int) -> float:
    import numpy as np

    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 300)
    return (int(loud[-1]) + 1) / rate if len(loud) else 0.0


def _word_timings(sentence: str, events: list[tuple[int, int, int]],
                  samples: npt.NDArray[np.int16], rate: int, stretch: float,
                  offset: float) -> list[WordTiming]:
    """Turn espeak-ng word events (1-based character position, length, ms) into timings."""
    end_of_speech = _speech_end(samples, rate)
    starts = [ms / 1000 / stretch for _, _, ms in events]
    out = []
    for i, (pos, length, _) in enumerate(events):
        word = sentence[max(0, pos - 1): pos - 1 + length].strip()
        if not word:
            continue
        start = starts[i]
        end = starts[i + 1] if i + 1 < len(events) else max(start, end_of_speech)
        out.append(WordTiming(word, round(offset + start, 3), round(offset + max(start, end), 3)))
    return out

