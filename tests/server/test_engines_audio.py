"""PyAV encoding and decoding on a synthetic signal (the speech round trips are in test_engines_tts)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from oainb.server.engines import audio

RATE = 22_050


@pytest.fixture(scope="module")
def tone() -> np.ndarray:
    """Two seconds of a 440 Hz tone then one second of 880 Hz, at espeak-ng's rate."""
    t = np.arange(3 * RATE) / RATE
    freq = np.where(t < 2, 440.0, 880.0)
    return (np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16)


@pytest.mark.parametrize("fmt", audio.FORMATS)
def test_every_format_decodes_back_to_the_same_length(tone: np.ndarray, fmt: str) -> None:
    data = audio.encode(tone, sample_rate=RATE, fmt=fmt)
    # Lossy codecs pad a frame or two at the edges; nothing more.
    assert audio.duration(data, fmt=fmt) == pytest.approx(3.0, abs=0.08)
    samples = audio.decode(data, fmt=fmt)
    assert len(samples) / 16_000 == pytest.approx(3.0, abs=0.08)
    assert samples.dtype == np.float32


@pytest.mark.parametrize("fmt", audio.FORMATS)
def test_streamed_chunks_concatenate_to_a_playable_file(tone: np.ndarray, fmt: str) -> None:
    encoder = audio.StreamEncoder(fmt, sample_rate=RATE)
    parts = [encoder.write(tone[i:i + 5000]) for i in range(0, len(tone), 5000)]
    parts.append(encoder.close())
    # Bytes arrive while encoding, not only at the end: that is what makes it a stream.
    assert sum(1 for p in parts[:-1] if p) >= 2
    assert audio.duration(b"".join(parts), fmt=fmt) == pytest.approx(3.0, abs=0.08)


def test_pcm_is_raw_24khz_16bit_mono(tone: np.ndarray) -> None:
    data = audio.encode(tone, sample_rate=RATE, fmt="pcm")
    assert len(data) == pytest.approx(3 * 24_000 * 2, abs=64)
    samples = np.frombuffer(data, dtype="<i2")
    # The tone survives resampling: its zero crossings still count 440 Hz in the first second.
    positive = samples[1000:25_000] >= 0
    crossings = np.count_nonzero(positive[1:] & ~positive[:-1])
    assert crossings == pytest.approx(440, rel=0.02)


def test_wav_has_exact_sizes_and_a_stream_says_unknown(tone: np.ndarray) -> None:
    whole = audio.encode(tone, sample_rate=RATE, fmt="wav")
    riff, = struct.unpack("<I", whole[4:8])
    assert riff == len(whole) - 8
    encoder = audio.StreamEncoder("wav", sample_rate=RATE)
    head = encoder.write(tone[:1000])
    assert head[:4] == b"RIFF" and struct.unpack("<I", head[4:8])[0] == 0xFFFFFFFF


def test_the_tone_frequency_survives_a_lossy_round_trip(tone: np.ndarray) -> None:
    samples = audio.decode(audio.encode(tone, sample_rate=RATE, fmt="opus"))
    second = samples[int(2.2 * 16_000):int(2.8 * 16_000)]
    spectrum = np.abs(np.fft.rfft(second))
    peak = np.argmax(spectrum) * 16_000 / len(second)
    assert peak == pytest.approx(880, abs=10)


def test_garbage_is_a_clear_decode_error() -> None:
    with pytest.raises(audio.AudioDecodeError, match="could not read the audio") as info:
        audio.decode(b"this is not audio at all" * 50)
    assert isinstance(info.value, ValueError) and info.value.param == "file"
    with pytest.raises(audio.AudioDecodeError, match="empty"):
        audio.decode(b"")


def test_unknown_format_is_refused(tone: np.ndarray) -> None:
    with pytest.raises(ValueError, match="unknown audio format 'ogg'"):
        audio.encode(tone, sample_rate=RATE, fmt="ogg")


@pytest.mark.parametrize("factor", [0.25, 0.5, 2.0, 4.0])
def test_time_stretch_changes_length_keeping_pitch(tone: np.ndarray, factor: float) -> None:
    out = audio.time_stretch(tone[:2 * RATE], sample_rate=RATE, factor=factor)
    assert len(out) / (2 * RATE) == pytest.approx(1 / factor, rel=0.05)
    middle = out[len(out) // 4: len(out) // 4 + RATE // 2].astype(np.float64)
    peak = np.argmax(np.abs(np.fft.rfft(middle))) * RATE / len(middle)
    assert peak == pytest.approx(440, abs=10)
