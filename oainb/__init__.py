"""oainb: a Jupyter-first toolkit for the OpenAI Responses and Audio APIs."""

from __future__ import annotations

from typing import Any

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
    "load_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """Register the oainb magics (``%load_ext oainb``)."""
    from oainb.notebook.magics import load_ipython_extension as _load

    _load(ipython)
