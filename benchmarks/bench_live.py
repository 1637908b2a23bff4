"""Per-event CPU cost of oainb's live view against the official `openai` SDK iterating the same stream.

Both sides read one recorded Responses stream (N text deltas, in the event shapes and order the
API sends, with the `obfuscation` padding OpenAI adds) through an `httpx.MockTransport`, so no
network is involved and both pay for HTTP, SSE decoding and JSON parsing:

* baseline: `openai.OpenAI().responses.create(stream=True)`, merely iterated;
* oainb: `oainb.notebook.actions.respond(..., on_event=LiveView(...))`: our client, our SSE
  state, the live view with its coalesced re-rendering (Markdown → escaped HTML), the final
  rendering, cost estimate, reconciliation and ledger.

The live view refreshes at most 15 times per second of wall time, so how often it renders
depends on how fast tokens arrive. The headline run replays the stream at 60 tokens/s on a fake
clock (a fast model); the burst run replays it as fast as the CPU parses (fewest renders).
The display itself is a null handle: what the browser does with an update is not our CPU.

Run: `.venv/bin/python benchmarks/bench_live.py [--events 4000] [--write]`
(`--write` replaces this benchmark's section of BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
import time
from typing import Any

import httpx

SECTION = "## Live view vs openai SDK (benchmarks/bench_live.py)"


def recorded_stream(n: int) -> bytes:
    """A Responses SSE body with `n` word deltas, shaped like the API's (with obfuscation)."""
    base = {"id": "resp_bench", "object": "response", "created_at": 1700000000, "status": "in_progress",
            "model": "gpt-4o-mini", "output": [], "usage": None, "error": None, "incomplete_details": None,
            "instructions": None, "metadata": {}, "temperature": 1.0, "top_p": 1.0, "tools": [],
            "tool_choice": "auto", "parallel_tool_calls": True}
    # Prose: a bold word now and then, a paragraph break every 80 tokens, as answers have.
    words = [f"word{i % 97} " if i % 11 else "**bold** " for i in range(n)]
    for i in range(79, n, 80):
        words[i] = words[i].rstrip() + "\n\n"
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": base},
        {"type": "response.in_progress", "response": base},
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []}},
    ]
    events += [{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0,
                "delta": w, "logprobs": [], "obfuscation": "x9Qz"} for w in words]
    text = "".join(words)
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    item = {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [part]}
    events += [
        {"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "text": text, "logprobs": []},
        {"type": "response.content_part.done", "item_id": "msg_1", "output_index": 0, "content_index": 0, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {**base, "status": "completed", "output": [item],
         "usage": {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0},
                   "output_tokens": n, "output_tokens_details": {"reasoning_tokens": 0},
                   "total_tokens": 12 + n}}},
    ]
    return "".join(
        f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': i})}\n\n" for i, e in enumerate(events)
    ).encode()


def transport(body: bytes) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return httpx.MockTransport(handler)


def run_sdk(body: bytes) -> float:
    import openai

    client = openai.OpenAI(api_key="sk-bench", base_url="http://bench.test/v1",
                           http_client=httpx.Client(transport=transport(body)), max_retries=0)
    start = time.process_time()
    for _ in client.responses.create(model="gpt-4o-mini", input="Write a long story.", stream=True):
        pass
    return time.process_time() - start


class NullHandle:
    """Takes the live view's updates and drops them (what the browser does is not our CPU)."""

    def __init__(self) -> None:
        self.updates = 0

    def __call__(self, bundle: dict[str, str]) -> NullHandle:
        return self

    def update(self, bundle: dict[str, str], **kwargs: Any) -> None:
        self.updates += 1


class PacedClock:
    """A fake clock that moves `1/rate` s per event: tokens arriving at `rate` per second."""

    def __init__(self, rate: float | None) -> None:
        self.step = 0.0 if rate is None else 1.0 / rate
        self.now = 0.0

    def __call__(self) -> float:
        return self.now if self.step else time.monotonic()


def run_oainb(body: bytes, rate: float | None) -> tuple[float, int]:
    from oainb import Client
    from oainb.cost import Ledger
    from oainb.notebook import _session, actions
    from oainb.notebook.live import LiveView

    # A fresh session (and ledger) per run, where every action reads it.
    _session._SESSION = _session.Session(ledger=Ledger())
    client = Client(api_key="sk-bench", base_url="http://bench.test/v1",
                    http_client=httpx.Client(transport=transport(body)), max_retries=0)
    clock = PacedClock(rate)
    screen = NullHandle()
    view = LiveView(label="gpt-4o-mini", clock=clock, display=screen)

    def on_event(event: Any) -> None:
        clock.now += clock.step
        view(event)

    start = time.process_time()
    view.start()
    reply = actions.respond("Write a long story.", client=client, on_event=on_event)
    view.finish(reply)
    elapsed = time.process_time() - start
    assert reply.usage is not None and len(reply.output_text.split()) == reply.usage.output_tokens
    return elapsed, screen.updates


def best(fn: Any, repeats: int) -> Any:
    return min((fn() for _ in range(repeats)), key=lambda r: r[0] if isinstance(r, tuple) else r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5, help="best of this many runs per side")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    body = recorded_stream(args.events)
    n = body.count(b"\n\n")
    run_oainb(body, None)  # warm imports and the tokenizer on both sides before timing
    run_sdk(body)
    sdk = best(lambda: run_sdk(body), args.repeats)
    paced, paced_updates = best(lambda: run_oainb(body, 60.0), args.repeats)
    burst, burst_updates = best(lambda: run_oainb(body, None), args.repeats)
    rows = [
        ("openai SDK, bare iteration", sdk, "-"),
        ("oainb live view, 60 tokens/s", paced, str(paced_updates)),
        ("oainb live view, burst replay", burst, str(burst_updates)),
    ]
    lines = [
        SECTION, "",
        (f"Command: `.venv/bin/python benchmarks/bench_live.py --events {args.events} --write` "
         f"(one run, best of {args.repeats} per row; {n} SSE events; CPU time via `time.process_time`; "
         f"Python {platform.python_version()}, {platform.machine()}, shared 2-core machine)."), "",
        "| reader | CPU per event | display updates | ratio to SDK |", "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {1e6 * t / n:.1f} µs | {u} | {t / sdk:.2f}x |" for name, t, u in rows]
    verdict = "meets" if paced / sdk <= 1.5 else "misses"
    lines += ["", (f"Target: live view ≤ 1.5x the SDK's bare parse. Headline (60 tokens/s): "
                   f"**{paced / sdk:.2f}x**, which {verdict} it."), ""]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section(pathlib.Path(__file__).resolve().parents[1] / "BENCHMARKS.md", report)


def write_section(path: pathlib.Path, report: str) -> None:
    """Replace (or append) this benchmark's section, leaving other sections alone."""
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n\n"
    if SECTION in text:
        head, _, tail = text.partition(SECTION)
        nxt = tail.find("\n## ")
        text = head + report + ("" if nxt < 0 else tail[nxt + 1:])
    else:
        text = text.rstrip("\n") + "\n\n" + report
    path.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
