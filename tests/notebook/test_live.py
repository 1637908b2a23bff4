"""The live view: waiting indicator, coalesced updates on a fake clock, final display, Ctrl-C."""

from __future__ import annotations

import itertools
import json

import httpx
import pytest

from oainb import Client
from oainb.cost import Ledger, count_tokens
from oainb.notebook import _session, actions
from oainb.notebook.live import LiveView

N_DELTAS = 1000
TICK = 0.001  # one delta per millisecond: far faster than anyone reads


def sse(events: list[dict]) -> bytes:
    out = []
    for seq, event in enumerate(events):
        event = {**event, "sequence_number": seq}
        out.append(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n")
    return "".join(out).encode()


def reply_events(deltas: list[str], *, complete: bool = True) -> list[dict]:
    base = {"id": "resp_live", "object": "response", "status": "in_progress", "model": "gpt-4o-mini", "output": []}
    events = [{"type": "response.created", "response": base},
              {"type": "response.output_item.added", "output_index": 0,
               "item": {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}},
              {"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0, "content_index": 0,
               "part": {"type": "output_text", "text": "", "annotations": []}}]
    events += [{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
                "content_index": 0, "delta": d, "logprobs": []} for d in deltas]
    if complete:
        text = "".join(deltas)
        done = {**base, "status": "completed",
                "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                            "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                "usage": {"input_tokens": 9, "output_tokens": len(deltas), "total_tokens": 9 + len(deltas)}}
        events.append({"type": "response.completed", "response": done})
    return events


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Stands in for IPython's display(): records the first bundle and every update."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.shown: list[dict] = []
        self.updates: list[tuple[float, dict]] = []

    def __call__(self, bundle: dict) -> Recorder:
        self.shown.append(bundle)
        return self

    def update(self, bundle: dict, **kwargs) -> None:
        self.updates.append((self.clock.now, bundle))


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch):
    state = actions.Session(ledger=Ledger())
    monkeypatch.setattr(_session, "_SESSION", state)  # the session every action reads
    return state


def mock_client(handler) -> Client:
    return Client(api_key="sk-test", base_url="http://api.test/v1",
                  http_client=httpx.Client(transport=httpx.MockTransport(handler)), max_retries=0)


def ticking(view: LiveView, clock: FakeClock):
    def on_event(event):
        clock.now += TICK
        view(event)
    return on_event


def test_fast_stream_is_coalesced_to_15_updates_a_second_and_ends_on_the_full_text(fresh_session):
    deltas = [f"w{i} " for i in range(N_DELTAS)]
    client = mock_client(lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=sse(reply_events(deltas))))
    clock = FakeClock()
    screen = Recorder(clock)
    view = LiveView(label="gpt-4o-mini", clock=clock, display=screen)
    view.start()
    assert "waiting for the first token" in screen.shown[0]["text/plain"]

    reply = view.finish(actions.respond("go", client=client, on_event=ticking(view, clock)))

    streamed = [t for t, b in screen.updates[:-1]]
    seconds = clock.now - 100.0  # how long the stream took on the fake clock
    assert seconds == pytest.approx((N_DELTAS + 4) * TICK)
    assert len(streamed) <= 15 * seconds + 1
    assert len(streamed) >= 10  # it does refresh while streaming, not only at the end
    gaps = [b - a for a, b in itertools.pairwise(streamed)]
    assert min(gaps) >= 1 / 15 - 1e-9
    full = "".join(deltas)
    final = screen.updates[-1][1]
    assert reply.output_text == full
    assert final["text/plain"].split("\n\n— ")[0] == full
    assert f"\n\n{full}\n\n" in final["text/markdown"]
    assert "waiting" not in final["text/plain"]
    assert fresh_session.previous_response_id == "resp_live"


