"""The ipywidgets of oainb: playgrounds, the batch progress bar, the background job.

```python
from oainb.notebook.widgets import ResponsesPlayground, playground
ResponsesPlayground()     # one playground
playground()              # all three in tabs
```

The playgrounds live in `oainb.notebook.playgrounds`, one module each; this module
gathers the public names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as widgets

from oainb.notebook.job import BackgroundJob
from oainb.notebook.playgrounds import (
    ResponsesPlayground,
    SpeechPlayground,
    TranscriptionPlayground,
    playground,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from oainb.batch import BatchResult

__all__ = [
    "BackgroundJob",
    "BatchProgress",
    "ResponsesPlayground",
    "SpeechPlayground",
    "TranscriptionPlayground",
    "playground",
]


class BatchProgress(widgets.HBox):
    """The progress bar `oainb.batch` shows in a notebook: `respond ▮▮▮▯ 6/8 · 1 failed`.

    It displays itself when the batch starts; `bar.value` counts finished inputs
    and the label ends with the total cost once the batch is done.
    """

    def __init__(self, *, show: bool = True) -> None:
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description="batch")
        self.label = widgets.HTML(value="")
        super().__init__(children=[self.bar, self.label])
        self._show = show

    def start(self, total: int, kind: str) -> None:
        self.bar.max = max(total, 1)
        self.bar.value = 0
        self.bar.description = kind
        self.label.value = f"0/{total}"
        if self._show:
            from IPython.display import display

            display(self)

    def update(self, snapshot: BatchResult) -> None:
        self.bar.value = snapshot.done
        failed = len(snapshot.errors)
        self.label.value = f"{snapshot.done}/{len(snapshot)}" + (f" · {failed} failed" if failed else "")
        if failed:
            self.bar.bar_style = "warning"

    def finish(self, result: BatchResult) -> None:
        import html

        self.bar.value = result.done
        self.bar.bar_style = "warning" if result.errors else "success"
        self.label.value = html.escape(result.summary())

    def __repr__(self) -> str:
        return f"<BatchProgress {self.bar.value}/{self.bar.max}>"

