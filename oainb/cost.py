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

from collections.abc import Mapping
from typing import Any

from oainb._ledger import Ledger, LedgerEntry, session_ledger
from oainb._prices import CostEstimate, ModelPrice, PriceTable, format_usd, price_table

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
        import toktok
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
