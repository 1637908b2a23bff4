"""Matplotlib plots of results. Each takes an optional `ax` and returns the `Axes` it drew on.

matplotlib is imported inside the functions (never by `import oainb`), and nothing calls
`plt.show()`: in a notebook the inline backend shows the figure; elsewhere the caller decides.
"""

from __future__ import annotations

import io
import wave
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    import numpy as np
    from matplotlib.axes import Axes

__all__ = ["decode_waveform", "plot_logprobs", "plot_words", "token_logprobs"]

#: Longest waveform drawn, in points (longer audio is reduced to min/max envelopes).
_MAX_POINTS = 4000
_WORD_LEVELS = 3


def _new_axes(ax: Axes | None, *, figsize: tuple[float, float] = (10, 2.5)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, created = plt.subplots(figsize=figsize)
    return created


def decode_waveform(audio: bytes) -> tuple[np.ndarray, int] | None:
    """Mono float samples in [-1, 1] and their rate, or None if the bytes cannot be decoded.

    WAV is read with the standard library; other formats need PyAV (a base dependency).
    """
    import numpy as np

    if audio[:4] == b"RIFF":
        try:
            with wave.open(io.BytesIO(audio)) as reader:
                rate, width, channels = reader.getframerate(), reader.getsampwidth(), reader.getnchannels()
                frames = reader.readframes(reader.getnframes())
        except (wave.Error, EOFError):
            return None
        if width != 2:
            return None
        samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
        return samples.reshape(-1, channels).mean(axis=1), rate
    try:
        import av
    except ImportError:  # pragma: no cover - av is a base dependency
        return None
    try:
        opened: Any = av.open(io.BytesIO(audio))
        with opened as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate or 16000)
            chunks = [
                frame.to_ndarray().reshape(-1)
                for packet in container.decode(stream)
                for frame in resampler.resample(packet)
            ]
            rate = resampler.rate or stream.rate
    except (av.FFmpegError, IndexError, ValueError):
        return None
    if not chunks:
        return None
    return np.concatenate(chunks).astype(np.float32), int(rate)


def _draw_waveform(ax: Axes, samples: np.ndarray, rate: int) -> None:
    import numpy as np

    times = np.arange(len(samples)) / float(rate)
    if len(samples) > _MAX_POINTS:
        step = len(samples) // (_MAX_POINTS // 2)
        usable = samples[: (len(samples) // step) * step].reshape(-1, step)
        centres = times[: usable.shape[0] * step : step]
        ax.fill_between(centres, usable.min(axis=1), usable.max(axis=1), color="#9ab", lw=0, label="waveform")
    else:
        ax.plot(times, samples, color="#9ab", lw=0.6, label="waveform")


def plot_words(transcript: Any, ax: Axes | None = None) -> Axes:
    """Each word of a transcript at its time, over the waveform when the audio is known.

    Every word is one text artist (its label is the word, its x the middle of its span) and
    one span bar; words whose probability is known are coloured by it.

    Example:
        >>> from oainb import Transcript
        >>> from oainb.display.plots import plot_words
        >>> t = Transcript(text="hi there", words=[{"word": "hi", "start": 0, "end": 0.4}])
        >>> [x.get_text() for x in plot_words(t).texts]  # doctest: +SKIP
        ['hi']
    """
    ax = _new_axes(ax)
    audio = getattr(transcript, "source_audio", None)
    decoded = decode_waveform(audio) if audio else None
    if decoded is not None:
        _draw_waveform(ax, *decoded)
    words = list(getattr(transcript, "words", []) or [])
    for i, word in enumerate(words):
        level = 0.9 - 0.35 * (i % _WORD_LEVELS)
        p = word.probability
        color = "#333" if p is None else (1.0 - p, 0.45 * p, 0.1)
        ax.hlines(level - 0.12, word.start, word.end, colors=[color], lw=3)
        ax.text((word.start + word.end) / 2, level, word.word.strip(), ha="center", va="center",
                fontsize=9, color=color)
    end = max([w.end for w in words] + [float(getattr(transcript, "duration", 0) or 0)] + [0.0])
    if decoded is not None:
        end = max(end, len(decoded[0]) / decoded[1])
    ax.set_xlim(0, end or 1.0)
    ax.set_ylim(-1.05, 1.15)
    ax.set_yticks([])
    ax.set_xlabel("time (s)")
    ax.set_title(f"{len(words)} words")
    return ax


def token_logprobs(obj: Any) -> list[tuple[str, float]]:
    """(token, logprob) pairs of a Reply's or Transcript's logprobs."""
    pairs = []
    for entry in getattr(obj, "logprobs", None) or []:
        if isinstance(entry, dict):
            token, logprob = entry.get("token", ""), entry.get("logprob")
        else:
            token, logprob = getattr(entry, "token", ""), getattr(entry, "logprob", None)
        if logprob is not None:
            pairs.append((str(token), float(logprob)))
    return pairs


def plot_logprobs(result: Any, ax: Axes | None = None) -> Axes:
    """One bar per token, its height the token's logprob (0 is certain, lower is less sure).

    Works for a Reply (`--logprobs N`) and a Transcript (`include=["logprobs"]`). Tokens label
    the x axis when there are at most 60 of them.

    Raises:
        ValueError: the result carries no logprobs (ask for them when calling).
    """
    pairs = token_logprobs(result)
    if not pairs:
        raise ValueError("This result has no logprobs; request them (e.g. `--logprobs 5`).")
    ax = _new_axes(ax)
    values = [lp for _, lp in pairs]
    ax.bar(range(len(values)), values, color=["#d62" if v < -1.0 else "#39c" for v in values])
    if len(pairs) <= 60:
        ax.set_xticks(range(len(pairs)), [t for t, _ in pairs], rotation=90, fontsize=8)
    ax.axhline(0, color="#999", lw=0.5)
    ax.set_ylabel("logprob")
    ax.set_title(f"{len(pairs)} tokens, mean logprob {sum(values) / len(values):.2f}")
    return ax
