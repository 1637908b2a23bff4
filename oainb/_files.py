"""Audio uploads: a path, bytes or a binary file object, streamed from disk when it is a path."""

from __future__ import annotations

import contextlib
import io
import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from oainb._exceptions import InputError

__all__ = [
    "AUDIO_EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "Upload",
    "content_type_for",
    "sniff_extension",
    "to_upload",
]

#: The API's upload limit for audio files.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: Extensions the transcription endpoints accept (CONTRACT §5), with their content types.
AUDIO_EXTENSIONS: dict[str, str] = {
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "mp4": "audio/mp4",
    "mpeg": "audio/mpeg",
    "mpga": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "wav": "audio/wav",
    "webm": "audio/webm",
}
_DEFAULT_NAME = "audio.wav"


def content_type_for(filename: str) -> str:
    """The content type to send for `filename`, from its extension."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return (
        AUDIO_EXTENSIONS.get(ext) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )


@dataclass(frozen=True)
class Upload:
    """One file to send: where its bytes come from, its name, type and size."""

    filename: str
    content_type: str
    size: int | None
    path: str | None = None
    data: bytes | None = None
    fileobj: IO[bytes] | None = None

    @property
    def extension(self) -> str:
        """The lower-case extension of `filename` (empty when there is none)."""
        return self.filename.rsplit(".", 1)[-1].lower() if "." in self.filename else ""

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """A binary file object for the request; a path is opened here and closed after."""
        if self.path is not None:
            with open(self.path, "rb") as handle:
                yield handle
        elif self.data is not None:
            yield io.BytesIO(self.data)
        else:
            assert self.fileobj is not None  # internal invariant: one source is set
            yield self.fileobj

    def read_all(self) -> bytes:
        """Every byte (for a player next to the transcript); rewinds a seekable file object."""
        with self.open() as handle:
            data = handle.read()
            if self.fileobj is not None and handle.seekable():
                handle.seek(0)
            return data


def to_upload(file: Any, *, param: str = "file") -> Upload:
    """Describe `file` (path, bytes, binary file object or `(name, bytes|file)`) as an `Upload`.

    Raises:
        InputError: the path does not exist, or `file` is none of the accepted kinds.
    """
    if isinstance(file, tuple) and len(file) == 2 and isinstance(file[0], str):
        inner = to_upload(file[1], param=param)
        return Upload(
            filename=file[0],
            content_type=content_type_for(file[0]),
            size=inner.size,
            path=inner.path,
            data=inner.data,
            fileobj=inner.fileobj,
        )
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        if not os.path.isfile(path):
            raise InputError(
                f"{param}: no such file {path!r}; pass an existing path, bytes or an open file.",
                param=param,
            )
        name = os.path.basename(path)
        return Upload(
            filename=name,
            content_type=content_type_for(name),
            size=os.path.getsize(path),
            path=path,
        )
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
        name = "audio." + sniff_extension(data)
        return Upload(filename=name, content_type=content_type_for(name), size=len(data), data=data)
    if hasattr(file, "read"):
        if isinstance(file, io.TextIOBase):
            raise InputError(
                f"{param}: the file is open in text mode; open it with 'rb'.", param=param
            )
        name = os.path.basename(str(getattr(file, "name", "") or _DEFAULT_NAME))
        return Upload(
            filename=name, content_type=content_type_for(name), size=_size_of(file), fileobj=file
        )
    raise InputError(
        f"{param} must be a path, bytes or a binary file object, not {type(file).__name__}.",
        param=param,
    )


def sniff_extension(data: bytes) -> str:
    """Guess an audio extension from the first bytes (wav when nothing matches)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[4:8] == b"ftyp":
        return "m4a"
    return "wav"


def _size_of(handle: Any) -> int | None:
    try:
        here = int(handle.tell())
        handle.seek(0, os.SEEK_END)
        end = int(handle.tell())
        handle.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None
