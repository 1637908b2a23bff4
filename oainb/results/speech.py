"""`SpeechClip`, the audio made by `client.audio.speech.create`."""

from __future__ import annotations

import os
import struct

from pydantic import Field

from oainb.results._base import ResultModel, shorten
from oainb.results.usage import Usage

__all__ = ["PCM_SAMPLE_RATE", "SpeechClip", "wav_duration"]

#: OpenAI's `pcm` format: 24 kHz, 16-bit signed little-endian, mono.
PCM_SAMPLE_RATE = 24_000


def wav_duration(data: bytes) -> float | None:
    """Seconds of audio in a RIFF/WAVE file, counted from the bytes actually present.

    A streamed WAV cannot know its length when its header is sent, so its size fields hold a
    placeholder (0, 0x7FFFFFFF or 0xFFFFFFFF; OpenAI's and many encoders' do). A `data` size
    that is 0 or larger than the bytes that came is ignored, and the bytes are counted.

    Example:
        >>> from oainb.results.speech import wav_duration
        >>> import struct
        >>> header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 0xFFFFFFFF, b"WAVE", b"fmt ",
        ...                      16, 1, 1, 8000, 16000, 2, 16, b"data", 0xFFFFFFFF)
        >>> wav_duration(header + bytes(8000))
        0.5

    Returns:
        The length in seconds, or None if `data` is not a WAV file this can read.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    rate = block_align = 0
    pos = 12
    while pos + 8 <= len(data):
        chunk, size = struct.unpack_from("<4sI", data, pos)
        start = pos + 8
        if chunk == b"fmt " and size >= 16 and start + 16 <= len(data):
            _, _, rate, _, block_align, _ = struct.unpack_from("<HHIIHH", data, start)
        elif chunk == b"data":
            if not rate or not block_align:
                return None
            present = len(data) - start
            n_bytes = present if size == 0 or size > present else size
            return n_bytes // block_align / float(rate)
        pos = start + size + (size & 1)  # chunks are padded to an even length
    return None


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

        A streamed WAV's header has placeholder sizes: `wav_duration` counts the bytes that came.
        """
        if self.format == "pcm":
            return len(self.audio) / (2 * PCM_SAMPLE_RATE)
        if self.format == "wav":
            return wav_duration(self.audio)
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
