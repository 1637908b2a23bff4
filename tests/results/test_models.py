from __future__ import annotations

import base64
import io
import wave

import pytest

from oainb import (
    Reply,
    ReplyEvent,
    SpeechClip,
    SpeechEvent,
    Transcript,
    TranscriptEvent,
    TranscriptWord,
    Usage,
)
from oainb.results import FunctionCall, OutputItem, OutputMessage
from tests.core._harness import reply_body
from tests.openapi_schema import errors


def test_reply_parses_the_spec_shape_and_keeps_unknown_fields():
    body = reply_body("Hi", brand_new_field={"x": 1})
    body["output"].append(
        {
            "type": "mcp_call",
            "id": "mcp_1",
            "server_label": "s",
            "name": "n",
            "arguments": "{}",
            "status": "completed",
        }
    )
    body["output"].append(
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "c1",
            "name": "f",
            "arguments": "{}",
            "status": "completed",
        }
    )
    reply = Reply.model_validate(body)
    assert reply.brand_new_field == {"x": 1}
    assert isinstance(reply.output[0], OutputMessage) and isinstance(reply.output[2], FunctionCall)
    assert type(reply.output[1]) is OutputItem and reply.output[1].server_label == "s"
    wire = reply.to_wire()
    assert wire["output"][1]["server_label"] == "s" and wire["brand_new_field"] == {"x": 1}


def test_output_text_concatenates_every_text_part_of_every_message():
    body = reply_body("A")
    body["output"].append({"type": "reasoning", "id": "rs_1", "summary": []})
    body["output"].append(
        {
            "type": "message",
            "id": "msg_2",
            "status": "completed",
            "role": "assistant",
            "content": [
                {"type": "output_text", "text": "B", "annotations": []},
                {"type": "refusal", "refusal": "no"},
                {"type": "output_text", "text": "C", "annotations": []},
            ],
        }
    )
    assert Reply.model_validate(body).output_text == "ABC"


def test_reply_wire_dump_matches_the_spec_with_required_nulls():
    reply = Reply.model_validate(reply_body("Hi"))
    reply = reply.model_copy(update={"partial": True, "interrupted": True})
    wire = reply.to_wire()
    assert errors("Response", wire) == []
    assert wire["error"] is None and wire["incomplete_details"] is None
    assert "partial" not in wire and "interrupted" not in wire


