"""Plain-text and Markdown renderings of results: what a terminal, a log and `text/plain` show."""

from __future__ import annotations

import re
from typing import Any

from oainb.display import annotations_of

__all__ = ["MATHJAX_IGNORE", "escape_markdown", "footer_text", "kind_of", "render_markdown", "render_text"]

_KINDS = ("Reply", "Transcript", "SpeechClip")
#: Classes MathJax 3 (`mathjax_ignore`) and MathJax 2 (`tex2jax_ignore`) leave untypeset.
MATHJAX_IGNORE = "mathjax_ignore tex2jax_ignore"
# Backslash-escapes `<` (and `&`) outside code so Markdown renderers show model output as text
# instead of interpreting it as HTML, and `$` so JupyterLab's MathJax does not typeset prices
# ("$5 today and $7 tomorrow") as a formula; inside code spans and fences text stays literal.
_CODE = re.compile(r"(^```.*?^```[ \t]*$|^~~~.*?^~~~[ \t]*$|`[^`\n]*`)", re.MULTILINE | re.DOTALL)


def kind_of(obj: Any) -> str | None:
    """`"Reply"`, `"Transcript"` or `"SpeechClip"` for those results (and subclasses), else None."""
    for cls in type(obj).__mro__:
        if cls.__name__ in _KINDS:
            return cls.__name__
    return None


def escape_markdown(text: str) -> str:
    """`text` with raw HTML and `$` maths delimiters neutralised for a Markdown renderer.

    Code spans and fences are left as they are.

    Example:
        >>> from oainb.display.text import escape_markdown
        >>> escape_markdown("<script>x</script> for $5 and `<b>`")
        '\\\\<script>x\\\\</script> for \\\\$5 and `<b>`'
    """
    parts = _CODE.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("&", "&amp;").replace("<", "\\<").replace("$", "\\$")
    return "".join(parts)


def footer_text(obj: Any) -> str:
    """One line: model, tokens in/out (or audio seconds), cost, time.

    Example:
        >>> from oainb import Reply, Usage
        >>> from oainb.display.text import footer_text
        >>> footer_text(Reply(model="m", usage=Usage(input_tokens=3, output_tokens=5)))
        'm · 3 in / 5 out'
    """
    bits: list[str] = []
    model = getattr(obj, "model", None)
    if model:
        bits.append(str(model))
    usage = getattr(obj, "usage", None)
    if usage is not None and getattr(usage, "type", None) == "duration":
        bits.append(f"{float(usage.seconds or 0):.1f} s of audio")
    elif usage is not None:
        bits.append(f"{usage.input_tokens:,} in / {usage.output_tokens:,} out")
    info = annotations_of(obj)
    if info is not None and info.cost is not None:
        bits.append(str(info.cost))
    if info is not None and info.elapsed is not None:
        bits.append(f"{info.elapsed:.1f} s")
    if getattr(obj, "interrupted", False):
        bits.append("interrupted")
    elif getattr(obj, "partial", False):
        bits.append("partial")
    return " · ".join(bits)


def _reply_body(reply: Any) -> str:
    text = reply.output_text
    if not text:
        for item in reply.output:
            refusal = [p.refusal for p in getattr(item, "content", []) if hasattr(p, "refusal")]
            if refusal:
                return "(refused) " + " ".join(refusal)
        status = reply.status or "no output"
        error = getattr(reply, "error", None)
        if error:
            message = error.get("message") if isinstance(error, dict) else str(error)
            return f"({status}: {message})"
        return f"({status})"
    return str(text)


def render_text(obj: Any) -> str:
    """The plain-text rendering of a Reply, Transcript or SpeechClip (others: their repr)."""
    kind = kind_of(obj)
    if kind == "Reply":
        body = _reply_body(obj)
        if getattr(obj, "interrupted", False):
            body += " [interrupted]"
    elif kind == "Transcript":
        body = obj.text
    elif kind == "SpeechClip":
        body = repr(obj)
    else:
        return repr(obj)
    footer = footer_text(obj)
    return f"{body}\n\n— {footer}" if footer else body


def render_markdown(obj: Any) -> str | None:
    """Markdown for a Reply (its text, HTML escaped, and a footer); None for other results."""
    if kind_of(obj) != "Reply":
        return None
    body = escape_markdown(_reply_body(obj))
    if getattr(obj, "interrupted", False):
        body += "\n\n**interrupted**"
    footer = footer_text(obj)
    if footer:
        body += f"\n\n---\n*{escape_markdown(footer)}*"
    # JupyterLab's Markdown renderer turns `\$` back into `$` and then runs MathJax over the
    # result, so the escape alone still typesets "$5 today and $7 tomorrow"; MathJax skips
    # elements with these classes. Other renderers show the escaped `$` and ignore the div.
    return f'<div class="{MATHJAX_IGNORE}">\n\n{body}\n\n</div>'

