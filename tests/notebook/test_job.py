"""BackgroundJob: status, elapsed time, Cancel, reattaching with starting_after."""

from __future__ import annotations

import asyncio

import pytest

from oainb._exceptions import OainbError
from oainb.notebook.actions import PollEvent
from oainb.notebook.job import MAX_RECONNECTS, BackgroundJob
from oainb.results import Reply


def _stream_queries(api) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [dict(r.url.params) for r in api.requests if "stream" in r.url.params]


def test_wait_reattaches_with_starting_after_when_the_connection_drops(fake_api) -> None:  # type: ignore[no-untyped-def]
    fake_api.background = True
    fake_api.words = ["one ", "two ", "three ", "four"]
    fake_api.drop_after = 5  # queued, item, part, "one ", "two " ... then the line dies
    job = BackgroundJob("resp_test", client=fake_api.client())
    reply = job.wait()
    queries = _stream_queries(fake_api)
    assert len(queries) == 2
    assert "starting_after" not in queries[0]
    assert queries[1]["starting_after"] == "4"  # the last event seen before the drop
    assert job.text == "one two three four"  # nothing lost, nothing repeated
    assert reply.status == "completed" and reply.output_text == "one two three four"
    assert job.status == "completed" and job.cancel_button.disabled
    assert "one two three four" in job.final.outputs[0]["data"]["text/plain"]


@pytest.mark.anyio
async def test_follow_runs_as_a_task_and_reattaches(fake_api) -> None:  # type: ignore[no-untyped-def]
    fake_api.background = True
    fake_api.drop_after = 4
    job = BackgroundJob("resp_test", aclient=fake_api.aclient())
    task = job.follow()
    assert not task.done()  # returned at once
    reply = await job
    assert reply.output_text == "Hello world" and job.text == "Hello world"
    assert _stream_queries(fake_api)[1]["starting_after"] == "3"


def test_gives_up_after_repeated_drops_without_progress(fake_api) -> None:  # type: ignore[no-untyped-def]
    fake_api.background = True
    fake_api.drop_always = True
    job = BackgroundJob("resp_test", client=fake_api.client())
    with pytest.raises(OainbError):
        job.wait()
    assert len(_stream_queries(fake_api)) == MAX_RECONNECTS + 1
    assert "connection" in job.status_label.value.lower()


def test_cancel_button_calls_the_cancel_endpoint(fake_api) -> None:  # type: ignore[no-untyped-def]
    job = BackgroundJob("resp_test", client=fake_api.client())
    job.cancel_button.click()  # no running loop here: a short sync request
    assert [(r.method, r.url.path) for r in fake_api.requests] == [("POST", "/v1/responses/resp_test/cancel")]
    assert job.status == "cancelled" and job.done and job.cancel_button.disabled


@pytest.mark.anyio
async def test_cancel_click_on_the_loop_returns_at_once(fake_api) -> None:  # type: ignore[no-untyped-def]
    job = BackgroundJob("resp_test", aclient=fake_api.aclient())
    job.cancel_button.click()
    assert fake_api.requests == []  # not sent yet: the click only scheduled it
    await job._cancel_task
    assert fake_api.requests[0].url.path.endswith("/resp_test/cancel")
    assert job.status == "cancelled"


def test_cancel_click_while_a_library_call_polls_sets_its_event() -> None:
    import threading

    stop = threading.Event()
    job = BackgroundJob(cancel_event=stop)
    job.cancel_button.click()
    assert stop.is_set()


def test_displaying_twice_shows_the_same_job() -> None:
    job = BackgroundJob("resp_same")
    first = job._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]["model_id"]
    second = job._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert first == second == job.model_id
    assert BackgroundJob.for_id("resp_same") is job
    assert BackgroundJob.for_id("resp_other") is not job


def test_status_and_elapsed_follow_poll_events_on_a_fake_clock() -> None:
    now = [100.0]
    job = BackgroundJob(clock=lambda: now[0])
    assert "queued" in job.status_label.value and "0 s" in job.status_label.value
    now[0] = 112.0
    job(PollEvent(status="in_progress", reply=Reply(id="resp_poll", status="in_progress")))
    assert job.response_id == "resp_poll" and BackgroundJob.for_id("resp_poll") is job
    assert "in progress" in job.status_label.value and "12 s" in job.status_label.value
    done = Reply(id="resp_poll", status="completed", model="gpt-4o-mini")
    assert job.finish(done) is done
    now[0] = 200.0
    assert job.elapsed == 12.0  # frozen when the job ended
    assert job.status == "completed" and job.final.outputs


@pytest.mark.anyio
async def test_the_kernel_loop_stays_free_while_following(fake_api) -> None:  # type: ignore[no-untyped-def]
    fake_api.background = True
    fake_api.delay = 0.01
    job = BackgroundJob("resp_test", aclient=fake_api.aclient())
    job.follow()
    ticks = 0
    while not job.done:
        ticks += 1
        await asyncio.sleep(0.001)
    assert ticks > 1 and job.reply.output_text == "Hello world"


def test_the_job_is_a_view_for_a_polled_background_respond(fake_api) -> None:  # type: ignore[no-untyped-def]
    """What `%respond --background` can show: `run_live(respond, ..., view=BackgroundJob())`."""
    from IPython.utils.capture import capture_output

    from oainb.notebook import actions
    from oainb.notebook.live import run_live

    job = BackgroundJob()
    with capture_output():
        reply = run_live(actions.respond, "Say hello", view=job, background=True, stream=False,
                         client=fake_api.client(), sleep=lambda _s: None)
    assert job.response_id == "resp_test" and BackgroundJob.for_id("resp_test") is job
    assert reply.status == "completed" and job.status == "completed" and job.done
    assert "Hello world" in job.final.outputs[0]["data"]["text/plain"]
    assert fake_api.polls == 3


def test_a_job_followed_by_a_magic_says_to_interrupt_and_shows_its_status_as_text(fake_api) -> None:  # type: ignore[no-untyped-def]
    """`%respond --background`: the kernel is held, so the hint says Ctrl-C, not Cancel."""
    job = BackgroundJob(interrupt_to_cancel=True, client=fake_api.client())
    assert job.cancel_button.disabled and "interrupt the kernel" in job.hint.value
    plain = job._repr_mimebundle_()["text/plain"]
    assert plain.startswith("BackgroundJob: queued · 0 s") and "interrupt the kernel" in plain
    job.finish(Reply(id="resp_test", status="completed"))
    job._on_cancel_click()  # a click queued while the cell ran arrives after the job ended
    assert fake_api.requests == [] and job.status == "completed"
    assert "interrupt" not in job._repr_mimebundle_()["text/plain"]
