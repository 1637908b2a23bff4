"""HTML renderings of results, safe to save in a notebook.

Every string that came from a model or a user is escaped, styles are inline, and there are no
scripts or external assets, so the output survives nbviewer, GitHub and Binder unchanged.
Replies are rendered from Markdown by a small converter of our own that never lets raw HTML
through (`markdown_to_html`).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import wave
from collections.abc import Iterable
from typing import Any

from oainb.display.text import MATHJAX_IGNORE, footer_text, kind_of

__all__ = [
    "WAITING_TEXT",
    "audio_tag",
    "escape",
    "markdown_to_html",
    "render_html",
    "render_live_html",
    "shade_tokens",
]

#: What the live view shows before the first token arrives. Our own labels use no symbols
#: (an hourglass, a stop sign) that headless Debian Chromium has no font for: it drew boxes.
WAITING_TEXT = "waiting for the first token…"
# MathJax (JupyterLab, Voilà, the classic notebook) skips elements with these classes; the text
# of a parsed `&#36;` is a plain `$` again by the time MathJax scans the page, so escaping alone
# does not keep "$0 here, about $0.0001" from being typeset as maths.
_BOX = (f'class="{MATHJAX_IGNORE}" '
        'style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 100%;"')
_FOOTER = "color: #666; font-size: 0.85em; border-top: 1px solid #ddd; margin-top: 0.5em; padding-top: 0.2em;"
_CODE_BLOCK = "background: #f5f5f5; padding: 0.5em; border-radius: 4px; overflow-x: auto;"
_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)"), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"<em>\1</em>"),
    (re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)"), r'<a href="\2" rel="noopener noreferrer">\1</a>'),
]


def escape(text: str) -> str:
    """`html.escape`, plus `$` as `&#36;`, so tools that look for maths in the saved HTML source
    do not take two dollar amounts (`$0 here, about $0.0001`) for a formula.

    Example:
        >>> from oainb.display.html import escape
        >>> escape("<b>$5</b>")
        '&lt;b&gt;&#36;5&lt;/b&gt;'
    """
    return html.escape(text, quote=True).replace("$", "&#36;")


def _inline(text: str) -> str:
    """Escape one line of Markdown and apply code spans, emphasis and http(s) links."""
    out: list[str] = []
    for i, chunk in enumerate(re.split(r"(`[^`\n]+`)", text)):
        if i % 2:
            out.append(f"<code>{escape(chunk[1:-1])}</code>")
            continue
        chunk = escape(chunk)
        for pattern, repl in _INLINE:
            chunk = pattern.sub(repl, chunk)
        out.append(chunk)
    return "".join(out)


def markdown_to_html(text: str) -> str:
    """A safe subset of Markdown as HTML: paragraphs, headings, lists, code, emphasis, links.

    Raw HTML in the input is escaped, never passed through.

    Example:
        >>> from oainb.display.html import markdown_to_html
        >>> markdown_to_html("**Hi** <script>alert(1)</script>")
        '<p><strong>Hi</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>'
    """
    blocks: list[str] = []
    para: list[str] = []
    items: list[str] = []
    list_tag = ""
    lines = text.split("\n")

    def flush() -> None:
        nonlocal list_tag
        if para:
            blocks.append("<p>" + "<br>".join(_inline(x) for x in para) + "</p>")
            para.clear()
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{x}</li>" for x in items) + f"</{list_tag}>")
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^\s*(```|~~~)", line)
        if fence:
            flush()
            code: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence.group(1)):
                code.append(lines[i])
                i += 1
            blocks.append(f'<pre style="{_CODE_BLOCK}"><code>{escape(chr(10).join(code))}</code></pre>')
        elif not line.strip():
            flush()
        elif m := re.match(r"^(#{1,6})\s+(.*)$", line):
            flush()
            level = len(m.group(1))
            blocks.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif m := re.match(r"^\s*([-*+]|\d+[.)])\s+(.*)$", line):
            tag = "ol" if m.group(1)[0].isdigit() else "ul"
            if para or (items and tag != list_tag):
                flush()
            list_tag = tag
            items.append(_inline(m.group(2)))
        else:
            if items:
                flush()
            para.append(line)
        i += 1
    flush()
    return "".join(blocks)


def _confidence_style(probability: float) -> str:
    # Unsure tokens get a stronger orange background; near-certain ones stay unshaded.
    alpha = max(0.0, min(1.0, 1.0 - probability)) * 0.75
    return f"background-color: rgba(255, 140, 0, {alpha:.2f}); border-radius: 2px;"


def shade_tokens(pieces: Iterable[tuple[str, float | None]]) -> str:
    """Escaped `<span>`s, one per (text, probability), shaded by how unsure the model was.

    Example:
        >>> from oainb.display.html import shade_tokens
        >>> shade_tokens([("<b>", 0.5)])
        '<span style="background-color: rgba(255, 140, 0, 0.38); border-radius: 2px;" title="p = 0.50">&lt;b&gt;</span>'
    """
    out = []
    for text, probability in pieces:
        if probability is None:
            out.append(escape(text))
        else:
            style = _confidence_style(probability)
            out.append(f'<span style="{style}" title="p = {probability:.2f}">{escape(text)}</span>')
    return "".join(out)


def _logprob_value(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)


def _wav_from_pcm(pcm: bytes, rate: int = 24_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return buffer.getvalue()


def sniff_mime(audio: bytes) -> str:
    """The MIME type of audio bytes, from their first bytes (mp3 when unsure)."""
    if audio[:4] == b"RIFF":
        return "audio/wav"
    if audio[:4] == b"fLaC":
        return "audio/flac"
    if audio[:4] == b"OggS":
        return "audio/ogg"
    if audio[4:8] == b"ftyp":
        return "audio/mp4"
    if audio[:4] == b"\x1aE\xdf\xa3":
        return "audio/webm"
    return "audio/mpeg"


def audio_tag(audio: bytes, mime: str | None = None) -> str:
    """An `<audio controls>` element with the audio inline as a data URI.

    Raw `audio/L16` PCM is wrapped in a WAV header first, since browsers cannot play it bare.
    """
    if mime is None:
        mime = sniff_mime(audio)
    if mime.startswith("audio/L16"):
        rate = re.search(r"rate=(\d+)", mime)
        audio, mime = _wav_from_pcm(audio, int(rate.group(1)) if rate else 24_000), "audio/wav"
    data = base64.b64encode(audio).decode("ascii")
    return f'<audio controls preload="metadata" src="data:{mime};base64,{data}"></audio>'


def _footer(obj: Any) -> str:
    text = footer_text(obj)
    return f'<div style="{_FOOTER}">{escape(text)}</div>' if text else ""


def _reply_html(reply: Any) -> str:
    logprobs = reply.logprobs
    if logprobs:
        pieces = []
        for entry in logprobs:
            lp = _logprob_value(entry, "logprob")
            pieces.append((str(_logprob_value(entry, "token") or ""), math.exp(lp) if lp is not None else None))
        body = f'<div style="white-space: pre-wrap;">{shade_tokens(pieces)}</div>'
        from oainb.display import plots

        body += _figure_img(plots.plot_logprobs, reply)
    else:
        from oainb.display.text import _reply_body

        body = markdown_to_html(_reply_body(reply))
    if getattr(reply, "interrupted", False):
        body += '<div style="color: #b00; font-weight: bold;">interrupted</div>'
    return f'<div {_BOX}>{body}{_footer(reply)}</div>'


def _transcript_text_html(transcript: Any) -> str:
    words = transcript.words
    if words and any(w.probability is not None for w in words):
        pieces: list[tuple[str, float | None]] = []
        for i, w in enumerate(words):
            pieces.append((("" if i == 0 else " ") + w.word.strip(), w.probability))
        return shade_tokens(pieces)
    if transcript.logprobs:
        return shade_tokens((lp.token, math.exp(lp.logprob)) for lp in transcript.logprobs)
    return escape(transcript.text)


def _figure_img(draw: Any, result: Any) -> str:
    """Render a plot function into an inline PNG `<img>` (no pyplot state is touched)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a base dependency
        return ""
    figure = Figure(figsize=(8, 2.2), dpi=80)
    FigureCanvasAgg(figure)
    draw(result, ax=figure.add_subplot())
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="plot" style="max-width: 100%;" src="data:image/png;base64,{data}">'


