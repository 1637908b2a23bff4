"""The library functions behind the magics and the widgets: one call each, priced and recorded.

Every function checks the session budget with an estimate before it sends anything, records
what the call cost in the session ledger afterwards, and attaches the cost and the elapsed
time to the result (`oainb.display.annotations_of(result)`), which its display shows.

`respond` remembers the id of the last reply of this kernel, so
`respond(..., previous_response_id=CONTINUE)` (the magic's `--continue`) follows on from it.
Ctrl-C during a streamed reply closes the connection and returns the partial reply marked
`interrupted`, its cost counted. The `a`-prefixed twins do the same with `AsyncClient`.
"""

from __future__ import annotations

from oainb.notebook._reply_request import CONTINUE, DEFAULT_MODEL, TOOL_NAMES, PollEvent
from oainb.notebook._respond import POLL_INTERVAL, arespond, respond
from oainb.notebook._session import Session, is_local, session, status_text
from oainb.notebook._speak import DEFAULT_TTS_MODEL, DEFAULT_VOICE, aspeak, speak
from oainb.notebook._transcribe import (
    DEFAULT_STT_MODEL,
    atranscribe,
    atranslate,
    transcribe,
    translate,
)

__all__ = [
    "CONTINUE",
    "DEFAULT_MODEL",
    "DEFAULT_STT_MODEL",
    "DEFAULT_TTS_MODEL",
    "DEFAULT_VOICE",
    "POLL_INTERVAL",
    "TOOL_NAMES",
    "PollEvent",
    "Session",
    "arespond",
    "aspeak",
    "atranscribe",
    "atranslate",
    "is_local",
    "respond",
    "session",
    "speak",
    "status_text",
    "transcribe",
    "translate",
]
