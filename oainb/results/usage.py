from __future__ import annotations

from typing import Any

from pydantic import model_validator

from oainb.results._base import ResultModel

__all__ = ["InputTokensDetails", "OutputTokensDetails", "Usage"]


class InputTokensDetails(ResultModel):
    """How many input tokens came from the prompt cache (and were written to it)."""

    cached_tokens: int = 0
    cache_write_tokens: int = 0


class OutputTokensDetails(ResultModel):
    """How many output tokens the model spent reasoning."""

    reasoning_tokens: int = 0


class Usage(ResultModel):
    """Token (or, for whisper-1, duration) usage of one call.

    Reads the Responses names (`input_tokens`, `output_tokens`) and falls back to the
    Chat Completions names the seed guide used (`prompt_tokens`, `completion_tokens`).

    Example:
        >>> from oainb import Usage
        >>> u = Usage.model_validate({"prompt_tokens": 10, "completion_tokens": 5})
        >>> (u.input_tokens, u.output_tokens, u.total_tokens)
        (10, 5, 15)
    """

    type: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: InputTokensDetails | None = None
    output_tokens_details: OutputTokensDetails | None = None
    seconds: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for new, old in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens")):
            if data.get(new) is None and data.get(old) is not None:
                data[new] = data.pop(old)
        for key in ("input_tokens", "output_tokens"):
            if data.get(key) is None:
                data.pop(key, None)
        if data.get("total_tokens") is None:
            data["total_tokens"] = int(data.get("input_tokens") or 0) + int(
                data.get("output_tokens") or 0
            )
        for old, new in (
            ("prompt_tokens_details", "input_tokens_details"),
            ("completion_tokens_details", "output_tokens_details"),
        ):
            if data.get(new) is None and isinstance(data.get(old), dict):
                data[new] = data.pop(old)
        return data

    @property
    def cached_tokens(self) -> int:
        """Input tokens served from the prompt cache (0 when the API did not say)."""
        return self.input_tokens_details.cached_tokens if self.input_tokens_details else 0

    @property
    def reasoning_tokens(self) -> int:
        """Output tokens spent on reasoning (0 when the API did not say)."""
        return self.output_tokens_details.reasoning_tokens if self.output_tokens_details else 0

    def _wire_adjust(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.type == "duration":
            return {"type": "duration", "seconds": float(self.seconds or 0.0)}
        return data

    def __repr__(self) -> str:
        if self.type == "duration":
            return f"<Usage {self.seconds or 0:.1f}s>"
        return f"<Usage {self.input_tokens} in + {self.output_tokens} out = {self.total_tokens} tokens>"
