"""Prices as data: the shipped table (`oainb/data/prices.json`) and `CostEstimate`, what one call costs."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["CostEstimate", "ModelPrice", "PriceTable", "format_usd", "price_table"]

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
