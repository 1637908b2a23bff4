"""`BackgroundJob`: the widget that follows a background reply until it is done.

A reply created with `background=True` runs on the server whether or not anybody
watches it. The job widget follows its event stream (`GET /responses/{id}?stream=true`),
shows the status and the elapsed time, and has a Cancel button that calls
`POST /responses/{id}/cancel`. When the connection drops, it reattaches with
`starting_after=<last sequence number seen>`, so no text is lost or repeated.

It can be driven two ways, sharing every step that is not I/O:

* `job.wait()` blocks, with the sync `Client`: what `%respond --background` uses
  (magics run synchronously; Ctrl-C stops the waiting, not the job).
* `job.follow()` returns at once and follows the job as a task on the running event
  loop with `AsyncClient`, so the kernel keeps handling clicks; `await job` waits
  for that task.
* As the `on_event` callback (and `view=`) of `respond(background=True)`, which polls:
  the job then only shows what the library call reports.

A widget displayed twice shares its model, so showing the same job in another cell
shows the same live view; `BackgroundJob.for_id(id)` finds the job already made for an id.
"""

from __future__ import annotations

import asyncio
import html
import threading
import time
import weakref
from collections.abc import Callable, Generator
from typing import Any, ClassVar

import ipywidgets as widgets
from typing_extensions import Self

from oainb._exceptions import APIConnectionError, StreamError

__all__ = ["BackgroundJob"]

TERMINAL = frozenset({"completed", "failed", "cancelled", "incomplete"})
# Drops in a row, with no new event in between, before the job gives up reattaching.
MAX_RECONNECTS = 5
_HINT = "Cancel stops the job on the server. While a cell waits on it, interrupt the kernel (■ / Ctrl-C) first: that stops the waiting, not the job."
# `%respond --background` holds the kernel while it polls, so no click reaches the kernel until
# it returns; Ctrl-C there makes `respond` call the cancel endpoint itself.
_INTERRUPT_HINT = "To cancel: interrupt the kernel (■ / Ctrl-C); that cancels the job on the server too."


