"""espeak-ng speech: voices, speed, instructions, word timings, and every output format."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from oainb.server.engines import UnsupportedError, audio
from oainb.server.engines.tts import VOICES, EspeakEngine, UnknownVoiceError, split_sentences

pytestmark = pytest.mark.server

SENTENCE = "The quick brown fox jumps over the lazy dog."
OPENAI_VOICES = ["alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage",
                 "shimmer", "verse", "marin", "cedar"]


@pytest.fixture(scope="module")
def tts() -> EspeakEngine:
    engine = EspeakEngine()
    engine.load()
    return engine


def _fingerprint(samples: np.ndarray) -> np.ndarray:
    """Mean magnitude spectrum of the voiced frames, normalised: the colour of a voice."""
    x = samples.astype(np.float64)
    frames = np.lib.stride_tricks.sliding_window_view(x, 1024)[::512]
    frames = frames[np.abs(frames).mean(axis=1) > 300]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(1024), axis=1)).mean(axis=0)[:256]
    return spectrum / spectrum.sum()


def test_every_openai_voice_has_a_local_voice(tts: EspeakEngine) -> None:
    assert set(OPENAI_VOICES) <= set(tts.voices)
    assert len({(v.espeak, v.pitch) for v in VOICES.values()}) == len(VOICES)


def test_each_voice_sounds_different_and_the_same_each_time(tts: EspeakEngine) -> None:
    prints = {v: _fingerprint(tts.synthesize(SENTENCE, voice=v).samples) for v in OPENAI_VOICES}
    again = _fingerprint(tts.synthesize(SENTENCE, voice="nova").samples)
    assert np.abs(prints["nova"] - again).sum() < 0.15
    for a, b in itertools.combinations(OPENAI_VOICES, 2):
        assert np.abs(prints[a] - prints[b]).sum() > 0.16, (a, b)


@pytest.mark.parametrize(("speed", "ratio"), [(0.25, 4.0), (0.5, 2.0), (2.0, 0.5), (4.0, 0.25)])
def test_speed_scales_duration(tts: EspeakEngine, speed: float, ratio: float) -> None:
    normal = tts.synthesize(SENTENCE, voice="alloy").duration
    changed = tts.synthesize(SENTENCE, voice="alloy", speed=speed).duration
    # espeak-ng's pauses do not scale exactly with its rate: within a quarter of the target.
    assert changed / normal == pytest.approx(ratio, rel=0.25)


def test_speed_outside_the_api_range_is_refused(tts: EspeakEngine) -> None:
    with pytest.raises(UnsupportedError, match="between 0.25 and 4.0"):
        tts.synthesize(SENTENCE, speed=5)


def test_instructions_slow_and_whisper_change_the_speech(tts: EspeakEngine) -> None:
    plain = tts.synthesize(SENTENCE, voice="coral")
    slow = tts.synthesize(SENTENCE, voice="coral", instructions="Speak slowly and calmly.")
    assert slow.duration > plain.duration * 1.1
    whisper = tts.synthesize(SENTENCE, voice="coral", instructions="whisper it")
    assert np.abs(_fingerprint(whisper.samples) - _fingerprint(plain.samples)).sum() > 0.16
    ignored = tts.synthesize(SENTENCE, voice="coral", instructions="Sound like a pirate.")
    assert ignored.duration == pytest.approx(plain.duration, rel=0.01)


def test_unknown_voice_names_the_choices(tts: EspeakEngine) -> None:
    with pytest.raises(UnknownVoiceError, match="alloy, ash") as info:
        tts.synthesize(SENTENCE, voice="not-a-voice")
    assert info.value.param == "voice"


def test_an_espeak_voice_name_also_works(tts: EspeakEngine) -> None:
    assert tts.synthesize(SENTENCE, voice="en-gb-scotland").duration > 1


def test_sentences_stream_as_chunks_on_one_timeline(tts: EspeakEngine) -> None:
    text = "First sentence here. Second one follows! And a third?"
    chunks = list(tts.synthesize_stream(text, voice="echo"))
    assert [c.text for c in chunks] == ["First sentence here.", "Second one follows!",
                                        "And a third?"]
    for before, after in itertools.pairwise(chunks):
        assert after.start == pytest.approx(before.start + before.duration)
    whole = tts.synthesize(text, voice="echo")
    assert whole.duration == pytest.approx(sum(c.duration for c in chunks), abs=0.01)


def test_a_long_sentence_is_cut_at_commas_and_nothing_is_lost() -> None:
    text = "This is a long sentence, " * 20 + "and it ends here. Short one!"
    chunks = split_sentences(text)
    assert len(chunks) == 4 and all(len(c) <= 200 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_word_timings_follow_the_text_inside_the_clip(tts: EspeakEngine) -> None:
    text = "Hello there. The quick brown fox jumps over the lazy dog!"
    clip = tts.synthesize(text, voice="sage", speed=1.5)
    assert [w.word for w in clip.words] == ["Hello", "there", "The", "quick", "brown", "fox",
                                            "jumps", "over", "the", "lazy", "dog"]
    starts = [w.start for w in clip.words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(w.start < w.end <= clip.duration + 1e-6 for w in clip.words)


def test_concurrent_calls_do_not_mix_audio(tts: EspeakEngine) -> None:
    expected = tts.synthesize(SENTENCE, voice="onyx").duration
    results: list[float] = []

    def speak() -> None:
        results.append(tts.synthesize(SENTENCE, voice="onyx").duration)

    threads = [threading.Thread(target=speak) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == pytest.approx([expected] * 4, abs=0.01)


@pytest.mark.parametrize("fmt", audio.FORMATS)
def test_speech_in_every_format_decodes_to_a_plausible_duration(tts: EspeakEngine, fmt: str) -> None:
    clip = tts.synthesize("Audio formats all need to play back. This is the second sentence.",
                          voice="fable")
    data = audio.encode(clip.samples, sample_rate=clip.sample_rate, fmt=fmt)
    assert 2.0 < clip.duration < 8.0
    assert audio.duration(data, fmt=fmt) == pytest.approx(clip.duration, abs=0.08)
    encoder = audio.StreamEncoder(fmt, sample_rate=clip.sample_rate)
    streamed = b"".join(encoder.write(c.samples) for c in tts.synthesize_stream(
        "Audio formats all need to play back. This is the second sentence.", voice="fable"))
    streamed += encoder.close()
    assert audio.duration(streamed, fmt=fmt) == pytest.approx(clip.duration, abs=0.08)
