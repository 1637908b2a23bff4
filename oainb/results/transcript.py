"""`Transcript`, the result of a transcription or translation, with subtitle exports."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from oainb.results._base import ResultModel, shorten
from oainb.results.usage import Usage

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = ["TokenLogprob", "Transcript", "TranscriptSegment", "TranscriptWord"]

# Words per subtitle cue when a transcript has words but no segments.
_WORDS_PER_CUE = 8
_CUE_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{1,3})")


class TranscriptWord(ResultModel):
    """One word with its start and end in seconds (`probability` when the backend gives it)."""

    word: str
    start: float = 0.0
    end: float = 0.0
    probability: float | None = None

    def __repr__(self) -> str:
        return f"<TranscriptWord {self.word!r} {self.start:.2f}-{self.end:.2f}s>"


class TranscriptSegment(ResultModel):
    """One segment of a `verbose_json` (or diarized) transcript."""

    id: Any = 0
    seek: int = 0
    start: float = 0.0
    end: float = 0.0
    text: str = ""
    tokens: list[int] = Field(default_factory=list)
    temperature: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0
    speaker: str | None = None

    def __repr__(self) -> str:
        return f"<TranscriptSegment {self.start:.2f}-{self.end:.2f}s {shorten(self.text, 30)!r}>"


class TokenLogprob(ResultModel):
    """The log probability of one token of the transcript (`include=["logprobs"]`)."""

    token: str = ""
    logprob: float = 0.0
    bytes: list[int] | None = None


class Transcript(ResultModel):
    """The text of an audio file, with words, segments and logprobs when they were asked for.

    `model`, `response_format` and `source_audio` (the uploaded bytes, for a player) are
    set by the client and are not part of the wire shape.

    Example:
        >>> from oainb import Transcript
        >>> t = Transcript(text="Hi there", words=[{"word": "Hi", "start": 0, "end": 0.4},
        ...     {"word": "there", "start": 0.5, "end": 1.0}])
        >>> print(t.srt())
        1
        00:00:00,000 --> 00:00:01,000
        Hi there
        <BLANKLINE>
    """

    text: str = ""
    task: str | None = None
    language: str | None = None
    duration: float | None = None
    words: list[TranscriptWord] = Field(default_factory=list)
    segments: list[TranscriptSegment] = Field(default_factory=list)
    logprobs: list[TokenLogprob] | None = None
    usage: Usage | None = None
    model: str | None = Field(default=None, exclude=True)
    response_format: str | None = Field(default=None, exclude=True)
    source_audio: bytes | None = Field(default=None, exclude=True, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if not (k in ("words", "segments") and v is None)}
        return data

    @classmethod
    def from_subtitles(cls, body: str, **fields: Any) -> Transcript:
        """Read an SRT or WebVTT body (what `response_format="srt"|"vtt"` returns)."""
        segments: list[TranscriptSegment] = []
        for block in re.split(r"\r?\n\s*\r?\n", body.strip()):
            lines = [line for line in block.splitlines() if line.strip()]
            timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
            if timing is None:
                continue
            start, _, end = lines[timing].partition("-->")
            text = " ".join(lines[timing + 1 :]).strip()
            segments.append(
                TranscriptSegment(
                    id=len(segments), start=_seconds(start), end=_seconds(end), text=text
                )
            )
        text = " ".join(s.text for s in segments)
        duration = segments[-1].end if segments else None
        return cls(text=text, segments=segments, duration=duration, **fields)

    def srt(self) -> str:
        """The transcript as SubRip subtitles (cues from segments, else from words)."""
        return "".join(
            f"{n}\n{_stamp(start, ',')} --> {_stamp(end, ',')}\n{text}\n\n"
            for n, (start, end, text) in enumerate(self._cues(), start=1)
        )

    def vtt(self) -> str:
        """The transcript as WebVTT subtitles (cues from segments, else from words)."""
        body = "".join(
            f"{_stamp(start, '.')} --> {_stamp(end, '.')}\n{text}\n\n"
            for start, end, text in self._cues()
        )
        return "WEBVTT\n\n" + body

    def _cues(self) -> list[tuple[float, float, str]]:
        if self.segments:
            return [(s.start, s.end, s.text.strip()) for s in self.segments]
        if self.words:
            cues = []
            for i in range(0, len(self.words), _WORDS_PER_CUE):
                group = self.words[i : i + _WORDS_PER_CUE]
                cues.append(
                    (group[0].start, group[-1].end, " ".join(w.word.strip() for w in group))
                )
            return cues
        if self.text:
            return [(0.0, float(self.duration or 0.0), self.text.strip())]
        return []

    def plot_words(self, ax: Axes | None = None) -> Axes:
        """Plot each word on a timeline (see `oainb.display.plots.plot_words`)."""
        from oainb.display.plots import plot_words

        return plot_words(self, ax=ax)

    def plot_logprobs(self, ax: Axes | None = None) -> Axes:
        """Plot the token logprobs (see `oainb.display.plots.plot_logprobs`)."""
        from oainb.display.plots import plot_logprobs

        return plot_logprobs(self, ax=ax)

    def to_body(self, response_format: str | None = None) -> dict[str, Any] | str:
        """What the API sends for `response_format`: a dict for the JSON formats, else text."""
        fmt = response_format or self.response_format or "json"
        if fmt == "srt":
            return self.srt()
        if fmt == "vtt":
            return self.vtt()
        if fmt == "text":
            return self.text
        data = self.to_wire()
        if fmt == "json":
            keep = ("text", "logprobs", "usage", "languages")
            return {k: v for k, v in data.items() if k in keep}
        data.setdefault("language", self.language or "english")
        data.setdefault("duration", float(self.duration or 0.0))
        if not self.words:
            data.pop("words", None)
        return data

    def __repr__(self) -> str:
        bits = []
        if self.words:
            bits.append(f"{len(self.words)} words")
        elif self.segments:
            bits.append(f"{len(self.segments)} segments")
        else:
            bits.append(repr(shorten(self.text, 30)))
        if self.duration is not None:
            bits.append(f"{self.duration:.1f}s")
        if self.model:
            bits.append(self.model)
        return f"<Transcript {' '.join(bits)}>"


def _stamp(seconds: float, sep: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def _seconds(stamp: str) -> float:
    match = _CUE_TIME.search(stamp)
    if match is None:
        return 0.0
    h, m, s, ms = match.groups()
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000