def _transcript_html(transcript: Any) -> str:
    from oainb.display import plots

    parts = [f'<div style="white-space: pre-wrap;">{_transcript_text_html(transcript)}</div>']
    if transcript.source_audio:
        parts.append(f"<div>{audio_tag(transcript.source_audio)}</div>")
    if transcript.words:
        parts.append(_figure_img(plots.plot_words, transcript))
    if transcript.logprobs:
        parts.append(_figure_img(plots.plot_logprobs, transcript))
    return f'<div {_BOX}>{"".join(parts)}{_footer(transcript)}</div>'


def _speech_html(clip: Any) -> str:
    caption = f'<div style="color: #444;">{escape(clip.input or "")}</div>' if clip.input else ""
    player = audio_tag(clip.audio, clip.mime_type) if clip.audio else "<em>(no audio)</em>"
    return f'<div {_BOX}>{player}{caption}{_footer(clip)}</div>'


def render_html(obj: Any) -> str:
    """The HTML rendering of a Reply, Transcript or SpeechClip (others: their escaped repr).

    Example:
        >>> from oainb import Reply
        >>> from oainb.display.html import render_html
        >>> "&lt;script&gt;" in render_html(Reply(output=[{"type": "message",
        ...     "content": [{"type": "output_text", "text": "<script>"}]}]))
        True
    """
    kind = kind_of(obj)
    if kind == "Reply":
        return _reply_html(obj)
    if kind == "Transcript":
        return _transcript_html(obj)
    if kind == "SpeechClip":
        return _speech_html(obj)
    return f"<pre>{escape(repr(obj))}</pre>"


def render_live_html(text: str, *, status: str = "", waiting: bool = False, body: str | None = None) -> str:
    """The live view while a reply streams: the text so far (as Markdown) and a status line.

    `body` is HTML already rendered from the text (the live view renders it incrementally).
    """
    if waiting:
        body = f'<div style="color: #888;">{escape(WAITING_TEXT)}</div>'
    elif body is None:
        body = markdown_to_html(text)
    line = f'<div style="{_FOOTER}">{escape(status)}</div>' if status else ""
    return f'<div {_BOX}>{body}{line}</div>'
