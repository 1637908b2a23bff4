"""Playgrounds driven by traits and `.click()` against a scripted API (no server needed)."""

from __future__ import annotations

import asyncio
import datetime
import json

import pytest

from oainb.notebook.widgets import (
    ResponsesPlayground,
    SpeechPlayground,
    TranscriptionPlayground,
    playground,
)

pytestmark = pytest.mark.anyio


def _plain(pg: ResponsesPlayground) -> str:
    return str(pg.output.outputs[0]["data"]["text/plain"])


async def _until(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


async def test_run_streams_the_reply_and_shows_usage_and_cost(fake_api) -> None:  # type: ignore[no-untyped-def]
    pg = ResponsesPlayground(client=fake_api.aclient())
    pg.prompt.value = "Say hello"
    pg.instructions.value = "Be brief."
    pg.temperature.value = 0.3
    pg.top_p.value = 0.9
    pg.max_output_tokens.value = 50
    pg.tools.value = ("web_search",)
    pg.run_button.click()
    # The callback returned at once: the request runs as a task on this loop.
    assert pg.task is not None and not pg.task.done()
    assert pg.run_button.disabled and not pg.cancel_button.disabled
    await pg.task
    assert pg.status == "done"
    assert "Hello world" in _plain(pg)
    assert "<" not in pg.output.outputs[0]["data"]["text/plain"].split("Hello world")[0][-1:]
    assert "5 in / 2 out tokens" in pg.footer.value and "$0 here" in pg.footer.value
    assert not pg.run_button.disabled and pg.cancel_button.disabled
    body = json.loads(fake_api.requests[0].content)
    assert body["input"] == "Say hello" and body["instructions"] == "Be brief."
    assert body["temperature"] == 0.3 and body["top_p"] == 0.9
    assert body["max_output_tokens"] == 50 and body["stream"] is True
    assert body["tools"][0]["type"] == "web_search"


async def test_json_schema_box_is_sent_as_a_text_format(fake_api) -> None:  # type: ignore[no-untyped-def]
    pg = ResponsesPlayground(client=fake_api.aclient())
    pg.prompt.value = "A city"
    pg.schema.value = json.dumps({"type": "object", "properties": {"name": {"type": "string"}}})
    pg.stream.value = False
    pg.run_button.click()
    await pg.task
    body = json.loads(fake_api.requests[0].content)
    assert body["text"]["format"]["type"] == "json_schema"
    assert body["text"]["format"]["schema"]["properties"]["name"] == {"type": "string"}
    assert body.get("stream") in (None, False)


async def test_bad_json_schema_is_reported_and_nothing_is_sent(fake_api) -> None:  # type: ignore[no-untyped-def]
    pg = ResponsesPlayground(client=fake_api.aclient())
    pg.prompt.value = "A city"
    pg.schema.value = "{not json"
    pg.run_button.click()
    assert pg.task is None and pg.status == "failed"
    assert "not valid JSON" in _plain(pg)
    assert fake_api.requests == []


async def test_cancel_while_streaming_keeps_the_partial_text(fake_api) -> None:  # type: ignore[no-untyped-def]
    fake_api.words = [f"w{i} " for i in range(300)]
    fake_api.delay = 0.005
    pg = ResponsesPlayground(client=fake_api.aclient())
    pg.prompt.value = "Count slowly"
    pg.run_button.click()
    await _until(lambda: "w5 " in pg.text, "the first words arrive")
    assert not pg.task.done()  # the request is still running...
    pg.cancel_button.click()  # ...and this loop handles the click meanwhile
    sent_at_click = fake_api.sent
    await pg.task
    assert pg.status == "cancelled"
    assert fake_api.closed == 1  # the connection was closed
    assert fake_api.sent <= sent_at_click + 2 < 300  # the stream stopped early
    shown = _plain(pg)
    assert "w0 w1 w2 w3 w4 w5" in shown and "w299" not in shown
    assert pg.result is not None and pg.result.interrupted
    assert pg.cancel_button.disabled and not pg.run_button.disabled


async def test_cancel_stops_even_a_silent_stream(fake_api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from oainb.notebook.playgrounds import responses

    monkeypatch.setattr(responses, "CANCEL_GRACE", 0.0)
    fake_api.words = ["first ", "second"]
    fake_api.delay = 30.0  # the server says nothing for a long time
    pg = ResponsesPlayground(client=fake_api.aclient())
    pg.prompt.value = "Hello?"
    pg.run_button.click()
    await asyncio.sleep(0.05)
    pg.cancel_button.click()
    await asyncio.wait_for(asyncio.shield(pg.task), timeout=10)
    assert pg.status == "cancelled" and "cancelled" in _plain(pg)
    assert fake_api.sent == 0


async def test_saved_copy_is_written_as_regular_output(fake_api) -> None:  # type: ignore[no-untyped-def]
    from IPython.testing.globalipapp import get_ipython
    from IPython.utils.capture import capture_output

    get_ipython()
    pg = ResponsesPlayground(client=fake_api.aclient())
    pg.prompt.value = "Say hello"
    with capture_output() as captured:
        pg._ipython_display_()
        pg.run_button.click()
        await pg.task
    widget_view, placeholder, update = captured.outputs
    assert "application/vnd.jupyter.widget-view+json" in widget_view.data
    assert update.update and update.transient == placeholder.transient
    assert "Hello world" in update.data["text/plain"] and "Hello world" in update.data["text/html"]


async def test_transcription_controls_become_arguments(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pg = TranscriptionPlayground()
    with pytest.raises(ValueError, match="Upload an audio file"):
        pg.kwargs()
    pg.source.value = str(tmp_path / "talk.wav")
    pg.language.value = "en"
    pg.response_format.value = "verbose_json"
    pg.granularities.value = ("word", "segment")
    pg.logprobs.value = True
    kw = pg.kwargs()
    assert kw["source"].endswith("talk.wav") and kw["language"] == "en"
    assert kw["granularities"] == ["word", "segment"] and kw["logprobs"] is True
    pg.upload.value = ({"name": "a.wav", "type": "audio/wav", "size": 4, "content": memoryview(b"RIFF"),
                        "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert pg.kwargs()["source"] == ("a.wav", b"RIFF")


async def test_a_missing_file_is_shown_as_one_line(tmp_path, fake_api) -> None:  # type: ignore[no-untyped-def]
    pg = TranscriptionPlayground(client=fake_api.aclient())
    pg.source.value = str(tmp_path / "nope.wav")
    pg.run_button.click()
    await pg.task
    assert pg.status == "failed"
    assert "No audio file" in _plain(pg)  # type: ignore[arg-type]
    assert fake_api.requests == []


async def test_speech_controls_become_arguments() -> None:
    pg = SpeechPlayground()
    pg.input.value = "Hi there"
    pg.voice.value = "coral"
    pg.speed.value = 1.5
    pg.response_format.value = "wav"
    pg.instructions.value = "Cheerful"
    kw = pg.kwargs()
    assert kw == {"text": "Hi there", "model": "tts-1", "voice": "coral", "speed": 1.5,
                  "instructions": "Cheerful", "response_format": "wav", "stream": False}


async def test_playground_has_the_three_in_tabs() -> None:
    tabs = playground()
    assert tabs.titles == ("Responses", "Transcription", "Speech")
    assert isinstance(tabs.children[0], ResponsesPlayground)
    assert tabs.speech is tabs.children[2]


def test_run_without_an_event_loop_says_why() -> None:
    pg = SpeechPlayground()
    pg.input.value = "Hi"
    pg.run_button.click()  # a plain script: no loop is running
    assert pg.task is None and pg.status == "failed"
    assert "event loop" in _plain(pg)  # type: ignore[arg-type]


async def test_background_run_polls_on_the_loop_with_only_an_async_client(fake_api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from oainb.notebook import _respond

    monkeypatch.setattr(_respond, "POLL_INTERVAL", 0.01)
    fake_api.background = True
    pg = ResponsesPlayground(client=fake_api.aclient())  # no sync client anywhere
    pg.prompt.value = "Say hello"
    pg.background.value = True
    pg.run_button.click()
    assert pg.task is not None and not pg.task.done()  # the callback returned at once
    await asyncio.wait_for(asyncio.shield(pg.task), 10)
    assert pg.status == "done" and pg.job.status == "completed" and pg.job.done
    assert pg.job.response_id == pg.result.id == "resp_test"
    assert "Hello world" in _plain(pg)
    assert json.loads(fake_api.requests[0].content)["background"] is True


async def test_background_cancel_button_of_the_job_cancels_on_the_server(fake_api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from oainb.notebook import _respond

    monkeypatch.setattr(_respond, "POLL_INTERVAL", 0.01)
    fake_api.polls = -10_000  # stays in progress until cancelled
    pg = ResponsesPlayground(client=fake_api.aclient())
    pg.prompt.value = "A long essay"
    pg.background.value = True
    pg.run_button.click()
    await _until(lambda: pg.job is not None and pg.job.response_id, "the job has an id")
    pg.job.cancel_button.click()
    await asyncio.wait_for(asyncio.shield(pg.task), 10)
    assert fake_api.requests[-1].url.path.endswith("/resp_test/cancel")
    assert pg.status == "cancelled" and pg.job.status == "cancelled"


def _wav(seconds: float = 0.5) -> bytes:
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))
    return buffer.getvalue()


def _audio_client(requests: list) -> object:  # type: ignore[type-arg]
    import httpx

    from oainb import AsyncClient

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if "transcriptions" in request.url.path:
            body = ('data: {"type": "transcript.text.delta", "delta": "hel"}\n\n'
                    'data: {"type": "transcript.text.delta", "delta": "lo"}\n\n'
                    'data: {"type": "transcript.text.done", "text": "hello"}\n\n')
            return httpx.Response(200, headers={"content-type": "text/event-stream"},
                                  content=body.encode())
        return httpx.Response(200, content=b"RIFF" + b"\0" * 8000, headers={"content-type": "audio/wav"})

    return AsyncClient(api_key="sk-test", base_url="http://127.0.0.1:9/v1", max_retries=0,
                       http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_transcription_playground_streams_when_stream_is_ticked() -> None:
    requests: list = []  # type: ignore[type-arg]
    pg = TranscriptionPlayground(client=_audio_client(requests))
    pg.upload.value = ({"name": "a.wav", "type": "audio/wav", "size": 1, "content": memoryview(_wav()),
                        "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
    pg.model.value = "gpt-4o-mini-transcribe"
    pg.response_format.value = "json"
    pg.granularities.value = ()
    pg.stream.value = True
    pg.run_button.click()
    await pg.task
    assert pg.status == "done", pg.error
    assert pg.text == "hello" and pg.result.text == "hello"  # the deltas reached the live view
    assert b'name="stream"\r\n\r\ntrue' in requests[0].content
    assert "ran without" not in pg.footer.value


async def test_speech_playground_streams_when_stream_is_ticked() -> None:
    requests: list = []  # type: ignore[type-arg]
    pg = SpeechPlayground(client=_audio_client(requests))
    pg.input.value = "Hello there"
    pg.response_format.value = "wav"
    pg.stream.value = True
    pg.run_button.click()
    await pg.task
    assert pg.status == "done", pg.error
    assert "receiving audio" in pg._view.status_line()  # the chunks reached the live view
    assert pg.result.audio.startswith(b"RIFF")
    assert "ran without" not in pg.footer.value
