"""Accept the seed guide's request shapes and send the spec's (SEED_DIFFS.md, rows 1-4 and 11).

Every alias is rewritten before the body is checked and sent, with a `SeedShapeWarning`
once per alias and process, so old notebooks keep working and say what to change.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

__all__ = [
    "SeedShapeWarning",
    "normalize_chunking_strategy",
    "normalize_response_params",
    "reset_warnings",
]

_warned: set[str] = set()

# Fields the image_generation tool takes; DALL-E-only options are dropped (SEED_DIFFS row 4).
_IMAGE_TOOL_KEYS = {
    "type",
    "model",
    "quality",
    "size",
    "output_format",
    "output_compression",
    "background",
    "moderation",
    "partial_images",
    "input_fidelity",
    "input_image_mask",
    "action",
}


class SeedShapeWarning(UserWarning):
    """A request used the seed guide's shape; oainb rewrote it to the API's shape."""


def reset_warnings() -> None:
    """Forget which aliases were warned about (tests use this to see each warning again)."""
    _warned.clear()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, SeedShapeWarning, stacklevel=4)


def normalize_response_params(params: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a `responses.create` body from the seed guide's shapes to the spec's.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     normalize_response_params({"model": "m", "max_completion_tokens": 64})
        {'model': 'm', 'max_output_tokens': 64}
    """
    params = dict(params)
    for alias in ("max_completion_tokens", "max_tokens"):
        if alias in params:
            value = params.pop(alias)
            _warn_once(
                alias, f"{alias} is a Chat Completions name; sending max_output_tokens instead."
            )
            if params.get("max_output_tokens") is None:
                params["max_output_tokens"] = value
    if isinstance(params.get("input"), list):
        params["input"] = [_normalize_input_item(item) for item in params["input"]]
    if isinstance(params.get("tools"), list):
        params["tools"] = [_normalize_tool(tool) for tool in params["tools"]]
    text = params.get("text")
    if isinstance(text, dict) and isinstance(text.get("format"), dict):
        params["text"] = {**text, "format": _normalize_text_format(text["format"])}
    return params


def _normalize_input_item(item: Any) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("content"), list):
        return item
    role = item.get("role")
    parts = [_normalize_part(part, role) for part in item["content"]]
    return {**item, "content": parts}


def _normalize_part(part: Any, role: Any) -> Any:
    if not isinstance(part, dict):
        return part
    kind = part.get("type")
    if kind == "text":
        _warn_once("part:text", "content part type 'text' is now 'input_text'; rewrote it.")
        return {**part, "type": "output_text" if role == "assistant" else "input_text"}
    if kind == "image_url":
        _warn_once(
            "part:image_url",
            "content part 'image_url' is now 'input_image' with a plain URL; rewrote it.",
        )
        url = part.get("image_url")
        detail = part.get("detail")
        if isinstance(url, dict):
            detail = detail or url.get("detail")
            url = url.get("url")
        return {"type": "input_image", "image_url": url, "detail": detail or "auto"}
    if kind == "file":
        _warn_once("part:file", "content part 'file' is now 'input_file'; rewrote it.")
        found = part.get("file")
        inner: dict[str, Any] = found if isinstance(found, dict) else {}
        rest = {k: v for k, v in part.items() if k not in ("type", "file")}
        return {"type": "input_file", **inner, **rest}
    if kind == "input_image" and "detail" not in part:
        return {**part, "detail": "auto"}
    return part


def _normalize_tool(tool: Any) -> Any:
    if not isinstance(tool, dict):
        return tool
    kind = tool.get("type")
    if kind in ("file_search", "function") and isinstance(tool.get(kind), dict):
        _warn_once(
            f"tool:{kind}", f"the {kind} tool is flat now; moved the nested '{kind}' keys up."
        )
        nested = tool[kind]
        tool = {**{k: v for k, v in tool.items() if k != kind}, **nested}
    if kind == "function":  # the spec requires both keys, as null when unused
        tool = {"parameters": None, "strict": None, **tool}
    if kind in ("dalle", "dall-e", "dall_e"):
        dropped = sorted(set(tool) - _IMAGE_TOOL_KEYS)
        note = f" (dropped {', '.join(dropped)})" if dropped else ""
        _warn_once(
            "tool:dalle", f"there is no '{kind}' tool; sending 'image_generation' instead{note}."
        )
        tool = {k: v for k, v in tool.items() if k in _IMAGE_TOOL_KEYS}
        tool["type"] = "image_generation"
    return tool


def _normalize_text_format(fmt: dict[str, Any]) -> dict[str, Any]:
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("json_schema"), dict):
        _warn_once(
            "text:json_schema", "text.format is flat now; moved the nested 'json_schema' keys up."
        )
        return {"type": "json_schema", **fmt["json_schema"]}
    return fmt


def normalize_chunking_strategy(strategy: Any) -> Any:
    """Flatten the seed's `{"server_vad": {...}}` and rename `silence_timeout_ms` (row 11).

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     normalize_chunking_strategy({"server_vad": {"silence_timeout_ms": 500}})
        {'type': 'server_vad', 'silence_duration_ms': 500}
    """
    if not isinstance(strategy, dict):
        return strategy
    strategy = copy.deepcopy(strategy)
    if isinstance(strategy.get("server_vad"), dict):
        _warn_once(
            "vad:nested", "chunking_strategy is flat now: {'type': 'server_vad', ...}; rewrote it."
        )
        nested = strategy.pop("server_vad")
        strategy = {
            "type": "server_vad",
            **{k: v for k, v in strategy.items() if k != "type"},
            **nested,
        }
    if "silence_timeout_ms" in strategy:
        _warn_once("vad:silence", "silence_timeout_ms is called silence_duration_ms; renamed it.")
        value = strategy.pop("silence_timeout_ms")
        strategy.setdefault("silence_duration_ms", value)
    return strategy
