"""What the local server costs on top of its engines, measured side by side in one run.

For each job the same request goes to the engine called in this process and to `oainb serve`
(started here, own process, loopback HTTP, bearer token), alternating rounds so that load from
elsewhere on the machine hits both sides alike:

- text: time to first token and decode tokens/s (SmolLM2, temperature 0, same prompt; the server
  is read as an SSE stream of `response.output_text.delta` events);
- transcription: real-time factor (seconds of work per second of audio) on ~30 s of espeak-ng
  speech sent as mp3 (the direct side decodes the same mp3 bytes);
- speech: real-time factor of synthesizing and encoding mp3 (the server's whole request).

    .venv/bin/python benchmarks/bench_server.py               # print the table
    .venv/bin/python benchmarks/bench_server.py --write       # also update BENCHMARKS.md

Targets: the server costs under 5 % of decode throughput and under 20 ms of first-token latency.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oainb.server.engines import Registry, audio

PROMPT = "Write a short story about a robot who learns to paint."
PARAGRAPH = (
    "The weather was cold and grey when the train left the station. Most passengers read their "
    "newspapers while a small child counted the trees outside the window. After two hours the "
    "sun finally came out, and everyone smiled as the sea appeared behind the hills. "
)
SPEECH_TEXT = ("Benchmarks should measure what a person would notice. This sentence is here to "
               "give the speech engine a few seconds of work. And here is one more, for luck.")
START_MARK, END_MARK = "<!-- bench_server:start -->", "<!-- bench_server:end -->"


@dataclass
class TextRun:
    ttft: float  # seconds to the first token
    tokens: int
    decode_rate: float  # tokens/s after the first
    cpu: float  # CPU seconds per token, every thread of every process involved


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system, all threads) of another process, from /proc (Linux only)."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rate(tokens: int, first: float, last: float) -> float:
    return (tokens - 1) / (last - first) if tokens > 1 and last > first else float("nan")


class Server:
    """`python -m oainb.server` in its own session, output to a log file, found via server.json."""

    def __init__(self, data_dir: pathlib.Path) -> None:
        self.token = secrets.token_urlsafe(16)
        self.data_dir = data_dir
        self.log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oainb.server", "--host", "127.0.0.1", "--port", "0",
             "--data-dir", str(data_dir), "--log-level", "warning"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "OAINB_SERVER_API_KEY": self.token, "HF_HUB_OFFLINE": "1"})
        self.base_url = self._wait()
        self.http = httpx.Client(base_url=self.base_url, timeout=600,
                                 headers={"Authorization": f"Bearer {self.token}"})

    def _wait(self) -> str:
        state = self.data_dir / "server.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.data_dir / 'server.log'}")
            if state.exists():
                return str(json.loads(state.read_text())["base_url"])
            time.sleep(0.1)
        raise RuntimeError("server did not start within 120 s")

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _sse(response: httpx.Response) -> Iterator[dict[str, Any]]:
    for line in response.iter_lines():
        if line.startswith("data:"):
            data = line[5:].strip()
            if data and data != "[DONE]":
                yield json.loads(data)


def text_direct(registry: Registry, max_tokens: int) -> TextRun:
    engine = registry.text()
    cpu = time.process_time()
    start = time.perf_counter()
    first = last = 0.0
    count = 0
    for piece in engine.generate([{"role": "user", "content": PROMPT}], max_tokens=max_tokens,
                                 temperature=0):
        last = time.perf_counter()
        if count == 0:
            first = last
        count += 1
        del piece
    cpu = time.process_time() - cpu
    return TextRun(first - start, count, _rate(count, first, last), cpu / max(1, count))


def text_server(server: Server, max_tokens: int) -> TextRun:
    body = {"model": "gpt-4o-mini", "input": PROMPT, "temperature": 0,
            "max_output_tokens": max_tokens, "stream": True, "store": False}
    cpu = time.process_time(), _cpu_of(server.proc.pid)
    start = time.perf_counter()
    first = last = 0.0
    deltas = 0
    tokens = 0
    with server.http.stream("POST", "/responses", json=body) as response:
        response.raise_for_status()
        for event in _sse(response):
            if event["type"] == "response.output_text.delta":
                last = time.perf_counter()
                if deltas == 0:
                    first = last
                deltas += 1
            elif event["type"] in ("response.completed", "response.incomplete"):
                tokens = event["response"]["usage"]["output_tokens"]
    used = time.process_time() - cpu[0] + _cpu_of(server.proc.pid) - cpu[1]
    # A delta is one token (possibly ""-text tokens are skipped): count tokens from usage.
    return TextRun(first - start, tokens, _rate(deltas, first, last), used / max(1, tokens))


def stt_direct(registry: Registry, mp3: bytes, seconds: float) -> float:
    start = time.perf_counter()
    registry.stt().transcribe(mp3)
    return (time.perf_counter() - start) / seconds


def stt_server(server: Server, mp3: bytes, seconds: float) -> float:
    start = time.perf_counter()
    response = server.http.post("/audio/transcriptions", data={"model": "whisper-1"},
                                files={"file": ("speech.mp3", mp3, "audio/mpeg")})
    response.raise_for_status()
    return (time.perf_counter() - start) / seconds


def tts_direct(registry: Registry) -> float:
    start = time.perf_counter()
    clip = registry.tts().synthesize(SPEECH_TEXT, voice="alloy")
    audio.encode(clip.samples, sample_rate=clip.sample_rate, fmt="mp3")
    return (time.perf_counter() - start) / clip.duration


def tts_server(server: Server) -> float:
    start = time.perf_counter()
    response = server.http.post("/audio/speech", json={
        "model": "tts-1", "input": SPEECH_TEXT, "voice": "alloy", "response_format": "mp3"})
    response.raise_for_status()
    elapsed = time.perf_counter() - start
    return elapsed / audio.duration(response.content)


def _alternate(rounds: int, direct: Callable[[], Any], served: Callable[[], Any]) -> tuple[
        list[Any], list[Any]]:
    a, b = [], []
    for i in range(rounds):
        # Swap who goes first each round, so neither always runs right after the other's burst.
        if i % 2 == 0:
            a.append(direct())
            b.append(served())
        else:
            b.append(served())
            a.append(direct())
    return a, b


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def run(rounds: int, max_tokens: int) -> dict[str, Any]:
    load_before = _load()
    registry = Registry.default()
    tts = registry.tts()
    clip = tts.synthesize(PARAGRAPH * 3, voice="alloy")
    mp3 = audio.encode(clip.samples, sample_rate=clip.sample_rate, fmt="mp3")
    seconds = audio.duration(mp3)
    with tempfile.TemporaryDirectory(prefix="oainb-bench-") as tmp:
        server = Server(pathlib.Path(tmp))
        try:
            # Warm up both sides: weights loaded, prompt prefix cached, code paths hot.
            text_direct(registry, 16), text_server(server, 16)
            stt_direct(registry, mp3, seconds), stt_server(server, mp3, seconds)
            tts_direct(registry), tts_server(server)
            text_d, text_s = _alternate(rounds, lambda: text_direct(registry, max_tokens),
                                        lambda: text_server(server, max_tokens))
            stt_d, stt_s = _alternate(max(3, rounds // 2),
                                      lambda: stt_direct(registry, mp3, seconds),
                                      lambda: stt_server(server, mp3, seconds))
            tts_d, tts_s = _alternate(rounds, lambda: tts_direct(registry),
                                      lambda: tts_server(server))
        finally:
            server.stop()
    return {
        "rounds": rounds, "max_tokens": max_tokens, "audio_seconds": seconds,
        "load": [load_before, _load()],
        "text": {"direct": {"ttft": _median([r.ttft for r in text_d]),
                            "rate": _median([r.decode_rate for r in text_d]),
                            "tokens": _median([r.tokens for r in text_d]),
                            "cpu": _median([r.cpu for r in text_d])},
                 "server": {"ttft": _median([r.ttft for r in text_s]),
                            "rate": _median([r.decode_rate for r in text_s]),
                            "tokens": _median([r.tokens for r in text_s]),
                            "cpu": _median([r.cpu for r in text_s])}},
        "stt": {"direct": _median(stt_d), "server": _median(stt_s)},
        "tts": {"direct": _median(tts_d), "server": _median(tts_s)},
    }


def table(result: dict[str, Any]) -> str:
    text, stt, tts = result["text"], result["stt"], result["tts"]
    d, s = text["direct"], text["server"]
    rate_cost = 1 - s["rate"] / d["rate"]
    ttft_cost = (s["ttft"] - d["ttft"]) * 1000
    rows = [
        "| measure | engine, direct | through the server | server cost | target |",
        "|---|---:|---:|---:|---|",
        (f"| text: decode tokens/s | {d['rate']:.1f} | {s['rate']:.1f} | {rate_cost:+.1%} "
        f"| < 5 % {'✓' if rate_cost < 0.05 else '✗'} |"),
        (f"| text: time to first token | {d['ttft'] * 1000:.1f} ms | {s['ttft'] * 1000:.1f} ms "
        f"| {ttft_cost:+.1f} ms | < 20 ms {'✓' if ttft_cost < 20 else '✗'} |"),
        (f"| text: CPU per token (server: its process + this client) | {d['cpu'] * 1000:.1f} ms "
         f"| {s['cpu'] * 1000:.1f} ms | {s['cpu'] / d['cpu'] - 1:+.1%} | — |"),
        (f"| transcription: real-time factor | {stt['direct']:.3f} | {stt['server']:.3f} "
        f"| {stt['server'] / stt['direct'] - 1:+.1%} | — |"),
        (f"| speech (mp3): real-time factor | {tts['direct']:.4f} | {tts['server']:.4f} "
        f"| {tts['server'] / tts['direct'] - 1:+.1%} | — |"),
    ]
    return "\n".join(rows)


def section(result: dict[str, Any], command: str) -> str:
    cpu = os.cpu_count()
    before, after = result["load"]
    return "\n".join([
        START_MARK,
        "## Local server vs its engines (benchmarks/bench_server.py)",
        "",
        (f"Command: `{command}` (medians of {result['rounds']} alternating rounds; text: "
        f"{result['max_tokens']} tokens at temperature 0, same prompt so both sides reuse the "
        f"cached prefix; transcription: {result['audio_seconds']:.1f} s of espeak-ng speech as "
        f"mp3; Python {platform.python_version()}, {platform.machine()}, {cpu} cores, "
        f"1-minute load average {before:.1f} at the start, {after:.1f} at the end)."),
        "",
        table(result),
        "",
        ("Real-time factor = seconds of work per second of audio (lower is faster). The server "
        "side includes HTTP on loopback, JSON or multipart parsing, its job queue, SSE framing "
        "and, for text, one event per token. CPU per token counts every thread of the server "
        "process and of this client, so it shows the server's own work even when other load on "
        "the machine slows both sides' wall clocks unevenly; the wall-clock rows are only as "
        "steady as the machine was."),
        END_MARK,
    ])


def write(markdown: str, path: pathlib.Path) -> None:
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    if START_MARK in current and END_MARK in current:
        head, rest = current.split(START_MARK, 1)
        tail = rest.split(END_MARK, 1)[1]
        current = head + markdown + tail
    else:
        current = current.rstrip("\n") + "\n\n" + markdown + "\n"
    path.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    result = run(args.rounds, args.max_tokens)
    command = ".venv/bin/python benchmarks/bench_server.py " + " ".join(sys.argv[1:])
    print(table(result))
    print(json.dumps(result, indent=1))
    if args.write:
        write(section(result, command.strip()), ROOT / "BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
