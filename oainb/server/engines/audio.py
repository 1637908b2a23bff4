"""Audio encoding and decoding with PyAV (it bundles FFmpeg; no system ffmpeg is needed).

Speech leaves the server in OpenAI's six `response_format`s, always mono at 24 kHz, which is
what OpenAI's own voices produce (`pcm` is documented as raw 24 kHz s16le). Audio arriving for
transcription may be any container FFmpeg reads and is decoded to float32 at 16 kHz for Whisper.

Two ways to encode: `encode()` writes into a seekable buffer, so containers whose header is patched
at the end (FLAC's STREAMINFO, WAV sizes, MP3's Xing frame) come out complete. `StreamEncoder`
writes into a non-seekable sink and hands back the bytes each chunk produced, for chunked HTTP
bodies; a WAV stream then carries the "unknown length" sizes (0xFFFFFFFF) that players accept.
"""

from __future__ import annotations

import io
import itertools
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from . import EngineError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "OUTPUT_SAMPLE_RATE",
    "AudioDecodeError",
    "StreamEncoder",
    "decode",
    "duration",
    "encode",
    "time_stretch",
    "wav_with_sizes",
]

OUTPUT_SAMPLE_RATE = 24_000
FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


@dataclass(frozen=True)
class _Codec:
    container: str
    codec: str
    bit_rate: int | None = None


# Opus and AAC get explicit bit rates: PyAV's defaults are tuned for music, not one voice.
_CODECS = {
    "mp3": _Codec("mp3", "libmp3lame", 64_000),
    "opus": _Codec("ogg", "libopus", 32_000),
    "aac": _Codec("adts", "aac", 64_000),
    "flac": _Codec("flac", "flac"),
    "wav": _Codec("wav", "pcm_s16le"),
}


class AudioDecodeError(EngineError, ValueError):
    """The bytes are not audio FFmpeg can decode."""

    code = "invalid_audio"
    param = "file"


