"""`client.responses`: create, stream, retrieve, cancel, delete (and resume) model replies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, overload

import httpx

from oainb._checks import check_response_params, check_resume
from oainb._client import RequestOptions
from oainb._compat import normalize_response_params
from oainb._exceptions import InputError
from oainb._streaming import AsyncReplyStream, ReplyStream, ReplyStreamState
from oainb._types import NOT_GIVEN, NotGiven
from oainb.resources._base import (
    AsyncAPIResource,
    SyncAPIResource,
    given,
    merge_extra,
    parse_json,
    path_id,
)
from oainb.results.reply import Reply

__all__ = ["AsyncResponses", "Responses", "build_create_options", "build_resume_options"]

#: Top-level fields of the spec's CreateResponse; anything else goes through `extra_body`.
CREATE_FIELDS = frozenset(
    {
        "background",
        "context_management",
        "conversation",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)


def build_create_options(
    params: Mapping[str, Any],
    *,
    stream: bool,
    extra_body: Mapping[str, Any] | None = None,
    extra_headers: Mapping[str, str] | None = None,
    timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
) -> RequestOptions:
    """Normalise, check and package a `POST /responses` body (pure; both shells use it).

    Raises:
        InputError: a parameter is unknown or out of range (nothing is sent).
    """
    body = normalize_response_params(dict(params))
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise InputError(
            f"unknown parameter {', '.join(unknown)} for responses.create; "
            "check the spelling, or pass new API fields with extra_body={...}.",
            param=unknown[0],
        )
    if stream:
        body["stream"] = True
    else:
        body.pop("stream", None)
    check_response_params(body)
    return RequestOptions(
        "POST",
        "/responses",
        json=merge_extra(body, extra_body),
        headers=dict(extra_headers or {}),
        stream=stream,
        timeout=timeout,
    )


def build_resume_options(
    response_id: str, starting_after: int | None, *, params: Mapping[str, Any]
) -> RequestOptions:
    """`GET /responses/{id}?stream=true&starting_after=N`, to re-attach to a background reply."""
    if params:
        raise InputError(
            f"resuming with response_id= takes no {', '.join(sorted(params))}; drop them.",
            param=min(params),
        )
    check_resume(response_id, starting_after)
    query: dict[str, Any] = {"stream": True}
    if starting_after is not None:
        query["starting_after"] = starting_after
    path = f"/responses/{path_id(response_id, 'response_id')}"
    return RequestOptions("GET", path, params=query, stream=True)


def _retrieve_options(response_id: str, include: Iterable[str] | None) -> RequestOptions:
    query = {"include[]": list(include)} if include else None
    return RequestOptions("GET", f"/responses/{path_id(response_id, 'response_id')}", params=query)


class Responses(SyncAPIResource):
    """`POST /responses` and friends.

    Example:
        >>> reply = client.responses.create(model="gpt-4o-mini", input="Hi")  # doctest: +SKIP
        >>> reply.output_text  # doctest: +SKIP
        'Hello! How can I help?'
    """

    @overload
    def create(self, *, stream: Literal[False] = False, **params: Any) -> Reply: ...
    @overload
    def create(self, *, stream: Literal[True], **params: Any) -> ReplyStream: ...

    def create(
        self,
        *,
        model: str | NotGiven = NOT_GIVEN,
        input: str | list[Any] | NotGiven = NOT_GIVEN,
        instructions: str | None | NotGiven = NOT_GIVEN,
        max_output_tokens: int | None | NotGiven = NOT_GIVEN,
        temperature: float | None | NotGiven = NOT_GIVEN,
        top_p: float | None | NotGiven = NOT_GIVEN,
        tools: list[dict[str, Any]] | NotGiven = NOT_GIVEN,
        tool_choice: Any = NOT_GIVEN,
        text: dict[str, Any] | NotGiven = NOT_GIVEN,
        reasoning: dict[str, Any] | None | NotGiven = NOT_GIVEN,
        include: list[str] | None | NotGiven = NOT_GIVEN,
        top_logprobs: int | None | NotGiven = NOT_GIVEN,
        metadata: dict[str, str] | None | NotGiven = NOT_GIVEN,
        previous_response_id: str | None | NotGiven = NOT_GIVEN,
        background: bool | None | NotGiven = NOT_GIVEN,
        store: bool | None | NotGiven = NOT_GIVEN,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        **params: Any,
    ) -> Reply | ReplyStream:
        """Create a model reply; with `stream=True`, a `ReplyStream` of events instead.

        Other CreateResponse fields (`parallel_tool_calls`, `service_tier`, ...) pass as
        keywords; the seed guide's names (`max_completion_tokens`, ...) are rewritten.

        Raises:
            InputError: a parameter is unknown or out of range (nothing is sent).
            APIStatusError: the API answered with an error.
        """
        body = given(
            model=model,
            input=input,
            instructions=instructions,
            max_output_tokens=max_output_tokens,
            temperature=temperature,
            top_p=top_p,
            tools=tools,
            tool_choice=tool_choice,
            text=text,
            reasoning=reasoning,
            include=include,
            top_logprobs=top_logprobs,
            metadata=metadata,
            previous_response_id=previous_response_id,
            background=background,
            store=store,
        )
        options = build_create_options(
            {**body, **params},
            stream=stream,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        if stream:
            reply_stream = ReplyStream(
                lambda: self._client.request(options),
                ReplyStreamState(),
                secret=self._client.api_key,
            )
            reply_stream._open()
            return reply_stream
        return Reply.model_validate(parse_json(self._client.request(options)))

    def stream(
        self,
        *,
        response_id: str | None = None,
        starting_after: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        **params: Any,
    ) -> ReplyStream:
        """Stream a new reply (same keywords as `create`), or resume a background one.

        Example:
            >>> with client.responses.stream(model="gpt-4o-mini", input="Hi") as stream:  # doctest: +SKIP
            ...     for event in stream:
            ...         print(event.type)
            >>> client.responses.stream(response_id="resp_1", starting_after=41)  # doctest: +SKIP

        The connection opens when the `with` block (or the iteration) starts.
        """
        if response_id is not None or starting_after is not None:
            options = build_resume_options(response_id or "", starting_after, params=params)
        else:
            options = build_create_options(
                params,
                stream=True,
                extra_body=extra_body,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        state = ReplyStreamState(starting_after=starting_after)
        return ReplyStream(
            lambda: self._client.request(options), state, secret=self._client.api_key
        )

    def retrieve(self, response_id: str, *, include: Iterable[str] | None = None) -> Reply:
        """Fetch a stored reply by id (poll a background reply with it)."""
        response = self._client.request(_retrieve_options(response_id, include))
        return Reply.model_validate(parse_json(response))

    def cancel(self, response_id: str) -> Reply:
        """Cancel a background reply; returns it (status `cancelled`, or as it finished)."""
        path = f"/responses/{path_id(response_id, 'response_id')}/cancel"
        return Reply.model_validate(parse_json(self._client.request(RequestOptions("POST", path))))

    def delete(self, response_id: str) -> None:
        """Delete a stored reply."""
        path = f"/responses/{path_id(response_id, 'response_id')}"
        self._client.request(RequestOptions("DELETE", path))


class AsyncResponses(AsyncAPIResource):
    """`POST /responses` and friends, async."""

    @overload
    async def create(self, *, stream: Literal[False] = False, **params: Any) -> Reply: ...
    @overload
    async def create(self, *, stream: Literal[True], **params: Any) -> AsyncReplyStream: ...

    async def create(
        self,
        *,
        model: str | NotGiven = NOT_GIVEN,
        input: str | list[Any] | NotGiven = NOT_GIVEN,
        instructions: str | None | NotGiven = NOT_GIVEN,
        max_output_tokens: int | None | NotGiven = NOT_GIVEN,
        temperature: float | None | NotGiven = NOT_GIVEN,
        top_p: float | None | NotGiven = NOT_GIVEN,
        tools: list[dict[str, Any]] | NotGiven = NOT_GIVEN,
        tool_choice: Any = NOT_GIVEN,
        text: dict[str, Any] | NotGiven = NOT_GIVEN,
        reasoning: dict[str, Any] | None | NotGiven = NOT_GIVEN,
        include: list[str] | None | NotGiven = NOT_GIVEN,
        top_logprobs: int | None | NotGiven = NOT_GIVEN,
        metadata: dict[str, str] | None | NotGiven = NOT_GIVEN,
        previous_response_id: str | None | NotGiven = NOT_GIVEN,
        background: bool | None | NotGiven = NOT_GIVEN,
        store: bool | None | NotGiven = NOT_GIVEN,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        **params: Any,
    ) -> Reply | AsyncReplyStream:
        """Create a model reply; with `stream=True`, an `AsyncReplyStream` of events instead."""
        body = given(
            model=model,
            input=input,
            instructions=instructions,
            max_output_tokens=max_output_tokens,
            temperature=temperature,
            top_p=top_p,
            tools=tools,
            tool_choice=tool_choice,
            text=text,
            reasoning=reasoning,
            include=include,
            top_logprobs=top_logprobs,
            metadata=metadata,
            previous_response_id=previous_response_id,
            background=background,
            store=store,
        )
        options = build_create_options(
            {**body, **params},
            stream=stream,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        if stream:
            reply_stream = AsyncReplyStream(
                lambda: self._client.request(options),
                ReplyStreamState(),
                secret=self._client.api_key,
            )
            await reply_stream._open()
            return reply_stream
        return Reply.model_validate(parse_json(await self._client.request(options)))

    def stream(
        self,
        *,
        response_id: str | None = None,
        starting_after: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        **params: Any,
    ) -> AsyncReplyStream:
        """Stream a new reply, or resume a background one; use with `async with`."""
        if response_id is not None or starting_after is not None:
            options = build_resume_options(response_id or "", starting_after, params=params)
        else:
            options = build_create_options(
                params,
                stream=True,
                extra_body=extra_body,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        state = ReplyStreamState(starting_after=starting_after)
        return AsyncReplyStream(
            lambda: self._client.request(options), state, secret=self._client.api_key
        )

    async def retrieve(self, response_id: str, *, include: Iterable[str] | None = None) -> Reply:
        """Fetch a stored reply by id (poll a background reply with it)."""
        response = await self._client.request(_retrieve_options(response_id, include))
        return Reply.model_validate(parse_json(response))

    async def cancel(self, response_id: str) -> Reply:
        """Cancel a background reply; returns it (status `cancelled`, or as it finished)."""
        path = f"/responses/{path_id(response_id, 'response_id')}/cancel"
        response = await self._client.request(RequestOptions("POST", path))
        return Reply.model_validate(parse_json(response))

    async def delete(self, response_id: str) -> None:
        """Delete a stored reply."""
        path = f"/responses/{path_id(response_id, 'response_id')}"
        await self._client.request(RequestOptions("DELETE", path))
