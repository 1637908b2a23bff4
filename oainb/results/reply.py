"""`Reply`, the result of `client.responses.create`, and the typed items of its `output`."""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from pydantic import Field, SerializeAsAny, field_validator, model_validator

from oainb.results._base import ResultModel, shorten
from oainb.results.usage import Usage

__all__ = [
    "FunctionCall",
    "ImageGenerationCall",
    "OutputContent",
    "OutputItem",
    "OutputMessage",
    "OutputText",
    "ReasoningItem",
    "Refusal",
    "Reply",
    "parse_output_content",
    "parse_output_item",
]


class OutputContent(ResultModel):
    """One part of an output message's `content`; unknown part types land here as they are."""

    type: str = "output_text"


class OutputText(OutputContent):
    """A text part: `text`, plus `annotations` (citations) and per-token `logprobs`."""

    type: str = "output_text"
    text: str = ""
    annotations: list[Any] = Field(default_factory=list)
    logprobs: list[Any] = Field(default_factory=list)


class Refusal(OutputContent):
    """The model declined: `refusal` holds its explanation."""

    type: str = "refusal"
    refusal: str = ""


_CONTENT_TYPES: dict[str, type[OutputContent]] = {"output_text": OutputText, "refusal": Refusal}


def parse_output_content(part: Any) -> Any:
    """Turn one wire content part into its typed model (unknown types into `OutputContent`)."""
    if isinstance(part, dict):
        return _CONTENT_TYPES.get(str(part.get("type")), OutputContent).model_validate(part)
    return part


class OutputItem(ResultModel):
    """One item of `Reply.output`; item types this version does not know keep every field."""

    type: str
    id: str | None = None
    status: str | None = None


class OutputMessage(OutputItem):
    """An assistant message: `content` is a list of `OutputText` / `Refusal` parts."""

    type: str = "message"
    role: str = "assistant"
    status: str | None = "completed"
    content: list[SerializeAsAny[OutputContent]] = Field(default_factory=list)

    _wire_required: ClassVar[frozenset[str]] = frozenset({"id", "status"})

    @field_validator("content", mode="before")
    @classmethod
    def _typed_parts(cls, value: Any) -> Any:
        if isinstance(value, str):  # some compatible servers send plain text content
            value = [{"type": "output_text", "text": value}]
        return [parse_output_content(part) for part in value] if isinstance(value, list) else value

    @property
    def text(self) -> str:
        """The concatenated `output_text` parts of this message."""
        return "".join(p.text for p in self.content if isinstance(p, OutputText))


class FunctionCall(OutputItem):
    """The model asks to call function `name` with JSON `arguments`; answer with `call_id`."""

    type: str = "function_call"
    call_id: str = ""
    name: str = ""
    arguments: str = ""


class ReasoningItem(OutputItem):
    """Reasoning summary (and, when included, encrypted content) of a reasoning model."""

    type: str = "reasoning"
    summary: list[Any] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """The summary texts, joined by blank lines."""
        return "\n\n".join(str(s.get("text", "")) for s in self.summary if isinstance(s, dict))


class ImageGenerationCall(OutputItem):
    """An image made by the `image_generation` tool; `result` is base64, `image_bytes` decoded."""

    type: str = "image_generation_call"
    result: str | None = None

    @property
    def image_bytes(self) -> bytes | None:
        """The generated image, decoded (None while it is still being made)."""
        return base64.b64decode(self.result) if self.result else None


_ITEM_TYPES: dict[str, type[OutputItem]] = {
    "message": OutputMessage,
    "function_call": FunctionCall,
    "reasoning": ReasoningItem,
    "image_generation_call": ImageGenerationCall,
}


def parse_output_item(item: Any) -> Any:
    """Turn one wire output item into its typed model (unknown types into `OutputItem`)."""
    if isinstance(item, dict):
        kind = str(item.get("type") or "message")
        return _ITEM_TYPES.get(kind, OutputItem).model_validate({**item, "type": kind})
    return item