def test_usage_reads_both_names_and_fills_the_details():
    usage = Usage.model_validate({"prompt_tokens": 7, "completion_tokens": 3})
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (7, 3, 10)
    wire = Reply(id="r", model="m", status="completed", created_at=1, usage=usage).to_wire()
    assert errors("Response", wire) == []
    assert wire["usage"]["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert "prompt_tokens" not in wire["usage"]
    detailed = Usage.model_validate(
        {
            "input_tokens": 10,
            "output_tokens": 5,
            "total_tokens": 15,
            "input_tokens_details": {"cached_tokens": 4},
            "output_tokens_details": {"reasoning_tokens": 2},
        }
    )
    assert (detailed.cached_tokens, detailed.reasoning_tokens) == (4, 2)
    assert Usage.model_validate({"type": "duration", "seconds": 3}).to_wire() == {
        "type": "duration",
        "seconds": 3.0,
    }


def test_events_keep_unknown_fields_and_carry_the_reply():
    event = ReplyEvent.model_validate(
        {
            "type": "response.completed",
            "sequence_number": 9,
            "response": reply_body("Done"),
            "new": True,
        }
    )
    assert event.response is not None and event.response.output_text == "Done"
    assert event.is_terminal and event.new is True
    assert errors("ResponseCompletedEvent", event.to_wire()) == []
    unknown = ReplyEvent.model_validate(
        {"type": "response.future_thing", "sequence_number": 1, "blob": [1]}
    )
    assert unknown.blob == [1] and not unknown.is_terminal
    assert (
        ReplyEvent.model_validate(
            {"type": "error", "error": {"message": "m", "code": "c"}}
        ).error_fields()["code"]
        == "c"
    )


def test_event_wire_shapes_match_the_spec():
    delta = ReplyEvent.model_validate(
        {
            "type": "response.output_text.delta",
            "sequence_number": 1,
            "item_id": "m",
            "output_index": 0,
            "content_index": 0,
            "delta": "x",
            "logprobs": [],
        }
    )
    assert errors("ResponseTextDeltaEvent", delta.to_wire()) == []
    done = TranscriptEvent.model_validate(
        {
            "type": "transcript.text.done",
            "text": "hi",
            "usage": {"type": "tokens", "input_tokens": 1, "output_tokens": 2},
        }
    )
    assert errors("TranscriptTextDoneEvent", done.to_wire()) == []
    speech = SpeechEvent.model_validate(
        {"type": "speech.audio.done", "usage": {"input_tokens": 1, "output_tokens": 2}}
    )
    assert errors("SpeechAudioDoneEvent", speech.to_wire()) == []
    chunk = SpeechEvent(type="speech.audio.delta", audio=base64.b64encode(b"ab").decode())
    assert errors("SpeechAudioDeltaEvent", chunk.to_wire()) == [] and chunk.chunk == b"ab"


TRANSCRIPT = {
    "task": "transcribe",
    "language": "english",
    "duration": 3.0,
    "text": "one two three",
    "words": [
        {"word": "one", "start": 0.0, "end": 0.8},
        {"word": "two", "start": 1.0, "end": 1.6},
        {"word": "three", "start": 2.0, "end": 2.9},
    ],
    "segments": [
        {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": 1.6,
            "text": " one two",
            "tokens": [1],
            "temperature": 0.0,
            "avg_logprob": -0.1,
            "compression_ratio": 1.0,
            "no_speech_prob": 0.0,
        },
        {
            "id": 1,
            "seek": 0,
            "start": 2.0,
            "end": 3661.5,
            "text": " three",
            "tokens": [2],
            "temperature": 0.0,
            "avg_logprob": -0.1,
            "compression_ratio": 1.0,
            "no_speech_prob": 0.0,
        },
    ],
}


def test_transcript_srt_and_vtt_from_segments():
    t = Transcript.model_validate(TRANSCRIPT)
    assert t.srt() == (
        "1\n00:00:00,000 --> 00:00:01,600\none two\n\n2\n00:00:02,000 --> 01:01:01,500\nthree\n\n"
    )
    assert t.vtt() == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.600\none two\n\n"
        "00:00:02.000 --> 01:01:01.500\nthree\n\n"
    )


def test_transcript_srt_from_words_when_there_are_no_segments():
    words = [TranscriptWord(word=f"w{i}", start=i, end=i + 0.5) for i in range(10)]
    srt = Transcript(text="x", words=words).srt()
    assert srt.count("-->") == 2 and "00:00:07,500" in srt and "w8 w9" in srt


def test_subtitles_round_trip():
    t = Transcript.model_validate(TRANSCRIPT)
    back = Transcript.from_subtitles(t.vtt())
    assert back.srt() == t.srt() and back.text == "one two three"


def test_transcript_bodies_match_the_spec():
    t = Transcript.model_validate({**TRANSCRIPT, "usage": {"type": "duration", "seconds": 3}})
    assert errors("CreateTranscriptionResponseVerboseJson", t.to_body("verbose_json")) == []
    assert errors("CreateTranscriptionResponseJson", t.to_body("json")) == []
    assert t.to_body("text") == "one two three" and t.to_body("srt") == t.srt()


def test_transcript_repr_and_source_audio_hidden():
    t = Transcript.model_validate(TRANSCRIPT).model_copy(
        update={"model": "whisper-1", "source_audio": b"\0" * 99}
    )
    assert repr(t) == "<Transcript 3 words 3.0s whisper-1>"
    assert "source_audio" not in t.to_wire()


def _wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\0\0" * int(8000 * seconds))
    return buffer.getvalue()


