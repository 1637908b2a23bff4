"""The notebook layer: magics, live views and the library functions they share.

`from oainb.notebook import respond, transcribe, translate, speak` gives the functions the
magics call, usable without magics; `%load_ext oainb` registers the magics.
"""

from __future__ import annotations

from oainb.notebook.actions import (
    arespond,
    aspeak,
    atranscribe,
    atranslate,
    respond,
    session,
    speak,
    transcribe,
    translate,
)

__all__ = [
    "arespond",
    "aspeak",
    "atranscribe",
    "atranslate",
    "respond",
    "session",
    "speak",
    "transcribe",
    "translate",
]
