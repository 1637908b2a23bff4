"""Everything `respond` does without I/O: the request from its options, the budget check, and
pricing what came back. The sync and async shells in `_respond` both use it.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from oainb._exceptions import InputError
from oainb.cost import CostEstimate, count_tokens, estimate_reply, price_usage
from oainb.display import annotate
from oainb.notebook._session import Session, is_local

__all__ = [
    "CONTINUE",
    "DEFAULT_MODEL",
    "TOOL_NAMES",
    "PollEvent",
    "ReplyCall",
    "begin_reply",
    "interrupted",
    "is_cancelled",
]

DEFAULT_MODEL = "gpt-4o-mini"
#: `previous_response_id=CONTINUE` follows on from the last reply of this session.
CONTINUE = "__oainb_continue__"
TOOL_NAMES = ("web_search", "file_search", "code_interpreter", "image_generation")
_TOOLS: dict[str, dict[str, Any]] = {
    "web_search": {"type": "web_search"},
    "file_search": {"type": "file_search", "vector_store_ids": []},
    "code_interpreter": {"type": "code_interpreter", "container": {"type": "auto"}},
    "image_generation": {"type": "image_generation"},
}


@dataclass
class PollEvent:
    """What `respond(background=True)` reports to `on_event` at each poll."""

    status: str
    reply: Any = None
    type: str = "oainb.poll"


def _tools(tools: Any) -> list[Any] | None:
    if not tools:
        return None
    if isinstance(tools, str):
        tools = [t.strip() for t in tools.split(",") if t.strip()]
    out = []
    for tool in tools:
        if isinstance(tool, dict):
            out.append(tool)
        elif tool in _TOOLS:
            out.append(dict(_TOOLS[tool]))
        else:
            raise InputError(f"Unknown tool {tool!r}; choose from {', '.join(TOOL_NAMES)}.", param="tools")
    return out


def _text_format(schema: Any, json_mode: bool) -> dict[str, Any] | None:
    if schema is not None:
        if hasattr(schema, "model_json_schema"):  # a pydantic model class
            name, body = schema.__name__, schema.model_json_schema()
        elif isinstance(schema, dict):
            name, body = str(schema.get("title") or "output"), schema
        else:
            raise InputError("schema must be a JSON-schema dict or a pydantic model class.", param="schema")
        body = _strict_schema(dict(body)) if body.get("type") == "object" else body
        return {"format": {"type": "json_schema", "name": name[:64], "schema": body, "strict": False}}
    if json_mode:
        return {"format": {"type": "json_object"}}
    return None


def _strict_schema(body: dict[str, Any]) -> dict[str, Any]:
    body.setdefault("additionalProperties", False)
    return body


def _reply_params(
    *,
    model: str,
    instructions: str | None,
    temperature: float | None,
    top_p: float | None,
    max_output_tokens: int | None,
    tools: Any,
    schema: Any,
    json: bool,
    logprobs: int | None,
    previous_response_id: str | None,
) -> dict[str, Any]:
    """The keyword arguments of `responses.create`, without the ones left unset."""
    params: dict[str, Any] = {
        "instructions": instructions,
        "temperature": temperature,
        "top_p": top_p,
        "max_output_tokens": max_output_tokens,
        "tools": _tools(tools),
        "text": _text_format(schema, json),
        "previous_response_id": previous_response_id,
    }
    if logprobs is not None:
        params["top_logprobs"] = logprobs
        params["include"] = ["message.output_text.logprobs"]
    return {k: v for k, v in params.items() if v is not None}


def _previous(previous_response_id: str | None, state: Session) -> str | None:
    if previous_response_id != CONTINUE:
        return previous_response_id
    if state.previous_response_id is None:
        raise InputError("There is no earlier reply in this session to continue from; drop --continue.")
    return state.previous_response_id


@dataclass
class ReplyCall:
    """One `respond` call once checked: what both shells send, and how to settle it."""

    state: Session
    client: Any
    model: str
    prompt: str
    params: dict[str, Any]
    estimate: CostEstimate
    started: float = field(default_factory=time.monotonic)

    def settle(self, reply: Any) -> Any:
        """Price a finished (or interrupted) reply, record it, remember its id."""
        usage = reply.usage
        if usage is None:  # interrupted: count what was sent and what arrived
            usage = {"input_tokens": count_tokens(self.prompt, model=self.model),
                     "output_tokens": count_tokens(reply.output_text, model=self.model)}
        cost = price_usage(self.model, usage, local=self.estimate.local)
        if reply.usage is None:
            cost = dataclasses.replace(cost, estimated=True)
        self.state.ledger.record(cost, kind="respond", label=reply.id or "")
        if reply.id and not getattr(reply, "partial", False):
            self.state.previous_response_id = reply.id
        return annotate(reply, cost=cost, elapsed=time.monotonic() - self.started,
                        estimate=self.estimate)


def begin_reply(prompt: str, client: Any, state: Session, *, model: str | None,
                 instructions: str | None, max_output_tokens: int | None,
                 previous_response_id: str | None, **options: Any) -> ReplyCall:
    """Build the request and check the budget: everything `respond` does before sending."""
    model = model or DEFAULT_MODEL
    params = _reply_params(model=model, instructions=instructions,
                           max_output_tokens=max_output_tokens,
                           previous_response_id=_previous(previous_response_id, state), **options)
    estimate = estimate_reply(model, prompt, max_output_tokens, instructions=instructions,
                              local=is_local(client))
    state.ledger.check(estimate)
    params.update(model=model, input=prompt)
    return ReplyCall(state=state, client=client, model=model, prompt=prompt, params=params,
                      estimate=estimate)


def is_cancelled(cancel: Any) -> bool:
    if cancel is None:
        return False
    is_set = getattr(cancel, "is_set", None)
    return bool(is_set() if callable(is_set) else cancel())


def interrupted(reply: Any) -> Any:
    return reply.model_copy(update={"interrupted": True, "partial": True})
