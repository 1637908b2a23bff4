"""`SpeechClip`, the audio made by `client.audio.speech.create`."""

from __future__ import annotations

import io
import os
import wave

from pydantic import Field

from oainb.results._base import ResultModel, shorten
from oainb.results.usage import Usage

__all__ = ["PCM_SAMPLE_RATE", "SpeechClip"]

#: OpenAI's `pcm` format: 24 kHz, 16-bit signed little-endian, mono.
PCM_SAMPLE_RATE = 24_000


class SpeechClip(ResultModel):
    """Synthesised speech: the `audio` bytes in `format`, and what produced them.

    Example:
        >>> from oainb import SpeechClip
        >>> clip = SpeechClip(audio=b"\\0\\0" * 24000, format="pcm", voice="alloy")
        >>> clip.duration
        1.0
    """

    audio: bytes = Field(default=b"", repr=False)
    format: str = "mp3"
    model: str | None = None
    voice: str | None = None
    input: str | None = None
    instructions: str | None = None
    speed: float | None = None
    usage: Usage | None = None
    partial: bool = False

    @property
    def mime_type(self) -> str:
        """The MIME type of `audio`, for an `<audio>` tag or a download."""
        return {
            "mp3": "audio/mpeg",
            "opus": "audio/ogg",
            "aac": "audio/aac",
            "flac": "audio/flac",
            "wav": "audio/wav",
            "pcm": "audio/L16;rate=24000;channels=1",
        }.get(self.format, "application/octet-stream")

    @property
    def duration(self) -> float | None:
        """Length in seconds, for `pcm` and `wav` (None for compressed formats).

        A streamed WAV cannot know its length when its header is sent, so its size fields
        say 0xFFFFFFFF (OpenAI's do too): the frames are counted in the bytes that came.
        """
        if self.format == "pcm":
            return len(self.audio) / (2 * PCM_SAMPLE_RATE)
        if self.format == "wav":
            try:
                with wave.open(io.BytesIO(self.audio)) as reader:
                    frame_size = reader.getsampwidth() * reader.getnchannels()
                    data = reader.readframes(reader.getnframes())
                    return len(data) // frame_size / float(reader.getframerate())
            except (wave.Error, EOFError):
                return None
        return None

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the audio to `path` and return the path written.

        Example:
            >>> clip.save("hello.mp3")  # doctest: +SKIP
            'hello.mp3'
        """
        with open(path, "wb") as handle:
            handle.write(self.audio)
        return os.fspath(path)

    def __repr__(self) -> str:
        bits = [self.format, f"{len(self.audio)} bytes"]
        if self.duration is not None:
            bits.append(f"{self.duration:.1f}s")
        bits += [b for b in (self.voice, self.model) if b]
        if self.input:
            bits.append(repr(shorten(self.input, 30)))
        if self.partial:
            bits.append("partial")
        return f"<SpeechClip {' '.join(bits)}>"
