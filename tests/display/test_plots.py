from __future__ import annotations

import io
import wave

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure

from oainb import Reply, Transcript
from oainb.display.plots import decode_waveform, plot_logprobs, plot_words


def axes():
    return Figure().add_subplot()


def tone(seconds: float = 1.0, rate: int = 8000) -> bytes:
    samples = (np.sin(np.arange(int(seconds * rate)) / 3) * 10000).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buffer.getvalue()


WORDS = [{"word": " hello", "start": 0.1, "end": 0.4, "probability": 0.9},
         {"word": "world", "start": 0.5, "end": 0.9, "probability": 0.2}]


def test_words_are_placed_at_their_times():
    ax = plot_words(Transcript(text="hello world", words=WORDS), ax=axes())
    assert [t.get_text() for t in ax.texts] == ["hello", "world"]
    assert [t.get_position()[0] for t in ax.texts] == pytest.approx([0.25, 0.7])
    spans = [seg for coll in ax.collections for seg in coll.get_segments()]
    assert [tuple(s[:, 0]) for s in spans] == [pytest.approx((0.1, 0.4)), pytest.approx((0.5, 0.9))]
    assert ax.get_xlabel() == "time (s)"


def test_waveform_drawn_under_words_when_audio_known():
    ax = plot_words(Transcript(text="hello world", words=WORDS, source_audio=tone(2.0)), ax=axes())
    wave_lines = [line for line in ax.lines if line.get_label() == "waveform"]
    fills = [c for c in ax.collections if c.get_label() == "waveform"]
    assert wave_lines or fills
    assert ax.get_xlim()[1] == pytest.approx(2.0, abs=0.01)


def test_low_probability_word_is_redder():
    ax = plot_words(Transcript(text="hello world", words=WORDS), ax=axes())
    sure, unsure = (t.get_color() for t in ax.texts)
    assert unsure[0] > sure[0]


def test_decode_waveform_reads_wav_and_rejects_garbage():
    samples, rate = decode_waveform(tone(0.5))
    assert rate == 8000 and len(samples) == 4000 and np.abs(samples).max() <= 1.0
    assert decode_waveform(b"not audio at all") is None


def test_logprob_bars_follow_tokens():
    reply = Reply(output=[{"type": "message", "content": [{"type": "output_text", "text": "a b",
        "logprobs": [{"token": "a", "logprob": -0.1}, {"token": " b", "logprob": -2.0}]}]}])
    ax = plot_logprobs(reply, ax=axes())
    assert [p.get_height() for p in ax.patches] == pytest.approx([-0.1, -2.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", " b"]


def test_transcript_methods_delegate_and_missing_logprobs_is_a_clear_error():
    t = Transcript(text="x", words=WORDS, logprobs=[{"token": "x", "logprob": -0.5}])
    assert len(t.plot_logprobs(ax=axes()).patches) == 1
    assert len(t.plot_words(ax=axes()).texts) == 2
    with pytest.raises(ValueError, match="no logprobs"):
        plot_logprobs(Transcript(text="x"), ax=axes())


def test_without_ax_a_new_figure_is_made():
    import matplotlib.pyplot as plt

    ax = plot_words(Transcript(text="hello world", words=WORDS))
    assert ax.figure is not None
    plt.close(ax.figure)
