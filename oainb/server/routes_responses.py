"""``/v1/responses``: create (plain, streamed, background), retrieve, resume, cancel, delete."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oainb.server.app import ServerState, state_of
from oainb.server.errors import invalid, not_found
from oainb.server.jobs import Job
from oainb.server.routes_responses_input import TextRequest, output_to_messages, parse_request
from oainb.server.routes_responses_run import ResponseRun, skeleton
from oainb.server.routes_speech import read_json
from oainb.server.sse import sse_response
from oainb.server.store import TERMINAL

__all__ = ["response_routes"]

log = logging.getLogger("oainb.server")


class _Sink:
    """Where a run's events go: the job's readers, and the store once the response is kept.

    Events emitted before :meth:`persist` (``created`` and ``queued``, made before the job is
    accepted into the queue) are written when it is called, under the same lock, so none is
    lost or doubled if the worker starts at once.
    """

    def __init__(self, job: Job, state: ServerState, response_id: str) -> None:
        self._job = job
        self._store = state.store
        self._id = response_id
        self._persist = False
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._job.emit(event)
            if self._persist:
                self._store.add_event(self._id, event)

    def persist(self) -> None:
        with self._lock:
            for event in self._job.items:
                self._store.add_event(self._id, event)
            self._persist = True


def _history(state: ServerState, req: TextRequest) -> list[dict[str, str]]:
    """The conversation so far, when the request continues a stored response."""
    previous = req.previous_response_id
    if not previous:
        return []
    body = state.store.get(previous)
    items = state.store.items(previous)
    if body is None or items is None:
        raise invalid(f"Previous response with id '{previous}' not found.",
                      param="previous_response_id", code="previous_response_not_found")
    return [*items, *output_to_messages(body.get("output", []))]


def _generation(engine: Any, req: TextRequest, messages: list[dict[str, str]],
                cancel: threading.Event) -> Any:
    params = req.params
    top = params.get("top_logprobs", 0) if req.logprobs else None
    if req.call is not None:
        return engine.generate_call(
            messages, req.functions, req.call, temperature=params.get("temperature"),
            cancel=cancel, max_tokens=params.get("max_output_tokens"))
    return engine.generate(
        messages, max_tokens=params.get("max_output_tokens"),
        temperature=params.get("temperature"), top_p=params.get("top_p"), top_logprobs=top,
        json_schema=req.json_schema, cancel=cancel)


def _start(state: ServerState, req: TextRequest) -> tuple[Job, ResponseRun]:
    """Queue the generation of one response; its opening events are emitted here or in the job."""
    engine = state.engines.text(req.model)
    items = [*_history(state, req), *req.messages]
    system = [{"role": "system", "content": req.instructions}] if req.instructions else []
    body = skeleton(req.params, model=engine.name, background=req.background)
    rid = body["id"]

    def work(job: Job) -> dict[str, Any]:
        try:
            result = _generate(job)
            if req.store:
                state.store.put(run.snapshot(), items=items, background=req.background)
        finally:
            state.live.pop(rid, None)
        return result

    def _generate(job: Job) -> dict[str, Any]:
        generation = None
        if not job.cancel.is_set():
            try:
                # Made before any event, so a prompt too long is a plain 400 in the foreground.
                generation = _generation(engine, req, [*system, *items], job.cancel)
            except Exception as exc:
                if not req.background:
                    raise
                return run.fail(f"The local model could not start: {exc}")
            if not req.background:
                run.start()
        try:
            return run.run(generation, job.cancel)
        except Exception as exc:
            log.exception("generation of %s failed", rid)
            return run.fail(f"The local model failed: {exc}")

    job = Job(work, name=rid)
    sink = _Sink(job, state, rid)
    run = ResponseRun(body, emit=sink, logprobs=req.logprobs)
    if req.background:
        # Stored before the worker can touch it, so its final state is always the last write.
        run.start()
        state.store.put(run.snapshot(), items=items, background=True)
        sink.persist()
    state.live[rid] = (job, run)
    try:
        state.lane("text").put(job)
    except Exception:
        state.live.pop(rid, None)
        if req.background:
            state.store.delete(rid)
        raise
    return job, run


async def _events(job: Job, start: int = 0, *, stop_on_leave: bool) -> AsyncIterator[Any]:
    try:
        async for event in job.follow(start):
            yield event
    finally:
        if stop_on_leave and not job.done:
            job.cancel.set()  # a foreground stream whose reader left: stop generating


async def create(request: Request) -> Response:
    req = parse_request(await read_json(request))
    state = state_of(request)
    job, run = _start(state, req)
    if req.stream:
        if not req.background:
            await job.started()  # a prompt too long is a 400, not a broken stream
        return sse_response(_events(job, stop_on_leave=not req.background))
    if req.background:
        return JSONResponse(run.snapshot())
    await _wait_or_leave(request, job)
    return JSONResponse(run.snapshot())


async def _settled(job: Job) -> None:
    """Wait for a job to end, however it ends (its run records failures in the body)."""
    with contextlib.suppress(Exception):
        await job.wait()


async def _wait_or_leave(request: Request, job: Job) -> None:
    """Wait for a foreground job; stop it if the client hangs up first (Ctrl-C in a kernel)."""
    waiting = asyncio.ensure_future(job.wait())
    try:
        while not waiting.done():
            await asyncio.wait({waiting}, timeout=0.5)
            if not waiting.done() and await request.is_disconnected():
                job.cancel.set()
                await _settled(job)
                return
        waiting.result()
    finally:
        waiting.cancel()


def _found(state: ServerState, rid: str) -> dict[str, Any]:
    live = state.live.get(rid)
    if live is not None:
        snapshot: dict[str, Any] = live[1].snapshot()
        return snapshot
    body = state.store.get(rid)
    if body is None:
        raise not_found("response", rid)
    return body


def _starting_after(request: Request) -> int:
    raw = request.query_params.get("starting_after")
    if raw is None or raw == "":
        return -1
    try:
        return int(raw)
    except ValueError:
        raise invalid("starting_after must be an integer sequence number.",
                      param="starting_after") from None


async def retrieve(request: Request) -> Response:
    state = state_of(request)
    rid = request.path_params["response_id"]
    body = _found(state, rid)
    if request.query_params.get("stream", "false").lower() != "true":
        return JSONResponse(body)
    after = _starting_after(request)
    if not body.get("background"):
        raise invalid("Only responses created with background=true can be streamed again.",
                      param="stream")
    live = state.live.get(rid)
    if live is not None:
        # Sequence numbers are the job's item indexes: the live events replay from memory.
        return sse_response(_events(live[0], after + 1, stop_on_leave=False))
    return sse_response(_stored(state.store.events_after(rid, after)))


async def _stored(events: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for event in events:
        yield event


async def cancel(request: Request) -> Response:
    state = state_of(request)
    rid = request.path_params["response_id"]
    body = _found(state, rid)
    if not body.get("background"):
        raise invalid("Only responses created with background=true can be cancelled.",
                      param="response_id", code="not_background")
    live = state.live.get(rid)
    if live is None or body.get("status") in TERMINAL:
        return JSONResponse(body)
    job, run = live
    await run_in_threadpool(state.lane("text").cancel, job)
    await _settled(job)
    return JSONResponse(run.snapshot())


async def delete(request: Request) -> Response:
    state = state_of(request)
    rid = request.path_params["response_id"]
    live = state.live.get(rid)
    if live is not None:
        # Stop it first, so the worker does not store the response again after we delete it.
        await run_in_threadpool(state.lane("text").cancel, live[0])
        await _settled(live[0])
    if not state.store.delete(rid) and live is None:
        raise not_found("response", rid)
    # The body OpenAI documents for this endpoint (the spec gives it no schema).
    return JSONResponse({"id": rid, "object": "response", "deleted": True})


def response_routes() -> list[Route]:
    return [
        Route("/v1/responses", create, methods=["POST"]),
        Route("/v1/responses/{response_id}", retrieve, methods=["GET"]),
        Route("/v1/responses/{response_id}", delete, methods=["DELETE"]),
        Route("/v1/responses/{response_id}/cancel", cancel, methods=["POST"]),
    ]
