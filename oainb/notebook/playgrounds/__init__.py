"""The widget playgrounds: the Responses, Transcription and Speech APIs without code.

```python
import oainb.notebook.playgrounds as pg
pg.playground()     # all three in tabs
```
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from oainb.notebook.playgrounds._base import Playground
from oainb.notebook.playgrounds.audio import SpeechPlayground, TranscriptionPlayground
from oainb.notebook.playgrounds.responses import ResponsesPlayground

__all__ = [
    "Playground",
    "PlaygroundTabs",
    "ResponsesPlayground",
    "SpeechPlayground",
    "TranscriptionPlayground",
    "playground",
]


class PlaygroundTabs(widgets.Tab):
    """The three playgrounds in tabs; `.responses`, `.transcription`, `.speech` reach each."""

    def __init__(self, *, client: Any = None, sync_client: Any = None) -> None:
        self.responses = ResponsesPlayground(client=client, sync_client=sync_client)
        self.transcription = TranscriptionPlayground(client=client)
        self.speech = SpeechPlayground(client=client)
        pages = [self.responses, self.transcription, self.speech]
        super().__init__(children=pages, titles=[p.title for p in pages])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(widgets.Tab._repr_mimebundle_(self), raw=True)
        for page in self.children:
            # One regular output per playground, so the saved notebook keeps each result.
            page._saved = display({"text/plain": ""}, raw=True, display_id=True)


def playground(*, client: Any = None, sync_client: Any = None) -> PlaygroundTabs:
    """All three playgrounds in tabs: Responses, Transcription, Speech.

    ```python
    import oainb
    oainb.playground()
    ```

    Args:
        client: the `AsyncClient` every playground uses (default: the session's).
        sync_client: the `Client` for background replies (default: the session's).
    """
    return PlaygroundTabs(client=client, sync_client=sync_client)
