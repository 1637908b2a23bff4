"""Turn what a user points at (a path, a URL, bytes, a `SpeechClip`) into audio bytes to upload."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Any

from oainb._exceptions import InputError
from oainb.results.speech import wav_duration

__all__ = ["AudioSource", "duration_of", "load_source"]

_EXTENSIONS = {
    "audio/wav": "wav",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/webm": "webm",
    "audio/mpeg": "mp3",
}


@dataclass(frozen=True)
class AudioSource:
    """Audio ready to upload: its bytes and a file name whose extension tells the format."""

    data: bytes
    filename: str

    def as_file(self) -> tuple[str, bytes]:
        """The `(filename, bytes)` pair the client's `file=` accepts."""
        return (self.filename, self.data)


def _sniff_extension(data: bytes) -> str:
    from oainb.display.html import sniff_mime

    return _EXTENSIONS.get(sniff_mime(data), "mp3")


def _from_clip(clip: Any) -> AudioSource:
    data, fmt = bytes(clip.audio), str(clip.format or "mp3")
    if fmt == "pcm":  # the API does not take headerless PCM: wrap it in a WAV header
        from oainb.display.html import _wav_from_pcm

        data, fmt = _wav_from_pcm(data), "wav"
    return AudioSource(data=data, filename=f"speech.{'ogg' if fmt == 'opus' else fmt}")


def _fetch(url: str, *, http_client: Any = None) -> AudioSource:
    import httpx

    try:
        if http_client is not None:
            response = http_client.get(url, follow_redirects=True)
        else:
            response = httpx.get(url, follow_redirects=True, timeout=60.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise InputError(f"Could not download {url}: {exc}; check the URL.", param="file") from None
    name = os.path.basename(url.split("?", 1)[0]) or "audio"
    if "." not in name:
        name += "." + _sniff_extension(response.content)
    return AudioSource(data=response.content, filename=name)


def load_source(source: Any, *, http_client: Any = None) -> AudioSource:
    """Read `source`: a path, an http(s) URL, bytes, a `(filename, bytes)` pair or a `SpeechClip`.

    Raises:
        InputError: the file does not exist, the URL fails, or the type is not one of these.

    Example:
        >>> from oainb.notebook._audio import load_source
        >>> load_source(b"RIFF....WAVE").filename
        'audio.wav'
    """
    if hasattr(source, "audio") and hasattr(source, "format"):
        return _from_clip(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise InputError("The audio is empty (0 bytes).", param="file")
        return AudioSource(data=data, filename=f"audio.{_sniff_extension(data)}")
    if isinstance(source, tuple) and len(source) == 2:
        return AudioSource(data=bytes(source[1]), filename=str(source[0]))
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if text.startswith(("http://", "https://")):
            return _fetch(text, http_client=http_client)
        path = os.path.expanduser(text)
        if not os.path.isfile(path):
            raise InputError(f"No audio file at {text!r}; give a path, a URL, or a variable holding bytes.", param="file")
        with open(path, "rb") as handle:
            return AudioSource(data=handle.read(), filename=os.path.basename(path))
    raise InputError(
        f"Cannot read audio from a {type(source).__name__}; give a path, a URL, bytes or a SpeechClip.",
        param="file",
    )


def duration_of(data: bytes) -> float | None:
    """The audio's length in seconds, read from its header (None if it cannot be read).

    A WAV is measured by the bytes it carries, not by its header's sizes, which a streamed
    WAV fills with placeholders (0xFFFFFFFF reads as 89478 s and a cost to match).
    """
    if data[:4] == b"RIFF":
        return wav_duration(data)
    try:
        import av
    except ImportError:  # pragma: no cover - av is a base dependency
        return None
    try:
        opened: Any = av.open(io.BytesIO(data))
        with opened as container:
            if container.duration is not None:
                return float(container.duration / av.time_base)
            stream = container.streams.audio[0]
            samples = sum(int(frame.samples) for frame in container.decode(stream))
            return samples / float(stream.rate) if stream.rate else None
    except (av.FFmpegError, IndexError, ValueError):
        return None
