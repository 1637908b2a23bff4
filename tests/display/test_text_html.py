from __future__ import annotations

import base64
import io
import wave

from oainb import Reply, SpeechClip, Transcript, Usage
from oainb.cost import CostEstimate
from oainb.display import annotate, render_bundle
from oainb.display.html import (
    audio_tag,
    markdown_to_html,
    render_html,
    render_live_html,
    shade_tokens,
)
from oainb.display.text import escape_markdown, footer_text, render_markdown, render_text


def reply(text: str, **extra) -> Reply:
    content = {"type": "output_text", "text": text}
    if "logprobs" in extra:
        content["logprobs"] = extra.pop("logprobs")
    return Reply(id="resp_1", status="completed", model="gpt-4o-mini",
                 output=[{"type": "message", "content": [content]}], **extra)


def wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(b"\x00\x10" * int(seconds * rate))
    return buffer.getvalue()


def test_script_in_model_output_renders_as_text_everywhere():
    r = reply('<script>alert("x")</script> <img src=x onerror=alert(1)> **bold**')
    page = render_html(r)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<strong>bold</strong>" in page
    markdown = render_markdown(r)
    assert "\\<script>" in markdown and "\\<img" in markdown
    assert render_text(r).startswith('<script>alert("x")</script>')


def test_markdown_subset_and_code_is_not_interpreted():
    page = markdown_to_html("# Title\n\n- one\n- *two*\n\n```python\nx = '<b>'\n```\nuse `<i>` and [a](https://e.org) [b](javascript:alert(1))")
    assert "<h1>Title</h1>" in page
    assert "<ul><li>one</li><li><em>two</em></li></ul>" in page
    assert "x = &#x27;&lt;b&gt;&#x27;" in page
    assert "<code>&lt;i&gt;</code>" in page
    assert '<a href="https://e.org"' in page and "javascript:" not in page.split("[b]")[0] + page.split('href="https://e.org"')[0]
    assert 'href="javascript' not in page


def test_escape_markdown_leaves_code_alone():
    assert escape_markdown("a <b> `<c>`\n```\n<d>\n```") == "a \\<b> `<c>`\n```\n<d>\n```"
    assert escape_markdown("$5 or `$x`\n```\necho $HOME\n```") == "\\$5 or `$x`\n```\necho $HOME\n```"


def test_dollar_amounts_are_kept_from_mathjax():
    """JupyterLab typesets `$0 here, about $0.0001` as maths unless the dollars are escaped."""
    r = reply("It costs $5 today and $7 tomorrow.", usage=Usage(input_tokens=1, output_tokens=2))
    annotate(r, cost=CostEstimate(model="gpt-4o-mini", usd=0.0000099, local=True))
    page = render_html(r)
    assert "$" not in page
    assert "&#36;5 today and &#36;7 tomorrow" in page
    assert "&#36;0 here, about &#36;0.0000099 on OpenAI" in page
    assert page.startswith('<div class="mathjax_ignore tex2jax_ignore"')
    markdown = render_markdown(r)
    assert "\\$5 today and \\$7 tomorrow" in markdown
    assert "\\$0 here, about \\$0.0000099 on OpenAI" in markdown
    assert markdown.startswith('<div class="mathjax_ignore tex2jax_ignore">\n\n')
    live = render_live_html("", status="m · $1 so far · $2 left", body=markdown_to_html("$3"))
    assert "$" not in live and "&#36;1 so far" in live and "<p>&#36;3</p>" in live


def test_footer_shows_model_tokens_cost_time():
    r = reply("hi", usage=Usage(input_tokens=12, output_tokens=3))
    annotate(r, cost=CostEstimate(model="gpt-4o-mini", usd=0.0001, local=True), elapsed=1.25)
    footer = footer_text(r)
    assert footer == "gpt-4o-mini · 12 in / 3 out · $0 here, about $0.00010 on OpenAI at gpt-4o-mini prices · 1.2 s"
    assert footer.replace("$", "&#36;") in render_html(r)
    assert render_text(r).endswith(footer)


def test_bundle_of_a_reply_has_markdown_and_plain_text():
    bundle = render_bundle(reply("Hello **there**"))
    assert set(bundle) == {"text/plain", "text/markdown", "text/html"}
    assert "\n\nHello **there**\n\n---" in bundle["text/markdown"]
    assert bundle["text/plain"].startswith("Hello **there**")


def test_our_labels_use_characters_every_font_has():
    """Headless Debian Chromium drew "⏹ interrupted" and "⏳ waiting" as empty boxes."""
    r = reply("half an ans", partial=True, interrupted=True)
    for shown in (render_html(r), render_markdown(r), render_text(r),
                  render_live_html("", waiting=True)):
        symbols = {c for c in shown if ord(c) >= 0x2100}  # arrows, technical symbols, emoji
        assert not symbols, shown


def test_interrupted_reply_is_marked():
    r = reply("half an ans", partial=True, interrupted=True)
    assert "interrupted" in render_text(r) and "interrupted" in render_markdown(r)
    assert "interrupted" in render_html(r)


def test_tokens_shaded_by_confidence():
    r = reply("Hi <x>", logprobs=[{"token": "Hi", "logprob": -0.01}, {"token": " <x>", "logprob": -2.3}])
    page = render_html(r)
    assert 'title="p = 0.99"' in page and 'title="p = 0.10"' in page
    assert "rgba(255, 140, 0, 0.01)" in page and "rgba(255, 140, 0, 0.67)" in page
    assert " &lt;x&gt;" in page
    assert page.count("data:image/png;base64,") == 1  # the per-token logprob plot
    assert shade_tokens([("a", None)]) == "a"


def test_transcript_words_shaded_player_and_plot():
    t = Transcript(text="hello there", model="whisper-1", source_audio=wav(),
                   words=[{"word": "hello", "start": 0, "end": 0.2, "probability": 0.95},
                          {"word": "<there>", "start": 0.25, "end": 0.5, "probability": 0.4}])
    page = render_html(t)
    assert 'title="p = 0.95"' in page and "&lt;there&gt;" in page
    assert '<audio controls preload="metadata" src="data:audio/wav;base64,' in page
    assert page.count("data:image/png;base64,") == 1
    assert render_text(t).startswith("hello there\n\n— whisper-1")


def test_speech_clip_player_decodes_to_the_same_audio():
    clip = SpeechClip(audio=b"ID3fakeaudio", format="mp3", input="<Hi>", model="tts-1", voice="alloy")
    page = render_html(clip)
    src = page.split('src="data:audio/mpeg;base64,')[1].split('"')[0]
    assert base64.b64decode(src) == b"ID3fakeaudio"
    assert "&lt;Hi&gt;" in page and "<Hi>" not in page


def test_pcm_is_wrapped_as_wav_for_the_browser():
    tag = audio_tag(b"\x00\x00" * 100, "audio/L16;rate=24000;channels=1")
    data = base64.b64decode(tag.split("base64,")[1].split('"')[0])
    with wave.open(io.BytesIO(data)) as r:
        assert (r.getframerate(), r.getnframes()) == (24000, 100)


def test_live_html_waiting_indicator_then_text():
    assert "waiting for the first token" in render_live_html("", waiting=True)
    page = render_live_html("<b>so far</b>", status="writing")
    assert "&lt;b&gt;so far&lt;/b&gt;" in page and "writing" in page
