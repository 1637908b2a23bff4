from __future__ import annotations

import pytest

from oainb import BudgetExceededError
from oainb.cost import (
    DEFAULT_OUTPUT_TOKENS,
    CostEstimate,
    Ledger,
    count_tokens,
    estimate_reply,
    estimate_speech,
    estimate_transcription,
    format_usd,
    price_table,
    price_usage,
)


def test_price_table_keeps_its_source_and_date():
    table = price_table()
    assert "litellm" in table.source
    assert table.date.startswith("20")
    assert table.lookup("gpt-4o-mini").input_token == pytest.approx(0.15e-6)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("gpt-4o-2024-08-06", "gpt-4o"), ("smollm2-135m-instruct", "gpt-4o-mini"),
     ("whisper-tiny.en", "whisper-1"), ("espeak-ng", "tts-1"), ("gpt-4o-mini", "gpt-4o-mini")],
)
def test_snapshot_and_local_names_resolve_to_openai_prices(name, expected):
    assert price_table().resolve(name) == expected


def test_tokens_are_counted_offline_with_the_model_vocabulary():
    assert count_tokens("hello world", model="gpt-4o") == 2
    assert count_tokens("", model="gpt-4o") == 0
    assert count_tokens("a longer sentence with several tokens in it") > 5


def test_estimate_reply_prices_input_plus_the_output_cap():
    est = estimate_reply("gpt-4o", "hello world", 100)
    n_in = count_tokens("hello world") + 4
    assert est.usd == pytest.approx(n_in * 2.5e-6 + 100 * 10e-6)
    assert est.estimated and "up to 100 output tokens" in est.basis


def test_estimate_reply_without_cap_assumes_default_output():
    est = estimate_reply("gpt-4o-mini", "hi")
    assert f"{DEFAULT_OUTPUT_TOKENS:,} output" in est.basis


def test_instructions_count_as_input():
    assert estimate_reply("gpt-4o", "hi", 10, instructions="be brief " * 50).usd > estimate_reply("gpt-4o", "hi", 10).usd


def test_transcription_and_speech_estimates_use_their_units():
    assert estimate_transcription("whisper-1", 60).usd == pytest.approx(0.006)
    assert estimate_speech("tts-1", "x" * 1000).usd == pytest.approx(0.015)
    assert estimate_speech("tts-1-hd", "x" * 1000).usd == pytest.approx(0.03)
    assert estimate_speech("gpt-4o-mini-tts", "hello there").usd > 0


def test_price_usage_reconciles_tokens_with_cache_discount():
    usage = {"input_tokens": 1000, "output_tokens": 500, "input_tokens_details": {"cached_tokens": 400}}
    cost = price_usage("gpt-4o", usage)
    assert cost.usd == pytest.approx(600 * 2.5e-6 + 400 * 1.25e-6 + 500 * 10e-6)
    assert not cost.estimated and "400 cached" in cost.basis


def test_price_usage_duration_and_characters():
    assert price_usage("whisper-1", {"type": "duration", "seconds": 30}).usd == pytest.approx(0.003)
    assert price_usage("whisper-1", None, seconds=120).usd == pytest.approx(0.012)
    assert price_usage("tts-1", None, characters=2000).usd == pytest.approx(0.03)


def test_unknown_model_says_so():
    cost = price_usage("my-finetune-xyz", {"input_tokens": 5})
    assert not cost.known and str(cost) == "price unknown for my-finetune-xyz"


def test_local_cost_reads_zero_here_and_openai_equivalent():
    cost = price_usage("smollm2-135m-instruct", {"input_tokens": 1000, "output_tokens": 1000}, local=True)
    assert str(cost) == "$0 here, about $0.00075 on OpenAI at gpt-4o-mini prices"
    assert cost.charged == 0


@pytest.mark.parametrize(("amount", "text"), [(0, "$0"), (0.00012345, "$0.00012"), (0.05, "$0.050"), (1.234, "$1.23")])
def test_format_usd(amount, text):
    assert format_usd(amount) == text


def test_ledger_refuses_a_call_that_would_pass_the_budget():
    ledger = Ledger(budget=0.01)
    ledger.record(CostEstimate(model="gpt-4o", usd=0.008), kind="respond")
    ledger.check(CostEstimate(model="gpt-4o", usd=0.001, estimated=True))
    with pytest.raises(BudgetExceededError, match=r"pass the session budget of \$0.010 \(\$0.0080 spent\)"):
        ledger.check(CostEstimate(model="gpt-4o", usd=0.005, estimated=True, basis="b"))
    assert len(ledger.entries) == 1


def test_ledger_without_budget_never_refuses_and_counts_local_separately():
    ledger = Ledger()
    ledger.check(CostEstimate(model="gpt-4o", usd=1e6))
    ledger.record(CostEstimate(model="gpt-4o-mini", usd=0.5, local=True), kind="respond")
    assert ledger.spent == 0.5 and ledger.charged == 0
    assert "billed" in ledger.summary()
    with pytest.raises(ValueError):
        ledger.set_budget(-1)
