"""Small shared types: the NOT_GIVEN sentinel and the aliases used in signatures."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any, Literal, TypeAlias, Union

from typing_extensions import final

__all__ = [
    "NOT_GIVEN",
    "TERMINAL_STATUSES",
    "AudioFormat",
    "Body",
    "FileInput",
    "Headers",
    "NotGiven",
    "Query",
    "ReplyStatus",
    "StreamFormat",
    "TranscriptFormat",
]


@final
class NotGiven:
    """Marks a parameter the caller did not pass, where `None` has a meaning of its own.

    Example:
        >>> from oainb import NOT_GIVEN
        >>> bool(NOT_GIVEN)
        False
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()

#: A path, raw bytes, a binary file object, or a ``(filename, bytes-or-file)`` pair.
FileInput: TypeAlias = Union[
    str, "os.PathLike[str]", bytes, IO[bytes], tuple[str, bytes | IO[bytes]]
]
Headers: TypeAlias = Mapping[str, str]
Query: TypeAlias = Mapping[str, Any]
Body: TypeAlias = Mapping[str, Any]

ReplyStatus: TypeAlias = Literal[
    "queued", "in_progress", "completed", "failed", "cancelled", "incomplete"
]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled", "incomplete"})
AudioFormat: TypeAlias = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]
TranscriptFormat: TypeAlias = Literal["json", "text", "srt", "verbose_json", "vtt", "diarized_json"]
StreamFormat: TypeAlias = Literal["audio", "sse"]
