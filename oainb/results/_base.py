"""The base every result model shares: tolerant parsing, a wire dump, and the display protocol."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)

__all__ = ["DisplayMixin", "ResultModel", "shorten"]


class DisplayMixin:
    """Gives a result `_repr_mimebundle_`, dispatching to `oainb.display.render_bundle`.

    That is text/plain and escaped text/html for every result, plus text/markdown for a
    `Reply`, with or without `%load_ext oainb`. The renderers are imported inside the method
    so that `import oainb` stays light; if they fail to import, the bundle falls back to the
    one-line repr.
    """

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, str]:
        try:
            from oainb.display import render_bundle

            data = render_bundle(self)
        except ImportError:
            data = {"text/plain": repr(self), "text/html": f"<pre>{html.escape(repr(self))}</pre>"}
        include = set(include) if include else None
        exclude = set(exclude or ())
        return {
            k: v for k, v in data.items() if (include is None or k in include) and k not in exclude
        }


class ResultModel(DisplayMixin, BaseModel):
    """A pydantic model that keeps unknown fields and dumps itself in the API's wire shape.

    `_wire_required` names the fields the spec requires to be present even when null
    (`Response.error`, for instance); `to_wire()` keeps those and drops every other `None`.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    _wire_required: ClassVar[frozenset[str]] = frozenset()

    if TYPE_CHECKING:  # pragma: no cover - typing only
        # Unknown wire fields are kept as attributes (`event.obfuscation`); say so to mypy.
        def __getattr__(self, name: str) -> Any: ...

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if info.exclude_none and isinstance(data, dict):
            for name in self._wire_required:
                data.setdefault(name, None)
            data = self._wire_adjust(data)
        return data

    def _wire_adjust(self, data: dict[str, Any]) -> dict[str, Any]:
        """Hook for subclasses: fix up a dump made with `exclude_none=True` (the wire dump)."""
        return data

    def __str__(self) -> str:
        return repr(self)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict the API would send for this object (local-only fields left out).

        Example:
            >>> from oainb import Usage
            >>> Usage(input_tokens=3, output_tokens=4).to_wire()["total_tokens"]
            7
        """
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        return data


def shorten(text: str, width: int = 40) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
