"""The Transcription and Speech playgrounds; both stream when "stream" is ticked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from oainb.notebook.playgrounds._base import Playground

__all__ = ["SpeechPlayground", "TranscriptionPlayground"]

_WIDE = widgets.Layout(width="100%")
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
          "verse", "marin", "cedar")
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPT_FORMATS = ("json", "verbose_json", "text", "srt", "vtt")


class TranscriptionPlayground(Playground):
    """Transcribe an uploaded file, a path or a URL, and see the transcript view.

    ```python
    TranscriptionPlayground()
    ```

    Run calls `oainb.notebook.actions.atranscribe` (the async twin of what
    `%transcribe` calls), streaming the text into the output when "stream" is
    ticked; the result shows the notebook layer's transcript view:
    the player, the words on a time axis, the logprobs and the cost.

    Args:
        client: the `AsyncClient` to use (default: the session's).
    """

    title = "Transcription"

    def __init__(self, *, client: Any = None, **kwargs: Any) -> None:
        from oainb.notebook.actions import DEFAULT_STT_MODEL

        self.upload = widgets.FileUpload(accept="audio/*,.wav,.mp3,.m4a,.ogg,.flac,.webm",
                                         multiple=False, description="upload")
        self.source = widgets.Text(placeholder="…or a path or an http(s) URL", description="path/URL",
                                   layout=_WIDE)
        self.model = widgets.Combobox(value=DEFAULT_STT_MODEL, description="model", ensure_option=False,
                                      options=["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
        self.language = widgets.Text(placeholder="auto (e.g. en)", description="language")
        self.response_format = widgets.Dropdown(options=TRANSCRIPT_FORMATS, value="verbose_json",
                                                description="format")
        self.granularities = widgets.SelectMultiple(options=["word", "segment"], value=("word",),
                                                    description="granularity", rows=2)
        self.logprobs = widgets.Checkbox(value=False, description="logprobs")
        self.stream = widgets.Checkbox(value=False, description="stream")
        controls = [
            widgets.HBox([self.upload, self.source]),
            widgets.HBox([self.model, self.language]),
            widgets.HBox([self.response_format, self.granularities]),
            widgets.HBox([self.logprobs, self.stream]),
        ]
        super().__init__(controls, client=client, **kwargs)

    def audio_source(self) -> Any:
        """The uploaded file as `(name, bytes)`, else the path or URL typed in.

        Raises:
            ValueError: neither was given.
        """
        if self.upload.value:
            first = self.upload.value[0]
            return (first["name"], bytes(first["content"]))
        if self.source.value.strip():
            return self.source.value.strip()
        raise ValueError("Upload an audio file or type a path or URL first.")

    def kwargs(self) -> dict[str, Any]:
        return {
            "source": self.audio_source(),
            "model": self.model.value.strip() or None,
            "language": self.language.value.strip() or None,
            "response_format": self.response_format.value,
            "granularities": list(self.granularities.value) or None,
            "logprobs": self.logprobs.value,
            "stream": self.stream.value,
        }

    async def call(self, on_event: Callable[[Any], None], **kwargs: Any) -> Any:
        from oainb.notebook import actions

        source = kwargs.pop("source")
        return await actions.atranscribe(source, client=self.client, on_event=on_event, **kwargs)


class SpeechPlayground(Playground):
    """Turn text into speech: voice, model, speed, instructions, format; shows a player and cost.

    ```python
    SpeechPlayground()
    ```

    Run calls `oainb.notebook.actions.aspeak` (the async twin of what `%speak` calls);
    with "stream" ticked the audio arrives in chunks, counted in the live status line.

    Args:
        client: the `AsyncClient` to use (default: the session's).
    """

    title = "Speech"

    def __init__(self, *, client: Any = None, **kwargs: Any) -> None:
        from oainb.notebook.actions import DEFAULT_TTS_MODEL, DEFAULT_VOICE

        self.input = widgets.Textarea(placeholder="Text to speak…", description="text", layout=_WIDE)
        self.voice = widgets.Dropdown(options=VOICES, value=DEFAULT_VOICE, description="voice")
        self.model = widgets.Combobox(value=DEFAULT_TTS_MODEL, description="model", ensure_option=False,
                                      options=["tts-1", "tts-1-hd", "gpt-4o-mini-tts"])
        self.speed = widgets.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.05, description="speed")
        self.instructions = widgets.Textarea(placeholder="(optional) how to speak; gpt-4o-mini-tts only",
                                             description="instructions", layout=_WIDE)
        self.response_format = widgets.Dropdown(options=SPEECH_FORMATS, value="mp3", description="format")
        self.stream = widgets.Checkbox(value=False, description="stream")
        controls = [
            self.input,
            widgets.HBox([self.voice, self.model]),
            widgets.HBox([self.speed, self.response_format, self.stream]),
            self.instructions,
        ]
        super().__init__(controls, client=client, **kwargs)

    def kwargs(self) -> dict[str, Any]:
        return {
            "text": self.input.value,
            "model": self.model.value.strip() or None,
            "voice": self.voice.value,
            "speed": self.speed.value,
            "instructions": self.instructions.value.strip() or None,
            "response_format": self.response_format.value,
            "stream": self.stream.value,
        }

    async def call(self, on_event: Callable[[Any], None], **kwargs: Any) -> Any:
        from oainb.notebook import actions

        text = kwargs.pop("text")
        return await actions.aspeak(text, client=self.client, on_chunk=on_event, **kwargs)
