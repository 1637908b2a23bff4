"""`benchmarks/bench_live.py` times oainb on a session of its own, not the kernel's."""

from __future__ import annotations

import importlib.util
import pathlib

from oainb.cost import Ledger
from oainb.notebook import _session

_BENCH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_live.py"


def test_the_live_benchmark_leaves_the_session_ledger_alone(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_live", _BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ours = _session.Session(ledger=Ledger())
    monkeypatch.setattr(_session, "_SESSION", ours)
    elapsed, updates = bench.run_oainb(bench.recorded_stream(50), None)
    assert elapsed >= 0 and updates >= 1
    assert ours.ledger.entries == []  # each run records into its own fresh session
