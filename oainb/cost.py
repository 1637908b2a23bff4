"""What a call costs: estimated before it is sent, reconciled from the usage it returns.

Prices come from `oainb/data/prices.json`, a copy of litellm's OpenAI price table that keeps
its source and date (`price_table().source`, `.date`): prices change, so they live in data, not
in code. Tokens are counted offline with toktok-rs (the o200k / cl100k vocabularies are compiled
into its wheel; stock tiktoken would download them).

On the local backend nothing is billed: a cost then reads
"$0 here, about $0.00012 on OpenAI at gpt-4o-mini prices", and the session `Ledger` counts the
OpenAI-equivalent amount, so a budget set while rehearsing locally behaves as it will for real.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from oainb._exceptions import BudgetExceededError

__all__ = [
    "DEFAULT_OUTPUT_TOKENS",
    "CostEstimate",
    "Ledger",
    "LedgerEntry",
    "ModelPrice",
    "PriceTable",
    "count_tokens",
    "estimate_reply",
    "estimate_speech",
    "estimate_transcription",
    "format_usd",
    "price_table",
    "price_usage",
    "session_ledger",
]

#: Output tokens assumed by `estimate_reply` when no `max_output_tokens` caps the reply.
DEFAULT_OUTPUT_TOKENS = 1024
#: Tokens the API adds around one user message (role markers); a small, honest constant.
_MESSAGE_OVERHEAD_TOKENS = 4
#: Speaking rate used to guess the length of synthesized speech (characters per second).
_CHARS_PER_SECOND = 15.0
_DATE_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def format_usd(amount: float) -> str:
    """Dollars with as many decimals as a small amount needs: `$0`, `$0.00012`, `$1.25`."""
    if amount <= 0:
        return "$0"
    if amount >= 0.1:
        return f"${amount:,.2f}"
    digits = max(2, -math.floor(math.log10(amount)) + 1)
    return f"${amount:.{digits}f}"


@dataclass(frozen=True)
class CostEstimate:
    """The price of one call, before it (`estimated=True`) or from its returned usage.

    Attributes:
        model: the OpenAI model whose prices were used (a local model's equivalent).
        usd: dollars at OpenAI prices (for a local call: what it *would* cost there).
        basis: what was counted, in words (`"12 input tokens + up to 1,024 output tokens"`).
        estimated: True before the call, False once reconciled from usage.
        local: True when the call ran on the local backend, where it cost $0.
        known: False when the model has no entry in the price table (`usd` is then 0).

    Example:
        >>> from oainb.cost import CostEstimate
        >>> str(CostEstimate(model="gpt-4o-mini", usd=0.00012, local=True))
        '$0 here, about $0.00012 on OpenAI at gpt-4o-mini prices'
    """

    model: str
    usd: float = 0.0
    basis: str = ""
    estimated: bool = False
    local: bool = False
    known: bool = True

    @property
    def charged(self) -> float:
        """What is actually billed: `usd`, or 0 on the local backend."""
        return 0.0 if self.local else self.usd

    def __str__(self) -> str:
        if not self.known:
            return f"price unknown for {self.model}"
        about = "about " if self.estimated else ""
        if self.local:
            return f"$0 here, about {format_usd(self.usd)} on OpenAI at {self.model} prices"
        return f"{about}{format_usd(self.usd)}"

    def __repr__(self) -> str:
        kind = "estimate" if self.estimated else "cost"
        where = " local" if self.local else ""
        return f"<CostEstimate {kind}{where} {format_usd(self.usd)} {self.model}>"


@dataclass(frozen=True)
class ModelPrice:
    """One model's prices, in dollars per unit (None where the model is not billed that way)."""

    model: str
    input_token: float | None = None
    cached_input_token: float | None = None
    output_token: float | None = None
    audio_input_token: float | None = None
    audio_output_token: float | None = None
    input_second: float | None = None
    input_character: float | None = None
    output_second: float | None = None

    @classmethod
    def from_entry(cls, model: str, entry: Mapping[str, Any]) -> ModelPrice:
        """Read one litellm-style entry (`input_cost_per_token`, ...)."""
        return cls(
            model=model,
            input_token=entry.get("input_cost_per_token"),
            cached_input_token=entry.get("cache_read_input_token_cost"),
            output_token=entry.get("output_cost_per_token"),
            audio_input_token=entry.get("input_cost_per_audio_token"),
            audio_output_token=entry.get("output_cost_per_audio_token"),
            input_second=entry.get("input_cost_per_second"),
            input_character=entry.get("input_cost_per_character"),
            output_second=entry.get("output_cost_per_second"),
        )


@dataclass(frozen=True)
class PriceTable:
    """The shipped price list: `lookup(model)` finds a model by name, snapshot or local name."""

    models: Mapping[str, ModelPrice]
    source: str
    date: str
    local_equivalents: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, model: str) -> str:
        """The price-table name for `model` (`gpt-4o-2024-08-06` → `gpt-4o`); may be unknown."""
        name = self.local_equivalents.get(model, model)
        if name in self.models:
            return name
        bare = _DATE_SUFFIX.sub("", name)
        if bare in self.models:
            return bare
        prefixes = [key for key in self.models if name.startswith(key + "-")]
        return max(prefixes, key=len) if prefixes else name

    def lookup(self, model: str) -> ModelPrice | None:
        """The prices of `model`, or None when the table has no entry for it."""
        return self.models.get(self.resolve(model))

    def is_local_model(self, model: str) -> bool:
        """True for the names of the bundled local models (`smollm2-135m-instruct`, ...)."""
        return model in self.local_equivalents


