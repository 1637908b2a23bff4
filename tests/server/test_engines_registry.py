"""Model names → engines. Nothing here loads a model: engines load on first use."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from oainb.server.engines import (
    Engine,
    Registry,
    UnknownModelError,
    WrongModelKindError,
    openai_kind,
)


@pytest.fixture
def registry() -> Registry:
    return Registry.default()


@pytest.mark.parametrize(
    ("model", "served_by"),
    [
        ("gpt-4o", "smollm2-135m-instruct"),
        ("gpt-4o-mini", "smollm2-135m-instruct"),
        ("gpt-4.1-nano", "smollm2-135m-instruct"),
        ("gpt-5", "smollm2-135m-instruct"),
        ("gpt-5-mini-2025-08-07", "smollm2-135m-instruct"),
        ("o3", "smollm2-135m-instruct"),
        ("o4-mini", "smollm2-135m-instruct"),
        ("whisper-1", "whisper-tiny.en"),
        ("gpt-4o-transcribe", "whisper-tiny.en"),
        ("gpt-4o-mini-transcribe", "whisper-tiny.en"),
        ("gpt-4o-mini-transcribe-2025-12-15", "whisper-tiny.en"),
        ("tts-1", "espeak-ng"),
        ("tts-1-hd", "espeak-ng"),
        ("gpt-4o-mini-tts", "espeak-ng"),
        ("gpt-4o-mini-tts-2025-12-15", "espeak-ng"),
        ("smollm2-135m-instruct", "smollm2-135m-instruct"),
        ("whisper-tiny.en", "whisper-tiny.en"),
        ("ESPEAK-NG", "espeak-ng"),
    ],
)
def test_openai_and_local_names_resolve_to_the_engine_that_answers(
    registry: Registry, model: str, served_by: str
) -> None:
    assert registry.resolve(model).name == served_by


@pytest.mark.parametrize("model", ["dall-e-3", "text-embedding-3-small", "gpt-4o-realtime-preview",
                                   "llama-3-70b", "omni-moderation-latest", ""])
def test_unknown_models_are_refused_with_a_404_shaped_error(registry: Registry, model: str) -> None:
    with pytest.raises(UnknownModelError) as info:
        registry.resolve(model)
    assert info.value.code == "model_not_found"
    assert info.value.param == "model"
    assert f"`{model}`" in str(info.value)
    assert "smollm2-135m-instruct" in str(info.value)  # says what would work


def test_a_model_of_another_kind_is_refused_for_the_endpoint(registry: Registry) -> None:
    with pytest.raises(WrongModelKindError, match="speech-to-text model") as info:
        registry.text("whisper-1")
    assert isinstance(info.value, ValueError)  # the server answers 400
    with pytest.raises(WrongModelKindError, match="needs a text-to-speech model"):
        registry.tts("gpt-4o")


def test_kind_accessors_default_to_the_bundled_engines(registry: Registry) -> None:
    assert registry.text().name == "smollm2-135m-instruct"
    assert registry.stt().name == "whisper-tiny.en"
    assert registry.tts().name == "espeak-ng"
    assert registry.model_ids() == ["smollm2-135m-instruct", "whisper-tiny.en", "espeak-ng"]
    assert not any(engine.loaded for engine in registry.engines)  # nothing loaded yet


def test_openai_kind_tells_families_apart() -> None:
    assert openai_kind("gpt-4o-transcribe") == "stt"
    assert openai_kind("gpt-4o-mini-tts") == "tts"
    assert openai_kind("gpt-4o") == "text"
    assert openai_kind("gpt-image-1") is None
    assert openai_kind("claude-3") is None


def test_another_gguf_names_itself_and_takes_the_openai_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("OAINB_GGUF", str(tmp_path / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"))
    registry = Registry.default()
    assert registry.text("gpt-4o").name == "qwen2.5-0.5b-instruct-q4_k_m"
    # Requests naming the bundled model keep working.
    assert registry.text("smollm2-135m-instruct").name == "qwen2.5-0.5b-instruct-q4_k_m"


class _EchoEngine:
    """A stand-in engine: anything with these members can be registered."""

    name = "echo-1"
    kind = "text"

    def __init__(self) -> None:
        self.loads = 0
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self.loads > 0

    def load(self) -> None:
        with self._lock:
            self.loads += 1


def test_a_new_engine_can_be_added_and_made_the_default_for_openai_names(registry: Registry) -> None:
    echo = _EchoEngine()
    assert isinstance(echo, Engine)
    registry.add(echo, aliases=["my-echo"], default=True)
    assert registry.resolve("my-echo") is echo
    assert registry.resolve("gpt-4o-mini") is echo
    assert registry.resolve("smollm2-135m-instruct").name == "smollm2-135m-instruct"
    assert "echo-1" in registry.model_ids()