class InterruptedBody(httpx.SyncByteStream):
    """A response body that delivers some events, then gets Ctrl-C; records whether it was closed."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.closed = False

    def __iter__(self):
        yield self.head
        raise KeyboardInterrupt

    def close(self) -> None:
        self.closed = True


def test_ctrl_c_mid_stream_keeps_partial_text_closes_connection_and_records_cost(fresh_session):
    deltas = ["The ", "capital ", "of ", "France "]
    body = InterruptedBody(sse(reply_events(deltas, complete=False)))
    client = mock_client(lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=body))
    clock = FakeClock()
    screen = Recorder(clock)
    view = LiveView(clock=clock, display=screen)
    view.start()

    reply = view.finish(actions.respond("What is the capital of France?", client=client, on_event=view))

    assert body.closed
    assert reply.interrupted and reply.partial
    assert reply.output_text == "The capital of France "
    final = screen.updates[-1][1]
    assert final["text/plain"].startswith("The capital of France  [interrupted]")
    assert "interrupted" in final["text/html"]
    [entry] = fresh_session.ledger.entries
    assert entry.cost.estimated and entry.cost.usd > 0
    assert f"{count_tokens(reply.output_text)} output tokens" in entry.cost.basis
    assert fresh_session.previous_response_id is None  # a partial reply is not continued from


def test_background_shows_status_and_how_to_cancel(fresh_session):
    statuses = iter(["queued", "in_progress", "completed"])

    def handler(request):
        status = next(statuses)
        body = {"id": "resp_bg", "object": "response", "status": status, "model": "gpt-4o-mini", "output": []}
        if status == "completed":
            body["output"] = [{"type": "message", "id": "m", "role": "assistant", "status": "completed",
                               "content": [{"type": "output_text", "text": "done!", "annotations": []}]}]
            body["usage"] = {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
        return httpx.Response(200, json=body)

    clock = FakeClock()
    screen = Recorder(clock)
    view = LiveView(label="gpt-4o-mini", cancel_hint="to cancel: interrupt the kernel", clock=clock, display=screen)

    def sleep(seconds):
        clock.now += seconds

    reply = view.finish(actions.respond("hi", client=mock_client(handler), background=True,
                                        on_event=view, sleep=sleep))
    lines = [screen.shown[0]["text/plain"]] + [b["text/plain"] for _, b in screen.updates[:-1]]
    assert any("queued" in line for line in lines)
    assert any("in progress" in line and "0.5 s" in line for line in lines)
    assert all("to cancel" in line for line in lines)
    assert reply.output_text == "done!" and screen.updates[-1][1]["text/plain"].startswith("done!")


def test_incremental_html_matches_rendering_the_whole_text():
    from oainb.display.html import markdown_to_html

    text = "# T\n\npara *one*\n\n```\ncode\n\nstill <code>\n```\n\n- a\n- b\n\nlast <b>"
    clock = FakeClock()
    view = LiveView(clock=clock, display=Recorder(clock))
    for i in range(1, len(text) + 1):
        assert view._html_body(text[:i]) == markdown_to_html(text[:i]), text[:i]


def test_script_in_streamed_output_is_shown_as_text_in_every_update(fresh_session):
    deltas = ["Look: ", "<script>alert(1)</script>", " <img src=x onerror=alert(2)>", " done"]
    client = mock_client(lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=sse(reply_events(deltas))))
    clock = FakeClock()
    screen = Recorder(clock)
    view = LiveView(clock=clock, display=screen, max_rate=1e9)  # render after every event
    view.start()
    view.finish(actions.respond("go", client=client, on_event=ticking(view, clock)))
    bundles = screen.shown + [b for _, b in screen.updates]
    assert len(bundles) >= len(deltas)
    for bundle in bundles:
        assert "<script" not in bundle["text/html"] and "<img" not in bundle["text/html"]
        if "text/markdown" in bundle:
            assert "\\<script>" in bundle["text/markdown"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bundles[-1]["text/html"]


def test_ctrl_c_while_a_background_reply_runs_cancels_it(fresh_session):
    calls = []

    def handler(request):
        calls.append(request.url.path)
        status = "cancelled" if request.url.path.endswith("/cancel") else "queued"
        return httpx.Response(200, json={"id": "resp_bg", "object": "response", "status": status,
                                         "model": "gpt-4o-mini", "output": []})

    def sleep(seconds):
        raise KeyboardInterrupt

    reply = actions.respond("hi", client=mock_client(handler), background=True, sleep=sleep)
    assert calls[-1] == "/v1/responses/resp_bg/cancel"
    assert reply.status == "cancelled" and reply.interrupted


def test_cancel_event_stops_a_stream_and_keeps_the_partial_reply(fresh_session):
    import threading

    deltas = [f"d{i} " for i in range(50)]
    client = mock_client(lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=sse(reply_events(deltas))))
    stop = threading.Event()
    seen = []

    def on_event(event):
        if event.type == "response.output_text.delta":
            seen.append(event.delta)
            if len(seen) == 3:
                stop.set()  # what a widget's Cancel button does

    reply = actions.respond("go", client=client, on_event=on_event, cancel=stop)
    assert reply.interrupted and reply.output_text == "d0 d1 d2 "
    assert len(fresh_session.ledger.entries) == 1