class BackgroundJob(widgets.VBox):
    """Status, elapsed time, text so far and a Cancel button for one background reply.

    ```python
    queued = client.responses.create(model="gpt-4o-mini", input="A long story", background=True)
    job = BackgroundJob(queued.id)
    job              # shows the live view
    job.wait()       # -> the final Reply (sync), or `job.follow()` then `await job`
    ```

    Args:
        response_id: the `resp_...` id of a reply created with `background=True`.
        client: the sync `Client` for `wait()` and `cancel()` (default: a new `Client()`).
        aclient: the `AsyncClient` for `follow()`, `await job` and `acancel()`.
        clock: the time source of the elapsed-time display (injectable for tests).
        interrupt_to_cancel: a call that holds the kernel follows the job (`%respond
            --background`): the Cancel button stays disabled, since the kernel cannot take
            the click until the call returns, and the hint says to interrupt the kernel.
    """

    _jobs: ClassVar[weakref.WeakValueDictionary[str, BackgroundJob]] = weakref.WeakValueDictionary()

    def __init__(
        self,
        response_id: str | None = None,
        *,
        client: Any = None,
        aclient: Any = None,
        clock: Callable[[], float] = time.monotonic,
        status: str = "queued",
        cancel_event: threading.Event | None = None,
        interrupt_to_cancel: bool = False,
    ) -> None:
        self.response_id = response_id
        self.cancel_event = cancel_event
        self.status = status
        self.text = ""
        self.reply: Any = None
        self.error: BaseException | None = None
        self.last_sequence_number: int | None = None
        self.reconnects = 0
        self._client, self._aclient, self._clock = client, aclient, clock
        self._started = clock()
        self._ended: float | None = None
        self._task: asyncio.Task[Any] | None = None
        self.status_label = widgets.HTML()
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", button_style="danger",
                                            disabled=interrupt_to_cancel)
        self.cancel_button.on_click(self._on_cancel_click)
        self.body = widgets.HTML()
        self.final = widgets.Output()
        self.hint_text = _INTERRUPT_HINT if interrupt_to_cancel else _HINT
        self.hint = widgets.HTML(f"<small>{html.escape(self.hint_text)}</small>")
        super().__init__(children=[
            widgets.HBox([self.status_label, self.cancel_button]), self.body, self.final, self.hint,
        ])
        self._register()
        self.refresh()

    @classmethod
    def for_id(cls, response_id: str, **kwargs: Any) -> BackgroundJob:
        """The job already made for `response_id` in this kernel, or a new one."""
        job = cls._jobs.get(response_id)
        return job if job is not None else cls(response_id, **kwargs)

    # -- the `LiveView` protocol, so `run_live(respond, ..., view=job)` can drive it ----------

    def start(self) -> None:
        """Show the job in the current output (what `LiveView.start` does)."""
        from IPython.display import display

        display(self)

    def finish(self, result: Any) -> Any:
        """Take the final `Reply` returned by the library call; returns it."""
        self.on_retrieved(result)
        return result

    def status_text(self) -> str:
        """The status line as plain text: `in progress · 3 s · resp_123 · To cancel: ...`."""
        bits = [self.status.replace("_", " "), f"{self.elapsed:.0f} s",
                self.response_id or "starting…"]
        return " · ".join(bits + ([] if self.done else [self.hint_text]))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # The widget view, with the status line (not the one-line repr) as its plain text:
        # what a frontend without the widget manager, or a terminal, shows.
        data = super()._repr_mimebundle_(**kwargs)
        if data:
            data["text/plain"] = f"BackgroundJob: {self.status_text()}"
        return data

    def _register(self) -> None:
        if self.response_id:
            BackgroundJob._jobs[self.response_id] = self

    # -- the steps both drivers share (no I/O) -------------------------------------------

    def __call__(self, event: Any) -> None:
        """Use the job as the `on_event` callback of `respond(background=True)`.

        It takes the library's `PollEvent`s (`.status`, `.reply`) as well as stream events.
        """
        reply = getattr(event, "reply", None)
        if getattr(event, "type", "") == "oainb.poll":
            if reply is not None and self.response_id is None and getattr(reply, "id", None):
                self.response_id = reply.id
                self._register()
            self.status = str(getattr(event, "status", "") or self.status)
            self.refresh()
            return
        self.on_event(event)

    @property
    def done(self) -> bool:
        """True once the reply reached a terminal status (completed, failed, cancelled...)."""
        return self.status in TERMINAL

    @property
    def elapsed(self) -> float:
        """Seconds since the job was attached (frozen once it is done)."""
        end = self._ended if self._ended is not None else self._clock()
        return end - self._started

    def on_event(self, event: Any) -> None:
        """Take one stream event: status, text and the resume point."""
        seq = getattr(event, "sequence_number", None)
        response = getattr(event, "response", None)
        rid = getattr(response, "id", None)
        if self.response_id is None and rid:
            self.response_id = str(rid)
            self._register()
        if seq is not None:
            self.last_sequence_number = seq
        self.reconnects = 0  # progress was made: the next drop starts a fresh count
        kind = getattr(event, "type", "")
        if kind == "response.output_text.delta" and isinstance(getattr(event, "delta", None), str):
            self.text += event.delta
        if response is not None and getattr(response, "status", None):
            self._set_status(response.status, response if response.status in TERMINAL else None)
        self.refresh()

    def on_drop(self, exc: BaseException) -> None:
        """The connection broke: count it; give up (re-raise) after `MAX_RECONNECTS` in a row."""
        self.reconnects += 1
        if self.reconnects > MAX_RECONNECTS:
            self.error = exc
            self.refresh()
            raise exc
        self.refresh(note=f"connection dropped; reattaching after event {self.last_sequence_number}")

    def on_retrieved(self, reply: Any) -> None:
        """The stream ended without a terminal event: take the status the server reports."""
        status = getattr(reply, "status", None) or self.status
        self._set_status(status, reply if status in TERMINAL else None)
        self.refresh()

    def _set_status(self, status: str, final: Any) -> None:
        self.status = status
        if final is not None:
            self.reply = final
            self._ended = self._clock()
            self.cancel_button.disabled = True
            from oainb.display import render_bundle

            # Set the outputs directly: `with self.final:` around a task's awaits would also
            # capture what other cells print meanwhile.
            self.final.outputs = (
                {"output_type": "display_data", "data": render_bundle(final), "metadata": {}},)

    def refresh(self, note: str = "") -> None:
        """Redraw the status line and the text so far."""
        line = (f"<b>{html.escape(self.status.replace('_', ' '))}</b> · {self.elapsed:.0f} s"
                f" · <code>{html.escape(self.response_id or 'starting…')}</code>")
        if note:
            line += f" · <i>{html.escape(note)}</i>"
        if self.error is not None:
            line += f" · <span style='color:#b00'>{html.escape(str(self.error))}</span>"
        self.status_label.value = line
        if self.reply is None:
            self.body.value = f"<div style='white-space:pre-wrap'>{html.escape(self.text)}</div>"
        else:
            self.body.value = ""

    # -- sync driver ---------------------------------------------------------------------

    def wait(self) -> Any:
        """Follow the job with the sync client until it is done; return the final `Reply`.

        Raises:
            StreamError, APIConnectionError: the connection dropped more than
                `MAX_RECONNECTS` times in a row without any new event.
        """
        client = self._sync_client()
        with _Ticker(self.refresh):
            while not self.done:
                try:
                    with client.responses.stream(
                        response_id=self._id(), starting_after=self.last_sequence_number
                    ) as stream:
                        for event in stream:
                            self.on_event(event)
                except (StreamError, APIConnectionError) as exc:
                    self.on_drop(exc)
                    continue
                if not self.done:
                    self.on_retrieved(client.responses.retrieve(self._id()))
        return self.reply

    def cancel(self) -> Any:
        """Ask the server to cancel the job (sync); returns the cancelled `Reply`."""
        reply = self._sync_client().responses.cancel(self._id())
        self.on_retrieved(reply)
        return reply

    # -- async driver (kept parallel to the sync one) -------------------------------------

    async def afollow(self) -> Any:
        """The async twin of `wait()`: follow the job with `AsyncClient`."""
        client = self._async_client()
        with _Ticker(self.refresh):
            while not self.done:
                try:
                    async with client.responses.stream(
                        response_id=self._id(), starting_after=self.last_sequence_number
                    ) as stream:
                        async for event in stream:
                            self.on_event(event)
                except (StreamError, APIConnectionError) as exc:
                    self.on_drop(exc)
                    continue
                if not self.done:
                    self.on_retrieved(await client.responses.retrieve(self._id()))
        return self.reply

    async def acancel(self) -> Any:
        """The async twin of `cancel()`."""
        reply = await self._async_client().responses.cancel(self._id())
        self.on_retrieved(reply)
        return reply

    def follow(self) -> asyncio.Task[Any]:
        """Follow the job as a task on the running event loop; returns at once.

        Raises:
            RuntimeError: there is no running event loop (outside a kernel: use `wait()`).
        """
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.afollow())
        return self._task

    def __await__(self) -> Generator[Any, None, Any]:
        return self.follow().__await__()

    def _on_cancel_click(self, _button: Any = None) -> None:
        if self.done:
            return  # a click queued while a cell held the kernel, handled after the job ended
        self.refresh(note="cancelling…")
        if self.cancel_event is not None:
            # A library call is polling this job (`respond(background=True, cancel=...)`):
            # it calls the cancel endpoint itself at its next poll.
            self.cancel_event.set()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.cancel()  # no loop (a plain script): a short sync request
            return
        # A task keeps a strong reference here: the loop itself only keeps a weak one.
        self._cancel_task = loop.create_task(self.acancel())

    def _id(self) -> str:
        if not self.response_id:
            raise RuntimeError("This job has no response id yet; wait for the reply to be created.")
        return self.response_id

    def _sync_client(self) -> Any:
        if self._client is None:
            from oainb import Client

            self._client = Client()
        return self._client

    def _async_client(self) -> Any:
        if self._aclient is None:
            from oainb import AsyncClient

            self._aclient = AsyncClient()
        return self._aclient

    def __repr__(self) -> str:
        return f"<BackgroundJob {self.response_id} {self.status} {self.elapsed:.0f}s>"


class _Ticker:
    """Calls `tick` every `interval` seconds on a daemon thread, so the elapsed time moves
    while a stream is quiet (a queued job sends nothing for a while)."""

    def __init__(self, tick: Callable[[], None], interval: float = 1.0) -> None:
        self._tick, self._interval = tick, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="oainb-job-ticker", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._tick()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
