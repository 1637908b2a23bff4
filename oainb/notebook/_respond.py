"""`respond` and `arespond`: the I/O shells around `_reply_request`, kept parallel line by line.

Three ways to wait for a reply: a stream (the default), a background reply polled until it is
done, or one plain request. Ctrl-C (sync) keeps the partial reply and returns it; cancelling
the task (async) records the partial reply's cost and re-raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from oainb._exceptions import OainbError
from oainb.notebook._reply_request import (
    PollEvent,
    ReplyCall,
    begin_reply,
    interrupted,
    is_cancelled,
)
from oainb.notebook._session import session

__all__ = ["POLL_INTERVAL", "arespond", "respond"]

#: Seconds between polls of a background reply.
POLL_INTERVAL = 0.5
_PENDING = ("queued", "in_progress")
OnEvent = Callable[[Any], None] | None


def _stream_reply(call: ReplyCall, on_event: OnEvent, cancel: Any) -> Any:
    stream = call.client.responses.stream(**call.params)
    try:
        for event in stream:
            if on_event is not None:
                on_event(event)
            if is_cancelled(cancel):
                break
    except KeyboardInterrupt:
        pass  # Ctrl-C: keep what arrived; close() below marks the reply interrupted
    finally:
        stream.close()
    return stream.reply


def _poll_reply(call: ReplyCall, on_event: OnEvent, cancel: Any,
                sleep: Callable[[float], None]) -> Any:
    responses = call.client.responses
    reply = responses.create(**call.params, background=True)
    try:
        while reply.status in _PENDING:
            if on_event is not None:
                on_event(PollEvent(status=str(reply.status), reply=reply))
            if is_cancelled(cancel):
                return interrupted(responses.cancel(reply.id))
            sleep(POLL_INTERVAL)
            reply = responses.retrieve(reply.id)
    except KeyboardInterrupt:
        return interrupted(responses.cancel(reply.id))
    return reply


def respond(
    prompt: str,
    *,
    client: Any = None,
    model: str | None = None,
    instructions: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    max_output_tokens: int | None = None,
    tools: Any = None,
    schema: Any = None,
    json: bool = False,
    logprobs: int | None = None,
    background: bool = False,
    stream: bool = True,
    previous_response_id: str | None = None,
    on_event: OnEvent = None,
    cancel: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Ask a model; the returned `Reply` carries its cost and displays as Markdown.

    Args:
        prompt: the user's message.
        client: an `oainb.Client` (default: the session's).
        model: the model (default `DEFAULT_MODEL`).
        tools: tool names (`"web_search,code_interpreter"`) or tool objects.
        schema: a JSON-schema dict or pydantic model the reply must follow; `json=True` asks for
            any JSON object instead.
        logprobs: how many alternatives to report per token (adds per-token logprobs).
        background: run as a background reply and poll it (`on_event` gets `PollEvent`s).
        stream: stream the reply (`on_event` gets each `ReplyEvent`).
        previous_response_id: follow on from this reply; `CONTINUE` means the last one.
        cancel: a `threading.Event` (or a callable) that stops the call when set.

    Returns:
        The `Reply`; after Ctrl-C or `cancel`, the partial reply with `interrupted=True`.

    Raises:
        BudgetExceededError: the estimate would pass the session budget.
        OainbError: the API refused the call or could not be reached.

    Example:
        >>> reply = respond("Name a prime number.", max_output_tokens=20)  # doctest: +SKIP
    """
    state = session()
    call = begin_reply(
        prompt, client or state.get_client(), state, model=model, instructions=instructions,
        temperature=temperature, top_p=top_p, max_output_tokens=max_output_tokens, tools=tools,
        schema=schema, json=json, logprobs=logprobs, previous_response_id=previous_response_id,
    )
    if background:
        reply = _poll_reply(call, on_event, cancel, sleep)
    elif stream:
        reply = _stream_reply(call, on_event, cancel)
    else:
        reply = call.client.responses.create(**call.params)
    return call.settle(reply)


async def _astream_reply(call: ReplyCall, on_event: OnEvent, cancel: Any) -> Any:
    stream = call.client.responses.stream(**call.params)
    try:
        async for event in stream:
            if on_event is not None:
                on_event(event)
            if is_cancelled(cancel):
                break
    except asyncio.CancelledError:
        # The task was cancelled (a hard Cancel): what was sent and received still costs.
        await stream.close()  # marks the reply interrupted
        call.settle(stream.reply)
        raise
    finally:
        await stream.close()
    return stream.reply


async def _apoll_reply(call: ReplyCall, on_event: OnEvent, cancel: Any,
                       sleep: Callable[[float], Awaitable[None]]) -> Any:
    responses = call.client.responses
    reply = await responses.create(**call.params, background=True)
    try:
        while reply.status in _PENDING:
            if on_event is not None:
                on_event(PollEvent(status=str(reply.status), reply=reply))
            if is_cancelled(cancel):
                return interrupted(await responses.cancel(reply.id))
            await sleep(POLL_INTERVAL)
            reply = await responses.retrieve(reply.id)
    except asyncio.CancelledError:
        # The task was cancelled: stop the job on the server too (as Ctrl-C does), and count
        # it. A failed cancel request must not replace the cancellation itself.
        with contextlib.suppress(OainbError):
            reply = await responses.cancel(reply.id)
        call.settle(interrupted(reply))
        raise
    return reply


async def arespond(
    prompt: str,
    *,
    client: Any = None,
    model: str | None = None,
    instructions: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    max_output_tokens: int | None = None,
    tools: Any = None,
    schema: Any = None,
    json: bool = False,
    logprobs: int | None = None,
    background: bool = False,
    stream: bool = True,
    previous_response_id: str | None = None,
    on_event: OnEvent = None,
    cancel: Any = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Any:
    """The async twin of `respond`, for widget callbacks that run as tasks on the kernel's loop.

    Setting `cancel` stops the call and returns the partial reply (for a background reply:
    after calling the cancel endpoint). Cancelling the task closes the stream (or cancels the
    background reply on the server), records the partial reply's cost in the ledger, and
    re-raises `asyncio.CancelledError`.

    Example:
        >>> reply = await arespond("Name a prime number.", background=True)  # doctest: +SKIP
    """
    state = session()
    call = begin_reply(
        prompt, client or state.get_async_client(), state, model=model, instructions=instructions,
        temperature=temperature, top_p=top_p, max_output_tokens=max_output_tokens, tools=tools,
        schema=schema, json=json, logprobs=logprobs, previous_response_id=previous_response_id,
    )
    if background:
        reply = await _apoll_reply(call, on_event, cancel, sleep)
    elif stream:
        reply = await _astream_reply(call, on_event, cancel)
    else:
        reply = await call.client.responses.create(**call.params)
    return call.settle(reply)
