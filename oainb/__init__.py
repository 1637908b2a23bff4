"""oainb: a Jupyter-first toolkit for the OpenAI Responses and Audio APIs.

`import oainb` loads neither IPython nor ipywidgets: the names that need them
(`oainb.widgets`, `oainb.playground`, `oainb.batch`, and the library functions
`respond`, `transcribe`, `translate`, `speak`) are imported on first use by the
module `__getattr__` below (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from oainb._client import AsyncClient, Client
from oainb._compat import SeedShapeWarning
from oainb._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BudgetExceededError,
    ConflictError,
    InputError,
    InternalServerError,
    MissingDependencyError,
    NotFoundError,
    OainbError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
    UnprocessableEntityError,
)
from oainb._streaming import (
    AsyncReplyStream,
    AsyncSpeechStream,
    AsyncTranscriptStream,
    ReplyStream,
    SpeechStream,
    TranscriptStream,
)
from oainb._types import NOT_GIVEN, NotGiven
from oainb.cost import CostEstimate
from oainb.results import (
    FunctionCall,
    ImageGenerationCall,
    OutputItem,
    OutputMessage,
    OutputText,
    Reply,
    ReplyEvent,
    SpeechClip,
    SpeechEvent,
    Transcript,
    TranscriptEvent,
    TranscriptSegment,
    TranscriptWord,
    Usage,
)

if TYPE_CHECKING:  # pragma: no cover - typing only; loaded lazily by __getattr__
    from oainb import batch
    from oainb.notebook import widgets
    from oainb.notebook.actions import respond, speak, transcribe, translate
    from oainb.notebook.widgets import playground

__version__ = "0.1.0"

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncReplyStream",
    "AsyncSpeechStream",
    "AsyncTranscriptStream",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "Client",
    "ConflictError",
    "CostEstimate",
    "FunctionCall",
    "ImageGenerationCall",
    "InputError",
    "InternalServerError",
    "MissingDependencyError",
    "NotFoundError",
    "NotGiven",
    "OainbError",
    "OutputItem",
    "OutputMessage",
    "OutputText",
    "PermissionDeniedError",
    "RateLimitError",
    "Reply",
    "ReplyEvent",
    "ReplyStream",
    "SeedShapeWarning",
    "SpeechClip",
    "SpeechEvent",
    "SpeechStream",
    "StreamError",
    "Transcript",
    "TranscriptEvent",
    "TranscriptSegment",
    "TranscriptStream",
    "TranscriptWord",
    "UnprocessableEntityError",
    "Usage",
    "__version__",
    "batch",
    "load_ipython_extension",
    "playground",
    "respond",
    "speak",
    "transcribe",
    "translate",
    "widgets",
]

# name -> (module, attribute or None for the module itself), imported on first access.
_LAZY: dict[str, tuple[str, str | None]] = {
    "widgets": ("oainb.notebook.widgets", None),
    "playground": ("oainb.notebook.widgets", "playground"),
    "batch": ("oainb.batch", None),
    "respond": ("oainb.notebook.actions", "respond"),
    "transcribe": ("oainb.notebook.actions", "transcribe"),
    "translate": ("oainb.notebook.actions", "translate"),
    "speak": ("oainb.notebook.actions", "speak"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'oainb' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def load_ipython_extension(ipython: Any) -> None:
    """Register the oainb magics (``%load_ext oainb``)."""
    from oainb.notebook.magics import load_ipython_extension as _load

    _load(ipython)