def test_speech_clip_duration_save_and_repr(tmp_path):
    clip = SpeechClip(
        audio=_wav(0.5), format="wav", voice="alloy", model="tts-1", input="Hello there"
    )
    assert clip.duration == pytest.approx(0.5)
    assert clip.save(tmp_path / "a.wav") == str(tmp_path / "a.wav")
    assert (tmp_path / "a.wav").read_bytes() == clip.audio
    assert repr(clip).startswith("<SpeechClip wav ") and "alloy tts-1 'Hello there'" in repr(clip)
    assert SpeechClip(audio=b"x", format="mp3").duration is None


@pytest.mark.parametrize("placeholder", [0xFFFFFFFF, 0x7FFFFFFF, 0])
def test_a_streamed_wav_with_unknown_sizes_measures_its_bytes(placeholder):
    streamed = bytearray(_wav(0.5))  # a streamed WAV's header cannot know the sizes yet
    streamed[4:8] = streamed[40:44] = placeholder.to_bytes(4, "little")
    clip = SpeechClip(audio=bytes(streamed), format="wav")
    assert clip.duration == pytest.approx(0.5) and "0.5s" in repr(clip)
    assert SpeechClip(audio=bytes(streamed[:-800]), format="wav").duration == pytest.approx(0.45)


@pytest.mark.parametrize(
    "obj",
    [
        Reply.model_validate(reply_body("line one\nline two " * 20)),
        Transcript.model_validate(TRANSCRIPT),
        SpeechClip(audio=b"\0" * 10, format="pcm", input="a\nb"),
        ReplyEvent(type="response.output_text.delta", delta="x\ny"),
        Usage(input_tokens=1, output_tokens=2),
    ],
)
def test_reprs_are_one_line_and_bundles_honour_include_exclude(obj):
    assert "\n" not in repr(obj) and len(repr(obj)) < 160 and str(obj) == repr(obj)
    # A Reply also renders as Markdown (its text is Markdown), without `%load_ext` too.
    kinds = {"text/plain", "text/html"} | ({"text/markdown"} if isinstance(obj, Reply) else set())
    bundle = obj._repr_mimebundle_()
    assert set(bundle) == kinds
    assert set(obj._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert set(obj._repr_mimebundle_(exclude=["text/plain"])) == kinds - {"text/plain"}
    assert set(obj._repr_mimebundle_(include=["text/html"], exclude=["text/html"])) == set()


def test_a_reply_bundle_carries_its_markdown_escaped():
    reply = Reply.model_validate(reply_body("**bold** <script>x</script>"))
    markdown = reply._repr_mimebundle_(include=["text/markdown"])["text/markdown"]
    assert "\n\n**bold**" in markdown and "\\<script>" in markdown  # escaped: shown as text


def test_mimebundle_falls_back_to_escaped_repr_without_renderers(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "oainb.display.text", None)
    monkeypatch.setitem(sys.modules, "oainb.display.html", None)
    reply = Reply.model_validate(reply_body("<script>x</script>"))
    bundle = reply._repr_mimebundle_()
    assert bundle["text/plain"] == repr(reply)
    assert "<script>" not in bundle["text/html"] and "&lt;script&gt;" in bundle["text/html"]


def test_reply_repr_mentions_partial():
    reply = Reply.model_validate(reply_body("Hi")).model_copy(update={"partial": True})
    assert "partial" in repr(reply)


def test_reply_tolerates_nulls_where_the_spec_has_values():
    reply = Reply.model_validate(
        {
            "id": "r",
            "status": "completed",
            "model": None,
            "output": None,
            "tools": None,
            "parallel_tool_calls": None,
            "usage": None,
        }
    )
    assert reply.output == [] and reply.output_text == "" and reply.parallel_tool_calls is True


def test_transcript_plots_delegate_to_the_display_layer():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = Transcript.model_validate(
        {
            **TRANSCRIPT,
            "logprobs": [{"token": "one", "logprob": -0.1}, {"token": " two", "logprob": -2.0}],
        }
    )
    ax = t.plot_words()
    assert {text.get_text().strip() for text in ax.texts} >= {"one", "two", "three"}
    assert t.plot_logprobs() is not None
    plt.close("all")
