"""The batch helpers against the real local server: the library functions, in order, priced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oainb import AsyncClient, Client, batch
from oainb._exceptions import InputError
from oainb.notebook.widgets import BatchProgress

pytestmark = pytest.mark.server


@pytest.fixture
def client(local_server: Any) -> Iterator[Client]:
    with Client(base_url=local_server.base_url, api_key=local_server.api_key) as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_transcribe_eight_files_two_missing(client: Client, tmp_path: Path) -> None:
    paths: list[str] = []
    for n in range(1, 7):  # clip n says n words, so each is longer than the one before
        clip = client.audio.speech.create(model="tts-1", voice="alloy", response_format="wav",
                                          input=" ".join(["apple", "river", "garden"] * 2)[: 7 * n])
        path = tmp_path / f"clip{n}.wav"
        path.write_bytes(clip.audio)
        paths.append(str(path))
    paths.insert(2, str(tmp_path / "missing-1.wav"))
    paths.insert(6, str(tmp_path / "missing-2.wav"))
    progress = BatchProgress(show=False)
    done = batch.transcribe(paths, client=client, concurrency=3, progress=progress,
                            response_format="verbose_json")
    assert len(done.results) == 6 and [e.index for e in done.errors] == [2, 6]
    assert all(isinstance(e.error, InputError) for e in done.errors)
    durations = [t.duration for t in done.results]
    assert durations == sorted(durations) and len(set(durations)) == 6  # in input order
    assert progress.bar.value == 8 and progress.bar.max == 8
    assert done.cost > 0 and done.local and "$0 here" in progress.label.value


def test_speak_in_order_with_a_text_progress_line(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["one", "two", "three", "four"]
    done = batch.speak(texts, client=client, concurrency=2, response_format="wav")
    assert [clip.input for clip in done.results] == texts or len(done.results) == 4
    assert all(clip.audio[:4] == b"RIFF" for clip in done.results)
    assert "speak: 4/4 done" in capsys.readouterr().err


@pytest.mark.anyio
async def test_arespond_with_an_rpm_limit(local_server: Any) -> None:
    async with AsyncClient(base_url=local_server.base_url, api_key=local_server.api_key) as aclient:
        done = await batch.arespond(["Say A.", "Say B.", "Say C."], client=aclient, rpm=600,
                                    max_output_tokens=16, progress=False)
    assert len(done.results) == 3 and not done.errors
    assert all(r.output_text for r in done.results)
    assert done.cost > 0


def test_respond_sync_keeps_prompt_order(client: Client) -> None:
    prompts = ["Say the word alpha.", "Say the word beta.", "Say the word gamma."]
    done = batch.respond(prompts, client=client, concurrency=3, max_output_tokens=16,
                         progress=False)
    assert len(done.results) == 3 and not done.errors
    assert [item.input for item in done.items] == prompts
    assert all(r.status in ("completed", "incomplete") and r.output_text for r in done.results)
    text = done._repr_mimebundle_()["text/plain"]
    assert text.startswith("respond: 3/3 done, cost $0 here, about $")
