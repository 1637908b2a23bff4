"""Playgrounds and the background job against the real local server (small bundled models)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oainb import AsyncClient, Client
from oainb.notebook.job import BackgroundJob
from oainb.notebook.widgets import ResponsesPlayground, SpeechPlayground, TranscriptionPlayground

pytestmark = [pytest.mark.server, pytest.mark.anyio]


@pytest.fixture
async def aclient(local_server: Any) -> Any:
    async with AsyncClient(base_url=local_server.base_url, api_key=local_server.api_key) as c:
        yield c


@pytest.fixture
def client(local_server: Any) -> Iterator[Client]:
    with Client(base_url=local_server.base_url, api_key=local_server.api_key) as c:
        yield c


def _data(pg: Any) -> dict[str, str]:
    return dict(pg.output.outputs[0]["data"])


async def _until(predicate: Any, what: str, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


async def test_responses_playground_streams_a_reply(aclient: AsyncClient) -> None:
    pg = ResponsesPlayground(client=aclient)
    pg.prompt.value = "What is the capital of France?"
    pg.max_output_tokens.value = 24
    pg.temperature.value = 0.0
    pg.run_button.click()
    await asyncio.wait_for(asyncio.shield(pg.task), 120)
    assert pg.status == "done", pg.error
    assert pg.result.status in ("completed", "incomplete")
    assert pg.result.output_text and pg.result.output_text in _data(pg)["text/plain"]
    assert "out tokens" in pg.footer.value and "$0 here" in pg.footer.value


async def test_cancel_stops_a_long_stream_and_keeps_the_partial_text(aclient: AsyncClient) -> None:
    pg = ResponsesPlayground(client=aclient)
    pg.prompt.value = "Write a very long story about a dragon who learns to paint. Go on and on."
    pg.max_output_tokens.value = 1500
    pg.run_button.click()
    await _until(lambda: len(pg.text) > 40, "some text streamed")
    assert not pg.task.done()  # the request is running while this loop handles the click
    pg.cancel_button.click()
    partial_at_click = pg.text
    await asyncio.wait_for(asyncio.shield(pg.task), 60)
    assert pg.status == "cancelled"
    assert pg.result is not None and pg.result.interrupted
    kept = pg.result.output_text
    assert kept.startswith(partial_at_click)
    assert len(kept) < len(partial_at_click) + 200  # stopped within an event or two, not at 1500 tokens
    assert partial_at_click[:40] in _data(pg)["text/plain"]
    before = pg.text
    await asyncio.sleep(0.3)
    assert pg.text == before  # nothing arrives any more: the connection is closed


async def test_background_run_shows_the_job_until_done(aclient: AsyncClient, client: Client) -> None:
    pg = ResponsesPlayground(client=aclient, sync_client=client)
    pg.prompt.value = "Say hi."
    pg.max_output_tokens.value = 16
    pg.background.value = True
    pg.run_button.click()
    await _until(lambda: pg.job is not None, "the job widget appears")
    await asyncio.wait_for(asyncio.shield(pg.task), 120)
    assert pg.status == "done", pg.error
    assert pg.job.response_id == pg.result.id
    assert pg.job.status == pg.result.status and pg.job.done  # completed, or incomplete at the cap
    assert pg.result.output_text in _data(pg)["text/plain"]


async def test_background_cancel_calls_the_cancel_endpoint(aclient: AsyncClient, client: Client) -> None:
    pg = ResponsesPlayground(client=aclient, sync_client=client)
    pg.prompt.value = "Write a very long essay about rivers."
    pg.max_output_tokens.value = 2000
    pg.background.value = True
    pg.run_button.click()
    await _until(lambda: pg.job is not None and pg.job.response_id, "the job has an id")
    pg.job.cancel_button.click()
    await asyncio.wait_for(asyncio.shield(pg.task), 120)
    assert client.responses.retrieve(pg.job.response_id).status == "cancelled"
    assert pg.job.status == "cancelled" and pg.status == "cancelled"


async def test_speech_playground_shows_a_player_and_cost(aclient: AsyncClient) -> None:
    pg = SpeechPlayground(client=aclient)
    pg.input.value = "Hello from the speech playground."
    pg.voice.value = "coral"
    pg.response_format.value = "wav"
    pg.speed.value = 1.25
    pg.run_button.click()
    await asyncio.wait_for(asyncio.shield(pg.task), 120)
    assert pg.status == "done", pg.error
    assert pg.result.audio[:4] == b"RIFF" and pg.result.voice in (None, "coral")
    assert "<audio" in _data(pg)["text/html"]
    assert "$0 here" in pg.footer.value


async def test_transcription_playground_shows_the_transcript_view(
    aclient: AsyncClient, client: Client, tmp_path: Any
) -> None:
    clip = client.audio.speech.create(model="tts-1", voice="alloy", response_format="wav",
                                      input="The quick brown fox jumps over the lazy dog.")
    path = tmp_path / "fox.wav"
    path.write_bytes(clip.audio)
    pg = TranscriptionPlayground(client=aclient)
    pg.source.value = str(path)
    pg.response_format.value = "verbose_json"
    pg.granularities.value = ("word",)
    pg.run_button.click()
    await asyncio.wait_for(asyncio.shield(pg.task), 180)
    assert pg.status == "done", pg.error
    assert "fox" in pg.result.text.lower() and pg.result.words
    page = _data(pg)["text/html"]
    assert "fox" in page.lower() and "<audio" in page
    assert "s of audio" in pg.footer.value or "tokens" in pg.footer.value


class _DropOnce(httpx.BaseTransport):
    """A real transport whose first streamed body breaks off after `keep` chunks."""

    def __init__(self, keep: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.keep = keep
        self.dropped = False
        self.urls: list[httpx.URL] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        response = self.inner.handle_request(request)
        if self.dropped or "stream" not in request.url.params:
            return response
        self.dropped = True
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_Cut(response.stream, self.keep), request=request)


class _Cut(httpx.SyncByteStream):
    def __init__(self, inner: Any, keep: int) -> None:
        self.inner, self.keep = inner, keep

    def __iter__(self) -> Iterator[bytes]:
        for n, chunk in enumerate(self.inner):
            if n >= self.keep:
                raise httpx.ReadError("connection reset (test)")
            yield chunk

    def close(self) -> None:
        self.inner.close()


def test_job_reattaches_to_the_server_with_starting_after(local_server: Any, client: Client) -> None:
    created = client.responses.create(model="gpt-4o-mini", input="Count from one to twenty.",
                                      background=True, max_output_tokens=80)
    transport = _DropOnce(keep=4)
    flaky = Client(base_url=local_server.base_url, api_key=local_server.api_key,
                   http_client=httpx.Client(transport=transport))
    job = BackgroundJob(created.id, client=flaky)
    reply = job.wait()
    streams = [u for u in transport.urls if "stream" in u.params]
    assert transport.dropped and len(streams) >= 2
    assert "starting_after" in streams[1].params
    assert reply.status in ("completed", "incomplete")
    assert job.text == reply.output_text  # the text was stitched without gaps or repeats
    flaky.close()
