"""Reading a ``POST /v1/responses`` body: checks with OpenAI's limits and messages for the model.

Everything here is pure: a body goes in, a :class:`Request` (or a 400 naming the parameter)
comes out. The local text model reads chat messages, so input items become
``{"role", "content"}`` dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from oainb.server.errors import ServerError, invalid

__all__ = ["HOSTED_TOOLS", "TextRequest", "output_to_messages", "parse_request", "to_messages"]

# Tools OpenAI runs on its side; the local models cannot, so they are refused by name.
HOSTED_TOOLS = {
    "web_search": "searches the web",
    "web_search_preview": "searches the web",
    "web_search_2025_08_26": "searches the web",
    "web_search_preview_2025_03_11": "searches the web",
    "file_search": "searches vector stores",
    "code_interpreter": "runs code in a container",
    "image_generation": "generates images",
    "mcp": "calls remote MCP servers",
    "computer_use_preview": "drives a computer",
    "computer_use": "drives a computer",
    "computer": "drives a computer",
    "local_shell": "runs shell commands",
    "shell": "runs shell commands",
    "apply_patch": "edits files",
    "tool_search": "searches tools",
}

_KNOWN = {
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
    "max_tool_calls", "max_output_tokens", "temperature", "top_p", "top_logprobs", "reasoning",
    "text", "include", "stream", "stream_options", "background", "store",
    "previous_response_id", "conversation", "truncation", "metadata", "service_tier",
    "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "prompt_cache_options",
    "user", "prompt", "moderation", "context_management",
}
_INCLUDES = {
    "file_search_call.results", "web_search_call.results", "web_search_call.action.sources",
    "message.input_image.image_url", "computer_call_output.output.image_url",
    "code_interpreter_call.outputs", "reasoning.encrypted_content", "message.output_text.logprobs",
}
_TEXT_PARTS = {"input_text", "output_text", "text", "summary_text", "reasoning_text"}


@dataclass
class TextRequest:
    """A checked ``POST /v1/responses`` body."""

    model: str
    messages: list[dict[str, str]]  # the new input, as chat messages
    params: dict[str, Any]  # what the Response object echoes
    instructions: str | None = None
    stream: bool = False
    background: bool = False
    store: bool = True
    logprobs: bool = False
    json_schema: dict[str, Any] | None = None
    functions: list[dict[str, Any]] = field(default_factory=list)
    call: str | dict[str, Any] | None = None  # tool_choice when a function call is forced
    previous_response_id: str | None = None


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"'{name}' must be a number.", param=name, code="invalid_type")
    if not low <= value <= high:
        raise invalid(f"'{name}' must be between {low} and {high}; got {value}.", param=name)
    return float(value)


def _integer(body: dict[str, Any], name: str, low: int, high: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"'{name}' must be an integer.", param=name, code="invalid_type")
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        code = "integer_below_min_value" if value < low else "integer_above_max_value"
        raise invalid(f"'{name}' must be {bound}; got {value}.", param=name, code=code)
    return value


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(f"'{name}' must be true or false.", param=name, code="invalid_type")
    return value


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("'metadata' must be an object of strings.", param="metadata")
    if len(value) > 16:
        raise invalid("'metadata' can have at most 16 keys.", param="metadata")
    for key, item in value.items():
        if len(key) > 64 or not isinstance(item, str) or len(item) > 512:
            raise invalid(
                "'metadata' keys must be at most 64 characters and values strings of at "
                f"most 512 characters (key {key[:64]!r}).",
                param="metadata",
            )
    return dict(value)


def _text_format(text: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The echoed ``text.format`` and the JSON schema the output must follow (if any)."""
    if text is None:
        return {"type": "text"}, None
    fmt = text.get("format") if isinstance(text, dict) else None
    if fmt is None:
        return {"type": "text"}, None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return {"type": "text"}, None
    if kind == "json_object":
        return {"type": "json_object"}, {"type": "object"}
    if kind == "json_schema":
        schema = fmt.get("schema")
        name = fmt.get("name")
        if not isinstance(name, str) or not name:
            raise invalid("text.format.name is required for json_schema.",
                          param="text.format.name", code="missing_required_parameter")
        if not isinstance(schema, dict):
            raise invalid("text.format.schema must be a JSON Schema object.",
                          param="text.format.schema")
        echoed = {"type": "json_schema", "name": name, "schema": schema,
                  "strict": fmt.get("strict", True)}
        if fmt.get("description") is not None:
            echoed["description"] = fmt["description"]
        return echoed, schema
    raise invalid("text.format.type must be 'text', 'json_object' or 'json_schema'.",
                  param="text.format.type")


def _hosted(kind: str) -> ServerError:
    what = HOSTED_TOOLS.get(kind, "runs on OpenAI's side")
    return invalid(
        f"The tool '{kind}' {what} on OpenAI's servers; the local oainb backend runs only "
        "small local models and supports function tools only. Use an OpenAI API key for "
        f"'{kind}', or remove it.",
        param="tools",
        code="unsupported_tool",
    )


def _tools(tools: Any) -> list[dict[str, Any]]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid("'tools' must be a list.", param="tools", code="invalid_type")
    functions = []
    for index, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function":
            if kind in HOSTED_TOOLS:
                raise _hosted(kind)
            raise invalid(f"tools[{index}] has type {kind!r}; the local backend supports "
                          "'function' tools only.", param=f"tools[{index}].type")
        if not isinstance(tool.get("name"), str) or not tool["name"]:
            raise invalid(f"tools[{index}].name is required.", param=f"tools[{index}].name",
                          code="missing_required_parameter")
        functions.append({"type": "function", "name": tool["name"],
                          "description": tool.get("description"),
                          "parameters": tool.get("parameters"),
                          "strict": tool.get("strict", True)})
    return functions