class _Sink:
    """A write-only, non-seekable file object that hands over what was written since last asked."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}; use one of {', '.join(FORMATS)}")


def _wav_header(n_bytes: int | None, rate: int) -> bytes:
    # 0xFFFFFFFF sizes mean "unknown length": the convention for streamed WAV.
    data = 0xFFFFFFFF if n_bytes is None else n_bytes
    riff = 0xFFFFFFFF if n_bytes is None else 36 + n_bytes
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", riff, b"WAVE", b"fmt ", 16, 1, 1, rate, rate * 2, 2, 16, b"data", data,
    )


def wav_with_sizes(stream: bytes) -> bytes:
    """A whole WAV written by `StreamEncoder`, its placeholder sizes replaced by the true ones.

    Example:
        wav = wav_with_sizes(enc.write(samples) + enc.close())
    """
    header_size = len(_wav_header(None, OUTPUT_SAMPLE_RATE))
    rate = struct.unpack_from("<I", stream, 24)[0]
    return _wav_header(len(stream) - header_size, rate) + stream[header_size:]


class StreamEncoder:
    """Encode mono int16 samples chunk by chunk, returning the bytes each chunk produced.

    Example:
        enc = StreamEncoder("mp3", sample_rate=22050)
        body = enc.write(chunk1) + enc.write(chunk2) + enc.close()

    Args:
        fmt: one of `FORMATS`.
        sample_rate: rate of the samples you will write; output is always 24 kHz mono.
        seekable: write into a seekable buffer instead (only `close()` then returns bytes,
            with headers patched); this is what `encode()` uses.
    """

    def __init__(self, fmt: str, *, sample_rate: int, seekable: bool = False) -> None:
        import av

        _check_format(fmt)
        self.format = fmt
        self.sample_rate = sample_rate
        self._seekable = seekable
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=OUTPUT_SAMPLE_RATE)
        self._pts = 0
        self._closed = False
        self._raw = fmt in ("pcm", "wav") and not seekable
        self._buffer: io.BytesIO | _Sink = io.BytesIO() if seekable else _Sink()
        self._container: Any = None
        self._stream: Any = None
        if self._raw:
            if fmt == "wav":
                self._buffer.write(_wav_header(None, OUTPUT_SAMPLE_RATE))
            return
        codec = _CODECS[fmt] if fmt != "pcm" else _Codec("s16le", "pcm_s16le")
        # Ogg holds packets until a page fills (1 s by default): shorter pages stream sooner.
        options = {"page_duration": "100000"} if codec.container == "ogg" else {}
        self._container = av.open(self._buffer, mode="w", format=codec.container,
                                  buffer_size=4096, container_options=options)
        self._stream = self._container.add_stream(codec.codec, rate=OUTPUT_SAMPLE_RATE)
        self._stream.layout = "mono"
        if codec.bit_rate:
            self._stream.bit_rate = codec.bit_rate

    def write(self, samples: npt.NDArray[np.int16]) -> bytes:
        """Encode one chunk; returns the bytes ready so far (may be empty)."""
        import av
        import numpy as np

        if self._closed:
            raise RuntimeError("write() after close()")
        pcm = np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1)
        if pcm.shape[1] == 0:
            return self._take()
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._pts
        self._pts += pcm.shape[1]
        self._consume(self._resampler.resample(frame))
        return self._take()

    def close(self) -> bytes:
        """Flush the codec and container; returns the remaining bytes (all of them if seekable)."""
        if self._closed:
            return b""
        self._closed = True
        self._consume(self._resampler.resample(None))
        if self._stream is not None:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
        if isinstance(self._buffer, io.BytesIO):
            return self._buffer.getvalue()
        return self._buffer.take()

    def _consume(self, frames: list[Any]) -> None:
        for frame in frames:
            if self._stream is None:
                self._buffer.write(frame.to_ndarray().astype("<i2").tobytes())
                continue
            for packet in self._stream.encode(frame):
                self._container.mux(packet)

    def _take(self) -> bytes:
        return self._buffer.take() if isinstance(self._buffer, _Sink) else b""


def encode(samples: npt.NDArray[np.int16], *, sample_rate: int, fmt: str) -> bytes:
    """Encode a whole clip of mono int16 samples into one of OpenAI's speech formats.

    Example:
        mp3 = encode(samples, sample_rate=22050, fmt="mp3")

    Returns:
        The file's bytes, mono at 24 kHz (`pcm`: headerless s16le).
    """
    encoder = StreamEncoder(fmt, sample_rate=sample_rate, seekable=True)
    encoder.write(samples)
    return encoder.close()


def _open(data: bytes, fmt: str | None) -> Any:
    import av

    kwargs: dict[str, Any] = {}
    if fmt == "pcm":
        kwargs = {
            "format": "s16le",
            "options": {"sample_rate": str(OUTPUT_SAMPLE_RATE), "ch_layout": "mono"},
        }
    try:
        return av.open(io.BytesIO(data), mode="r", **kwargs)
    except av.FFmpegError as exc:
        raise AudioDecodeError(f"could not read the audio ({exc}); send a common format "
                               "such as mp3, wav, flac, ogg, webm or m4a") from exc


def decode(data: bytes, *, sample_rate: int = 16_000, fmt: str | None = None) -> npt.NDArray[np.float32]:
    """Decode audio bytes of any container FFmpeg reads to mono float32 samples.

    Example:
        samples = decode(open("talk.m4a", "rb").read())   # 16 kHz, what Whisper wants

    Args:
        fmt: only needed for headerless `"pcm"` (24 kHz s16le); containers are probed.

    Raises:
        AudioDecodeError: the bytes hold no decodable audio stream.
    """
    import av
    import numpy as np

    if not data:
        raise AudioDecodeError("the audio file is empty")
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    parts: list[np.ndarray[Any, Any]] = []
    with _open(data, fmt) as container:
        if not container.streams.audio:
            raise AudioDecodeError("the file has no audio stream")
        try:
            for frame in container.decode(audio=0):
                parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
        except av.FFmpegError as exc:
            if not parts:
                raise AudioDecodeError(f"could not decode the audio ({exc})") from exc
            # A truncated tail still leaves what decoded before it usable.
        parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    if not parts:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(parts).astype(np.float32, copy=False)


def duration(data: bytes, *, fmt: str | None = None) -> float:
    """Length in seconds of encoded audio, counted from decoded samples (exact, not the header's).

    Example:
        seconds = duration(encode(samples, sample_rate=22050, fmt="opus"))
    """
    import av

    if fmt == "pcm":
        return len(data) / 2 / OUTPUT_SAMPLE_RATE
    samples = 0
    rate = 0
    with _open(data, fmt) as container:
        if not container.streams.audio:
            raise AudioDecodeError("the file has no audio stream")
        try:
            for frame in container.decode(audio=0):
                samples += frame.samples
                rate = frame.sample_rate
        except av.FFmpegError:
            pass  # count what decoded; a truncated stream is still shorter, not unreadable
    return samples / rate if rate else 0.0


def time_stretch(samples: npt.NDArray[np.int16], *, sample_rate: int, factor: float) -> npt.NDArray[np.int16]:
    """Speed speech up (factor > 1) or slow it down keeping its pitch, with FFmpeg's `atempo`.

    Used for the part of `speed` that espeak-ng's own rate range (80–450 words/min) cannot reach.
    """
    import av
    import numpy as np

    if abs(factor - 1.0) < 1e-3 or len(samples) == 0:
        return samples
    graph = av.filter.Graph()
    src = graph.add_abuffer(format="s16", sample_rate=sample_rate, layout="mono",
                            time_base=Fraction(1, sample_rate))
    chain = [src]
    remaining = factor
    # One atempo instance accepts 0.5..100; chain halvings for slower speeds.
    while remaining < 0.5:
        chain.append(graph.add("atempo", "0.5"))
        remaining /= 0.5
    chain.append(graph.add("atempo", f"{remaining:.6f}"))
    sink = graph.add("abuffersink")
    chain.append(sink)
    for a, b in itertools.pairwise(chain):
        a.link_to(b)
    graph.configure()
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1),
                                       format="s16", layout="mono")
    frame.sample_rate = sample_rate
    frame.pts = 0
    frame.time_base = Fraction(1, sample_rate)
    graph.push(frame)
    graph.push(None)
    out: list[np.ndarray[Any, Any]] = []
    while True:
        try:
            got = graph.pull()
        except (av.BlockingIOError, av.EOFError):
            break
        out.append(got.to_ndarray().reshape(-1))
    return np.concatenate(out).astype(np.int16) if out else np.zeros(0, dtype=np.int16)
