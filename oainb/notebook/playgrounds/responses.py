"""The Responses playground: prompt, options, Run and Cancel, streamed or in the background."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from oainb.notebook.playgrounds._base import Playground

__all__ = ["ResponsesPlayground"]

_WIDE = widgets.Layout(width="100%")


class ResponsesPlayground(Playground):
    """Try the Responses API without writing code: prompt, options, Run, Cancel.

    ```python
    from oainb.notebook.widgets import ResponsesPlayground
    ResponsesPlayground()
    ```

    Run calls `oainb.notebook.actions.arespond` (the async twin of what `%respond`
    calls) as a task on the kernel's loop and streams the reply into the output;
    Cancel stops it and keeps the partial text. With "background" ticked it calls
    `arespond(background=True)` (what `%respond --background` does, on the kernel's
    loop) and shows a `BackgroundJob`; Cancel then calls the cancel endpoint.

    Args:
        client: the `AsyncClient` to use (default: the session's).
        sync_client: a `Client` for the job widget's own sync calls (only used where no
            event loop runs; default: a new one when needed).
    """

    title = "Responses"

    def __init__(self, *, client: Any = None, sync_client: Any = None, **kwargs: Any) -> None:
        from oainb.notebook.actions import DEFAULT_MODEL, TOOL_NAMES

        self.sync_client = sync_client
        self.prompt = widgets.Textarea(placeholder="Ask something…", description="prompt", layout=_WIDE)
        self.instructions = widgets.Textarea(placeholder="(optional) system instructions",
                                             description="instructions", layout=_WIDE)
        self.model = widgets.Combobox(value=DEFAULT_MODEL, description="model", ensure_option=False,
                                      options=["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1",
                                               "gpt-5-mini", "o4-mini"])
        self.temperature = widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.05,
                                               description="temperature")
        self.top_p = widgets.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.01, description="top_p")
        self.max_output_tokens = widgets.BoundedIntText(
            value=0, min=0, max=128_000, description="max tokens",
            tooltip="max output tokens; 0 means no limit")
        self.tools = widgets.SelectMultiple(options=list(TOOL_NAMES), description="tools", rows=4)
        self.schema = widgets.Textarea(placeholder='(optional) JSON schema, e.g. {"type": "object", ...}',
                                       description="JSON schema", layout=_WIDE)
        self.stream = widgets.Checkbox(value=True, description="stream")
        self.background = widgets.Checkbox(value=False, description="background")
        self.job: Any = None
        self._stop = threading.Event()
        self._in_background = False
        controls = [
            self.prompt, self.instructions,
            widgets.HBox([self.model, self.max_output_tokens]),
            widgets.HBox([self.temperature, self.top_p]),
            widgets.HBox([self.tools, self.schema]),
            widgets.HBox([self.stream, self.background]),
        ]
        super().__init__(controls, client=client, **kwargs)

    def kwargs(self) -> dict[str, Any]:
        """The `respond` arguments the controls hold.

        Raises:
            ValueError: the JSON schema box does not hold a JSON object.
        """
        schema = self.schema.value.strip()
        parsed = None
        if schema:
            try:
                parsed = json.loads(schema)
            except json.JSONDecodeError as exc:
                raise ValueError(f"The JSON schema is not valid JSON: {exc}; fix it or clear the box.") from None
            if not isinstance(parsed, dict):
                raise ValueError("The JSON schema must be a JSON object ({...}).")
        return {
            "prompt": self.prompt.value,
            "model": self.model.value.strip() or None,
            "instructions": self.instructions.value.strip() or None,
            "temperature": self.temperature.value,
            "top_p": self.top_p.value,
            "max_output_tokens": self.max_output_tokens.value or None,
            "tools": list(self.tools.value) or None,
            "schema": parsed,
            "stream": self.stream.value,
            "background": self.background.value,
        }

    async def call(self, on_event: Callable[[Any], None], **kwargs: Any) -> Any:
        from oainb.notebook import actions

        prompt = kwargs.pop("prompt")
        self._stop = threading.Event()
        self._in_background = kwargs.pop("background")
        if self._in_background:
            return await self._background(prompt, kwargs)
        return await actions.arespond(prompt, client=self.client, on_event=on_event,
                                      cancel=self._stop, **kwargs)

    async def _background(self, prompt: str, kwargs: dict[str, Any]) -> Any:
        from oainb.notebook import actions
        from oainb.notebook.job import BackgroundJob

        self.job = BackgroundJob(None, aclient=self.client, client=self.sync_client,
                                 cancel_event=self._stop)
        self.handle.update(widgets.VBox._repr_mimebundle_(self.job) or {})
        kwargs["stream"] = False
        # The job's Cancel sets `cancel=`: the action calls the cancel endpoint at its next poll.
        reply = await actions.arespond(prompt, client=self.client, background=True,
                                       on_event=self.job, cancel=self._stop, **kwargs)
        self.job.on_retrieved(reply)
        return reply

    def _on_cancel(self, _button: Any = None) -> None:
        # First ask politely: the action stops at the next event, closes the stream and
        # returns the partial reply with its cost counted. If no event comes (a stalled
        # server), cancelling the task closes the connection anyway.
        self._stop.set()
        if self.task is not None and not self.task.done() and not self._in_background:
            asyncio.get_running_loop().call_later(CANCEL_GRACE, self._hard_cancel)

    def _hard_cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


#: Seconds Cancel waits for the stream to stop by itself before cancelling the task.
CANCEL_GRACE = 1.0