def _tool_choice(choice: Any, functions: list[dict[str, Any]]) -> str | dict[str, Any] | None:
    """The forced call (``"required"`` or a named function), or None for a text answer."""
    if choice is None or choice in ("auto", "none"):
        return None
    names = {f["name"] for f in functions}
    if choice == "required":
        if not functions:
            raise invalid("tool_choice 'required' needs at least one function tool.",
                          param="tool_choice")
        return "required"
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "function":
        if choice.get("name") not in names:
            raise invalid(f"tool_choice names the function {choice.get('name')!r}, which is "
                          "not among the tools.", param="tool_choice")
        return {"type": "function", "name": choice["name"]}
    if kind == "allowed_tools":
        return "required" if choice.get("mode") == "required" else None
    if kind in HOSTED_TOOLS:
        raise _hosted(kind)
    raise invalid("tool_choice must be 'none', 'auto', 'required' or a function.",
                  param="tool_choice")


def _content_text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid(f"{where}.content must be a string or a list of parts.", param=where)
    texts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in _TEXT_PARTS:
            texts.append(str(part.get("text", "")))
        elif kind == "refusal":
            texts.append(str(part.get("refusal", "")))
        else:
            raise invalid(
                f"{where} holds a {kind!r} part; the local text model reads text only. Send "
                "images and files to an OpenAI model, or describe them in text.",
                param=where, code="unsupported_content",
            )
    return "".join(texts)


def to_messages(value: Any) -> list[dict[str, str]]:
    """Input (a string or a list of items) as chat messages for the local model."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise invalid("'input' must be a string or a list of items.", param="input")
    messages = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid(f"input[{index}] must be an object.", param=f"input[{index}]")
        message = _item_message(item, f"input[{index}]")
        if message is not None:
            messages.append(message)
    return messages


def _item_message(item: dict[str, Any], where: str) -> dict[str, str] | None:
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role", "user")
        if role not in ("user", "assistant", "system", "developer"):
            raise invalid(f"{where}.role must be user, assistant, system or developer.",
                          param=f"{where}.role")
        role = "system" if role == "developer" else role
        return {"role": role, "content": _content_text(item.get("content", ""), where)}
    if kind == "function_call":
        call = {"name": item.get("name"), "arguments": item.get("arguments", "")}
        return {"role": "assistant", "content": json.dumps(call)}
    if kind == "function_call_output":
        output = item.get("output", "")
        text = output if isinstance(output, str) else _content_text(output, where)
        return {"role": "user", "content": f"Function result: {text}"}
    if kind == "reasoning":
        return None
    raise invalid(f"{where} has type {kind!r}, which the local backend cannot use.",
                  param=f"{where}.type", code="unsupported_item")


def output_to_messages(output: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A stored response's output items as the chat messages that continue the conversation."""
    messages = []
    for item in output:
        if item.get("type") == "message":
            text = "".join(p.get("text", "") for p in item.get("content", [])
                           if p.get("type") == "output_text")
            messages.append({"role": "assistant", "content": text})
        elif item.get("type") == "function_call":
            messages.append(_item_message(item, "output") or {})
    return messages


def parse_request(body: dict[str, Any]) -> TextRequest:
    """Check a ``POST /v1/responses`` body; raise a 400 naming the first bad parameter."""
    unknown = sorted(set(body) - _KNOWN)
    if unknown:
        raise invalid(f"Unknown parameter: '{unknown[0]}'.", param=unknown[0],
                      code="unknown_parameter")
    for name, what in (("conversation", "the Conversations API"),
                       ("prompt", "stored prompt templates")):
        if body.get(name) is not None:
            raise invalid(f"'{name}' needs {what}, which the local oainb backend does not have; "
                          "use previous_response_id to continue a conversation.", param=name,
                          code="unsupported_parameter")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("'model' is required, e.g. gpt-4o-mini.", param="model",
                      code="missing_required_parameter")
    if body.get("input") is None:
        raise invalid("'input' is required.", param="input", code="missing_required_parameter")
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        instructions = "\n".join(m["content"] for m in to_messages(instructions))
    include = body.get("include") or []
    for entry in include:
        if entry not in _INCLUDES:
            raise invalid(f"include has an unknown value {entry!r}.", param="include")
    fmt, schema = _text_format(body.get("text"))
    functions = _tools(body.get("tools"))
    call = _tool_choice(body.get("tool_choice"), functions)
    store = _flag(body, "store", True)
    background = _flag(body, "background", False)
    if background and not store:
        raise invalid("background responses must be stored: drop store=false.", param="store")
    params: dict[str, Any] = {
        "instructions": instructions,
        "temperature": _number(body, "temperature", 0, 2),
        "top_p": _number(body, "top_p", 0, 1),
        "max_output_tokens": _integer(body, "max_output_tokens", 16),
        "top_logprobs": _integer(body, "top_logprobs", 0, 20),
        "metadata": _metadata(body.get("metadata")),
        "format": fmt,
        "tools": functions,
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": _flag(body, "parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "store": store,
    }
    params = {k: v for k, v in params.items() if v is not None or k == "instructions"}
    return TextRequest(
        model=model, messages=to_messages(body["input"]), params=params,
        instructions=instructions, stream=_flag(body, "stream", False), background=background,
        store=store, logprobs="message.output_text.logprobs" in include, json_schema=schema,
        functions=functions, call=call, previous_response_id=body.get("previous_response_id"),
    )