class Reply(ResultModel):
    """A model response from `POST /responses`, as the user holds it.

    Fields follow the spec's Response object and unknown fields are kept. It also reads the
    seed guide's shapes: `created` for `created_at`, a chat-style `choices` list when there
    is no `output`, `prompt_tokens`/`completion_tokens` in usage, and `canceled`.

    `partial` is set when a stream ended before its terminal event (`interrupted` when the
    user stopped it); neither is sent on the wire.

    Example:
        >>> from oainb import Reply
        >>> r = Reply.model_validate({"id": "resp_1", "status": "completed", "model": "m",
        ...     "output": [{"type": "message", "content": [{"type": "output_text", "text": "Hi"}]}]})
        >>> r.output_text
        'Hi'
    """

    id: str = ""
    object: str = "response"
    created_at: float | None = None
    status: str | None = None
    model: str = ""
    output: list[SerializeAsAny[OutputItem]] = Field(default_factory=list)
    usage: Usage | None = None
    error: Any | None = None
    incomplete_details: Any | None = None
    instructions: Any | None = None
    metadata: Any | None = None
    tools: list[Any] = Field(default_factory=list)
    tool_choice: Any = "auto"
    parallel_tool_calls: bool = True
    temperature: float | None = None
    top_p: float | None = None
    partial: bool = Field(default=False, exclude=True)
    interrupted: bool = Field(default=False, exclude=True)

    _wire_required: ClassVar[frozenset[str]] = frozenset(
        {
            "error",
            "incomplete_details",
            "instructions",
            "metadata",
            "temperature",
            "top_p",
            "created_at",
        }
    )

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if v is not None or k not in _NOT_NULL}
        if data.get("created_at") is None and data.get("created") is not None:
            data["created_at"] = data["created"]
        if data.get("status") == "canceled":
            data["status"] = "cancelled"
        if not data.get("output") and isinstance(data.get("choices"), list):
            data["output"] = _output_from_choices(data["choices"])
        return data

    @field_validator("output", mode="before")
    @classmethod
    def _typed_items(cls, value: Any) -> Any:
        return [parse_output_item(item) for item in value] if isinstance(value, list) else value

    @property
    def output_text(self) -> str:
        """All `output_text` parts of the `message` items, concatenated (the SDK's convenience)."""
        return "".join(item.text for item in self.output if isinstance(item, OutputMessage))

    @property
    def function_calls(self) -> list[FunctionCall]:
        """The `function_call` items of `output`, in order."""
        return [item for item in self.output if isinstance(item, FunctionCall)]

    @property
    def logprobs(self) -> list[Any]:
        """Per-token logprobs of every text part (empty unless they were requested)."""
        found: list[Any] = []
        for item in self.output:
            if isinstance(item, OutputMessage):
                for part in item.content:
                    if isinstance(part, OutputText) and part.logprobs:
                        found.extend(part.logprobs)
        return found

    def _wire_adjust(self, data: dict[str, Any]) -> dict[str, Any]:
        usage = data.get("usage")
        if isinstance(usage, dict):  # the spec requires both detail objects
            usage.setdefault("input_tokens_details", {"cached_tokens": 0, "cache_write_tokens": 0})
            usage.setdefault("output_tokens_details", {"reasoning_tokens": 0})
        return data

    def __repr__(self) -> str:
        bits = [self.id or "?", self.status or "?", self.model or "?"]
        if self.partial:
            bits.append("interrupted" if self.interrupted else "partial")
        text = self.output_text
        if text:
            bits.append(repr(shorten(text)))
        if self.usage is not None:
            bits.append(f"{self.usage.input_tokens}+{self.usage.output_tokens} tokens")
        return f"<Reply {' '.join(bits)}>"


#: Fields with a non-null default: a compatible server sending `null` gets the default.
_NOT_NULL = frozenset(
    {"id", "object", "model", "output", "tools", "tool_choice", "parallel_tool_calls"}
)


def _output_from_choices(choices: list[Any]) -> list[dict[str, Any]]:
    """Build a `message` item from the first chat-style choice (SEED_DIFFS row 7)."""
    if not choices or not isinstance(choices[0], dict):
        return []
    message = choices[0].get("message") or choices[0].get("delta") or {}
    content = message.get("content") if isinstance(message, dict) else None
    text = content if isinstance(content, str) else ""
    return [
        {
            "type": "message",
            "id": "msg_from_choices",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    ]