@lru_cache(maxsize=1)
def price_table() -> PriceTable:
    """The price table shipped in `oainb/data/prices.json` (read once).

    Example:
        >>> from oainb.cost import price_table
        >>> price_table().lookup("whisper-1").input_second
        0.0001
    """
    raw = json.loads(resources.files("oainb").joinpath("data/prices.json").read_text("utf-8"))
    models = {name: ModelPrice.from_entry(name, e) for name, e in raw["models"].items()}
    return PriceTable(
        models=models,
        source=raw.get("_source", ""),
        date=raw.get("_date", ""),
        local_equivalents=raw.get("local_equivalents", {}),
    )


def _encoding_for(model: str) -> str:
    # GPT-4o and everything after it (o-series, 4.1, 5) use o200k; older GPT-4/3.5 use cl100k.
    if model.startswith(("gpt-4-", "gpt-3.5")) or model == "gpt-4":
        return "cl100k_base"
    return "o200k_base"


def count_tokens(text: str, *, model: str = "gpt-4o") -> int:
    """How many tokens `text` is for `model`, counted offline.

    Example:
        >>> from oainb.cost import count_tokens
        >>> count_tokens("hello world")
        2
    """
    if not text:
        return 0
    try:
        import toktok  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - toktok-rs is a base dependency
        return max(1, len(text) // 4)
    return int(toktok.batch_count([text], _encoding_for(model), threads=1)[0])


def _unknown(model: str, *, estimated: bool, local: bool) -> CostEstimate:
    return CostEstimate(model=model, estimated=estimated, local=local, known=False)


def estimate_reply(
    model: str,
    input_text: str,
    max_output_tokens: int | None = None,
    *,
    instructions: str | None = None,
    local: bool = False,
) -> CostEstimate:
    """The most a Responses call can cost: its input tokens plus a full output allowance.

    Args:
        model: the model asked for (a local model is priced at its OpenAI equivalent).
        input_text: the prompt as it will be sent.
        max_output_tokens: the output cap; without one `DEFAULT_OUTPUT_TOKENS` is assumed.
        instructions: the system instructions, counted as input too.
        local: the call goes to the local backend (it will cost $0 there).

    Example:
        >>> from oainb.cost import estimate_reply
        >>> estimate_reply("gpt-4o-mini", "hello world", 100).basis
        '6 input tokens + up to 100 output tokens'
    """
    table = price_table()
    name = table.resolve(model)
    price = table.models.get(name)
    if price is None or price.input_token is None:
        return _unknown(model, estimated=True, local=local)
    n_in = count_tokens(input_text, model=name) + _MESSAGE_OVERHEAD_TOKENS
    if instructions:
        n_in += count_tokens(instructions, model=name) + _MESSAGE_OVERHEAD_TOKENS
    n_out = max_output_tokens if max_output_tokens is not None else DEFAULT_OUTPUT_TOKENS
    usd = n_in * price.input_token + n_out * (price.output_token or 0.0)
    basis = f"{n_in:,} input tokens + up to {n_out:,} output tokens"
    return CostEstimate(model=name, usd=usd, basis=basis, estimated=True, local=local)


def estimate_transcription(model: str, seconds: float, *, local: bool = False) -> CostEstimate:
    """The cost of transcribing (or translating) `seconds` of audio.

    Example:
        >>> from oainb.cost import estimate_transcription
        >>> estimate_transcription("whisper-1", 60).usd
        0.006
    """
    table = price_table()
    name = table.resolve(model)
    price = table.models.get(name)
    if price is None or price.input_second is None:
        return _unknown(model, estimated=True, local=local)
    usd = round(seconds * price.input_second, 10)
    basis = f"{seconds:.1f} s of audio"
    return CostEstimate(model=name, usd=usd, basis=basis, estimated=True, local=local)


def estimate_speech(model: str, text: str, *, local: bool = False) -> CostEstimate:
    """The cost of speaking `text`: per character for tts-1, per token for gpt-4o-mini-tts.

    Example:
        >>> from oainb.cost import estimate_speech
        >>> estimate_speech("tts-1", "x" * 1000).usd
        0.015
    """
    table = price_table()
    name = table.resolve(model)
    price = table.models.get(name)
    if price is None:
        return _unknown(model, estimated=True, local=local)
    if price.input_character is not None:
        usd = round(len(text) * price.input_character, 10)
        return CostEstimate(
            model=name, usd=usd, basis=f"{len(text):,} characters", estimated=True, local=local
        )
    n_in = count_tokens(text, model=name)
    seconds = len(text) / _CHARS_PER_SECOND
    usd = n_in * (price.input_token or 0.0) + seconds * (price.output_second or 0.0)
    basis = f"{n_in:,} input tokens + about {seconds:.0f} s of speech"
    return CostEstimate(model=name, usd=usd, basis=basis, estimated=True, local=local)


def _field(usage: Any, name: str, default: Any = 0) -> Any:
    if usage is None:
        return default
    if isinstance(usage, Mapping):
        value = usage.get(name, default)
    else:
        value = getattr(usage, name, default)
    return default if value is None else value


def price_usage(
    model: str,
    usage: Any,
    *,
    seconds: float | None = None,
    characters: int | None = None,
    speech: bool = False,
    local: bool = False,
) -> CostEstimate:
    """The cost of a finished call, from the usage the API returned.

    Token usage is priced as (input − cached) × input + cached × cached input + output ×
    output; duration usage (whisper-1) per second. Where the API returned no usage (whisper-1
    `text`/`srt`, raw-audio speech) pass `seconds` (the audio's duration) or `characters`.

    Args:
        model: the model that ran (a local model is priced at its OpenAI equivalent).
        usage: a `Usage` or the wire dict; None when the API returned none.
        seconds: the audio duration, for duration-billed models.
        characters: the spoken text's length, for character-billed models (tts-1).
        speech: output tokens are audio tokens (gpt-4o-mini-tts).
        local: the call ran on the local backend.

    Example:
        >>> from oainb.cost import price_usage
        >>> price_usage("gpt-4o-mini", {"input_tokens": 1000, "output_tokens": 1000}).usd
        0.00075
    """
    table = price_table()
    name = table.resolve(model)
    price = table.models.get(name)
    if price is None:
        return _unknown(model, estimated=False, local=local)
    if price.input_character is not None and characters is not None:
        usd = round(characters * price.input_character, 10)
        return CostEstimate(model=name, usd=usd, basis=f"{characters:,} characters", local=local)
    n_in = int(_field(usage, "input_tokens"))
    n_out = int(_field(usage, "output_tokens"))
    duration = _field(usage, "seconds", None)
    if _field(usage, "type", None) == "duration" or (not n_in and not n_out):
        secs = duration if duration is not None else seconds
        if secs is not None and price.input_second is not None:
            usd = round(float(secs) * price.input_second, 10)
            return CostEstimate(model=name, usd=usd, basis=f"{float(secs):.1f} s of audio", local=local)
    cached = int(_cached(usage))
    out_price = (price.audio_output_token if speech else None) or price.output_token or 0.0
    usd = (
        (n_in - cached) * (price.input_token or 0.0)
        + cached * (price.cached_input_token or price.input_token or 0.0)
        + n_out * out_price
    )
    basis = f"{n_in:,} input tokens + {n_out:,} output tokens"
    if cached:
        basis += f" ({cached:,} cached)"
    return CostEstimate(model=name, usd=round(usd, 12), basis=basis, local=local)


def _cached(usage: Any) -> int:
    details = _field(usage, "input_tokens_details", None)
    if details is None:
        return int(_field(usage, "cached_tokens"))
    return int(_field(details, "cached_tokens"))


@dataclass(frozen=True)
class LedgerEntry:
    """One priced call in the session ledger."""

    kind: str
    cost: CostEstimate
    label: str = ""


class Ledger:
    """The running total of a session's calls, with an optional budget.

    With a budget set, `check(estimate)` refuses (raises `BudgetExceededError`) a call whose
    estimate would take the total past it. Local calls count at their OpenAI-equivalent price.

    Example:
        >>> from oainb.cost import Ledger, CostEstimate
        >>> ledger = Ledger(budget=0.01)
        >>> ledger.record(CostEstimate(model="gpt-4o", usd=0.004), kind="respond")
        >>> ledger.spent
        0.004
    """

    def __init__(self, *, budget: float | None = None) -> None:
        self.budget = budget
        self.entries: list[LedgerEntry] = []
        self._lock = threading.Lock()

    @property
    def spent(self) -> float:
        """Dollars recorded so far (OpenAI-equivalent for local calls)."""
        return round(sum(e.cost.usd for e in self.entries), 10)

    @property
    def charged(self) -> float:
        """Dollars actually billed so far (local calls count 0)."""
        return round(sum(e.cost.charged for e in self.entries), 10)

    def set_budget(self, budget: float | None) -> None:
        """Set (or, with None, clear) the session budget in dollars."""
        if budget is not None and budget < 0:
            raise ValueError("A budget is a positive amount of dollars, e.g. 0.50.")
        self.budget = budget

    def check(self, estimate: CostEstimate) -> None:
        """Raise `BudgetExceededError` if `estimate` would take the total past the budget."""
        if self.budget is None:
            return
        after = self.spent + estimate.usd
        if after > self.budget + 1e-12:
            where = " (OpenAI prices; $0 on the local backend)" if estimate.local else ""
            raise BudgetExceededError(
                f"Refused: this call may cost up to {format_usd(estimate.usd)}{where} "
                f"({estimate.basis}), which would pass the session budget of "
                f"{format_usd(self.budget)} ({format_usd(self.spent)} spent); "
                "raise it with `%oainb budget AMOUNT` or lower max_output_tokens."
            )

    def record(self, cost: CostEstimate, *, kind: str, label: str = "") -> None:
        """Add one finished (or interrupted) call."""
        with self._lock:
            self.entries.append(LedgerEntry(kind=kind, cost=cost, label=label))

    def reset(self) -> None:
        """Forget every entry (the budget stays)."""
        with self._lock:
            self.entries.clear()

    def summary(self) -> str:
        """A few lines: calls, total, budget."""
        lines = [f"{len(self.entries)} call(s), {format_usd(self.spent)} at OpenAI prices"]
        if any(e.cost.local for e in self.entries):
            lines[0] += f" ({format_usd(self.charged)} billed)"
        if self.budget is not None:
            lines.append(f"budget {format_usd(self.budget)}, {format_usd(max(0.0, self.budget - self.spent))} left")
        for e in self.entries[-5:]:
            lines.append(f"  {e.kind} {e.cost.model}: {e.cost}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        budget = "" if self.budget is None else f" of {format_usd(self.budget)}"
        return f"<Ledger {len(self.entries)} calls {format_usd(self.spent)}{budget}>"


_SESSION = Ledger()


def session_ledger() -> Ledger:
    """The ledger of this Python process (the kernel's session), shared by magics and widgets."""
    return _SESSION
