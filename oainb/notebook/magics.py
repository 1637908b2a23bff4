# IPython's magic decorators are untyped: mypy may not check through them.
# mypy: disable-error-code="untyped-decorator,no-untyped-call"
"""`%respond`, `%transcribe`, `%translate`, `%speak` and `%oainb`: parse, call one action, return.

Each magic parses its options with `magic_arguments`, calls one function of
`oainb.notebook.actions` (through the live view when it streams) and returns the result, so
the cell displays it and `_` holds it. Defaults are traitlets: `%config OainbMagics.model="gpt-4o"`.
Errors from user input or the API become a one-line `UsageError`; bugs keep their traceback.
"""

from __future__ import annotations

import functools
import json as _json
import os
import re
import shlex
import string
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Integer, Unicode

from oainb._exceptions import OainbError
from oainb.notebook import actions
from oainb.notebook.live import LiveView, LiveViewLike, run_live, was_shown_live

__all__ = ["OainbMagics", "interpolate", "load_ipython_extension"]


def _user_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn oainb's errors (bad input, API refusals, budget) into a one-line `UsageError`."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except OainbError as exc:
            raise UsageError(str(exc)) from None

    return wrapper


class _Missing(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> Any:
        raise UsageError(f"{{{key}}} names no variable in the notebook; write {{{{ and }}}} for literal braces.")


def interpolate(text: str, namespace: dict[str, Any]) -> str:
    """Replace `{name}` (also `{name.attr}`, `{name[0]}`, `{name:.2f}`) from `namespace`; `{{` is `{`.

    Example:
        >>> interpolate("{city} in {{braces}}", {"city": "Paris"})
        'Paris in {braces}'
    """
    try:
        return string.Formatter().vformat(text, (), _Missing(namespace))
    except (ValueError, IndexError, AttributeError, KeyError) as exc:
        raise UsageError(f"Could not fill in {{...}} in the prompt ({exc}); write {{{{ and }}}} for literal braces.") from None


def _split(func: Any, line: str) -> tuple[Any, str]:
    """Parse the leading options of `line`; the rest is kept verbatim (quotes, apostrophes)."""
    parser = func.parser
    tokens: list[str] = []
    rest = line.strip()
    while rest.startswith("-"):
        head, _, tail = rest.partition(" ")
        if head == "--":
            rest = tail.strip()
            break
        action = parser._option_string_actions.get(head.split("=", 1)[0])
        if action is None:
            if head.startswith("--"):
                raise UsageError(f"Unknown option {head}; see `%{func.__name__}?`.")
            break
        tokens.append(head)
        rest = tail.strip()
        if action.nargs != 0 and "=" not in head:
            match = re.match(r"(\"[^\"]*\"|'[^']*'|\S+)\s*", rest)
            if match is None:
                raise UsageError(f"Option {head} needs a value.")
            tokens.append(shlex.split(match.group(1))[0] if match.group(1)[0] in "\"'" else match.group(1))
            rest = rest[match.end():]
    return parser.parse_args(tokens), rest


def _respond_view(kwargs: dict[str, Any]) -> LiveViewLike | None:
    """What shows a reply while it runs: the `BackgroundJob` widget (status, elapsed, how to
    cancel) for `--background`, a `LiveView` for a stream, nothing for `--no-stream`."""
    if kwargs["background"]:
        from oainb.notebook.job import BackgroundJob

        return BackgroundJob(interrupt_to_cancel=True)
    return LiveView(label=kwargs["model"]) if kwargs["stream"] else None


def _store(namespace: dict[str, Any], name: str | None, result: Any) -> Any:
    if name:
        namespace[name] = result
    return result


@magics_class
class OainbMagics(Magics):
    """The oainb magics; their defaults are configurable (`%config OainbMagics.voice="coral"`)."""

    model = Unicode(actions.DEFAULT_MODEL, help="Model for %respond.").tag(config=True)
    stt_model = Unicode(actions.DEFAULT_STT_MODEL, help="Model for %transcribe / %translate.").tag(config=True)
    tts_model = Unicode(actions.DEFAULT_TTS_MODEL, help="Model for %speak.").tag(config=True)
    voice = Unicode(actions.DEFAULT_VOICE, help="Voice for %speak.").tag(config=True)
    max_output_tokens = Integer(None, allow_none=True, help="Default output cap of %respond.").tag(config=True)
    stream = Bool(True, help="Stream replies into the cell as they are written.").tag(config=True)
    continue_by_default = Bool(False, help="Every %respond continues the conversation unless --new.").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        if shell is not None:
            shell.configurables.append(self)

    @property
    def _ns(self) -> dict[str, Any]:
        assert self.shell is not None  # magics only run inside a shell
        namespace: dict[str, Any] = self.shell.user_ns
        return namespace

    def _value(self, name: str) -> Any:
        """A variable of the notebook by name (for `--schema NAME` and `%transcribe VAR`)."""
        return self._ns[name] if name.isidentifier() and name in self._ns else None

    def _schema(self, spec: str | None) -> Any:
        if not spec:
            return None
        value = self._value(spec)
        if value is not None:
            return value
        try:
            return _json.loads(spec)
        except ValueError:
            raise UsageError(f"--schema {spec}: no such variable, and not JSON; define the schema first.") from None

    def _respond_kwargs(self, args: Any) -> dict[str, Any]:
        if args.new:
            actions.session().previous_response_id = None
        follow = args.cont or (self.continue_by_default and not args.new)
        return {
            "model": args.model or self.model, "instructions": args.instructions,
            "temperature": args.temperature, "top_p": args.top_p,
            "max_output_tokens": args.max_output_tokens or self.max_output_tokens,
            "tools": args.tools, "schema": self._schema(args.schema), "json": args.json,
            "logprobs": args.logprobs, "background": args.background,
            "stream": self.stream and not args.no_stream and not args.background,
            "previous_response_id": actions.CONTINUE if follow else None,
        }

    @no_var_expand
    @magic_arguments()
    @argument("-m", "--model", help="model name (default: OainbMagics.model)")
    @argument("--instructions", help="system instructions")
    @argument("-t", "--temperature", type=float)
    @argument("--top-p", type=float)
    @argument("--max-output-tokens", type=int)
    @argument("--tools", help="comma-separated: web_search,file_search,code_interpreter,image_generation")
    @argument("--json", action="store_true", help="reply with a JSON object")
    @argument("--schema", help="a variable holding a JSON schema (dict or pydantic model), or JSON")
    @argument("--logprobs", type=int, metavar="N", help="per-token logprobs with N alternatives")
    @argument("--background", action="store_true", help="run in the background, show its status")
    @argument("--no-stream", action="store_true", help="wait for the whole reply")
    @argument("-o", "--out", metavar="VAR", help="also store the Reply in VAR")
    @argument("--continue", dest="cont", action="store_true", help="follow on from the last reply")
    @argument("--new", action="store_true", help="start a new conversation")
    @line_cell_magic
    @_user_errors
    def respond(self, line: str, cell: str | None = None) -> Any:
        """Ask a model: `%respond [options] PROMPT` or `%%respond [options]` with the prompt below."""
        args, rest = _split(self.respond, line)
        prompt = interpolate(cell if cell is not None else rest, self._ns)
        if not prompt.strip():
            raise UsageError("Nothing to send: write a prompt after %respond (or below %%respond).")
        kwargs = self._respond_kwargs(args)
        view = _respond_view(kwargs)
        if view is None:
            return _store(self._ns, args.out, actions.respond(prompt, **kwargs))
        return _store(self._ns, args.out, run_live(actions.respond, prompt, view=view, **kwargs))

    def _source(self, text: str) -> Any:
        text = text.strip()
        if not text:
            raise UsageError("Give the audio: a path, a URL, or a variable holding bytes or a SpeechClip.")
        value = self._value(text)
        return value if value is not None else os.path.expanduser(text.strip("\"'"))

    @magic_arguments()
    @argument("-m", "--model", help="model name (default: OainbMagics.stt_model)")
    @argument("--language", help="ISO-639-1 code of the spoken language")
    @argument("--format", help="json, verbose_json, text, srt or vtt")
    @argument("--granularity", help="word,segment: timestamps to return")
    @argument("--logprobs", action="store_true", help="per-token logprobs")
    @argument("--prompt", help="text to guide spelling and style")
    @argument("--vad", action="store_true", help="split at pauses (server-side voice activity detection)")
    @argument("--stream", action="store_true", help="show the text as it is recognised")
    @argument("-o", "--out", metavar="VAR", help="also store the Transcript in VAR")
    @line_magic
    @_user_errors
    def transcribe(self, line: str) -> Any:
        """Transcribe audio: `%transcribe [options] SOURCE` (path, URL, or variable)."""
        args, rest = _split(self.transcribe, line)
        kwargs = {
            "model": args.model or self.stt_model, "language": args.language,
            "response_format": args.format, "granularities": args.granularity,
            "logprobs": args.logprobs, "prompt": args.prompt, "vad": args.vad,
        }
        if args.stream:
            result = run_live(actions.transcribe, self._source(rest), stream=True, **kwargs)
        else:
            result = actions.transcribe(self._source(rest), **kwargs)
        return _store(self._ns, args.out, result)

    @magic_arguments()
    @argument("-m", "--model", help="model name (default: OainbMagics.stt_model)")
    @argument("--format", help="json, verbose_json, text, srt or vtt")
    @argument("--prompt", help="English text to guide the translation")
    @argument("-o", "--out", metavar="VAR", help="also store the Transcript in VAR")
    @line_magic
    @_user_errors
    def translate(self, line: str) -> Any:
        """Translate speech into English text: `%translate [options] SOURCE`."""
        args, rest = _split(self.translate, line)
        result = actions.translate(
            self._source(rest), model=args.model or self.stt_model,
            response_format=args.format, prompt=args.prompt,
        )
        return _store(self._ns, args.out, result)

    @no_var_expand
    @magic_arguments()
    @argument("-m", "--model", help="model name (default: OainbMagics.tts_model)")
    @argument("-v", "--voice", help="voice (default: OainbMagics.voice)")
    @argument("--speed", type=float, help="0.25 to 4.0")
    @argument("--instructions", help="how to speak (gpt-4o-mini-tts)")
    @argument("--format", help="mp3, opus, aac, flac, wav or pcm")
    @argument("--stream", action="store_true", help="receive the audio in chunks")
    @argument("-o", "--out", metavar="VAR", help="also store the SpeechClip in VAR")
    @line_cell_magic
    @_user_errors
    def speak(self, line: str, cell: str | None = None) -> Any:
        """Turn text into speech: `%speak [options] TEXT` or `%%speak [options]` with text below."""
        args, rest = _split(self.speak, line)
        text = interpolate(cell if cell is not None else rest, self._ns)
        kwargs = {
            "model": args.model or self.tts_model, "voice": args.voice or self.voice,
            "speed": args.speed, "instructions": args.instructions, "response_format": args.format,
        }
        if args.stream:
            return _store(self._ns, args.out, run_live(actions.speak, text, stream=True, **kwargs))
        return _store(self._ns, args.out, actions.speak(text, **kwargs))

    @line_magic
    @_user_errors
    def oainb(self, line: str) -> None:
        """Status and settings: `%oainb`, `%oainb key`, `%oainb budget 0.50|off`, `%oainb ledger`, `%oainb reset`."""
        command, _, value = line.strip().partition(" ")
        state = actions.session()
        if command == "key":
            import getpass

            # getpass reads without echo; the key stays in this kernel's memory, never in the notebook.
            state.set_api_key(getpass.getpass("OpenAI API key (not shown, not saved): ").strip())
            print("Key set for this session." if state.api_key else "Key cleared.")
        elif command == "budget":
            state.ledger.set_budget(_budget(value))
            print(state.ledger.summary())
        elif command == "ledger":
            print(state.ledger.summary())
        elif command == "reset":
            state.reset()
            print("Conversation and clients reset.")
        elif command:
            raise UsageError(f"Unknown %oainb command {command!r}; use key, budget, ledger or reset.")
        else:
            print(actions.status_text(defaults={n: getattr(self, n) for n in _DEFAULTS}))


_DEFAULTS = ("model", "stt_model", "tts_model", "voice", "max_output_tokens", "stream")


def _budget(value: str) -> float | None:
    value = value.strip().lstrip("$")
    if value in ("off", "none", ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"%oainb budget takes dollars (e.g. 0.50) or off, not {value!r}.") from None


def _show_result(result: Any) -> None:
    """Show a result once: skip it when a live view already showed it in this same cell."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    from oainb.display import render_bundle

    shell = get_ipython()
    if was_shown_live(result, None if shell is None else shell.execution_count):
        return
    publish_display_data(render_bundle(result))


_QUESTION = re.compile(r"^(\s*)([\w.]+\s*=\s*)?%(respond|speak)\b(.*\?)\s*$")


def _keep_question_marks(lines: list[str]) -> list[str]:
    """Rewrite `%respond ... France?` into an explicit call before IPython sees the `?`.

    IPython reads a line ending in `?` as a help request (`France?` → "Object not found"); for
    these magics a trailing question mark belongs to the prompt.
    """
    if lines and lines[0].lstrip().startswith("%%"):
        return lines
    out = []
    for line in lines:
        match = _QUESTION.match(line)
        if match:
            indent, target, name, rest = match.groups()
            line = f"{indent}{target or ''}get_ipython().run_line_magic({name!r}, {rest.strip()!r})\n"
        out.append(line)
    return out


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the display of results (`%load_ext oainb`)."""
    from oainb.results import Reply, SpeechClip, Transcript

    ipython.register_magics(OainbMagics(ipython))
    cleanup = ipython.input_transformer_manager.cleanup_transforms
    if _keep_question_marks not in cleanup:
        cleanup.append(_keep_question_marks)
    formatter = ipython.display_formatter.ipython_display_formatter
    for cls in (Reply, Transcript, SpeechClip):
        formatter.for_type(cls, _show_result)
