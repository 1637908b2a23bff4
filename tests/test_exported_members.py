"""Pin the public surface: adding or removing a name from `oainb.__all__` is a decision."""

from __future__ import annotations

import importlib

import pytest

import oainb

EXPECTED = {
    "__version__",
    "load_ipython_extension",
    "Client",
    "AsyncClient",
    "NOT_GIVEN",
    "NotGiven",
    "SeedShapeWarning",
    "ReplyStream",
    "AsyncReplyStream",
    "TranscriptStream",
    "AsyncTranscriptStream",
    "SpeechStream",
    "AsyncSpeechStream",
    "Reply",
    "ReplyEvent",
    "OutputItem",
    "OutputMessage",
    "OutputText",
    "FunctionCall",
    "ImageGenerationCall",
    "Usage",
    "Transcript",
    "TranscriptWord",
    "TranscriptSegment",
    "TranscriptEvent",
    "SpeechClip",
    "SpeechEvent",
    "OainbError",
    "InputError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "StreamError",
    "MissingDependencyError",
    "BudgetExceededError",
    "CostEstimate",
    # Loaded on first use (module __getattr__), so `import oainb` stays light.
    "widgets",
    "playground",
    "batch",
    "respond",
    "transcribe",
    "translate",
    "speak",
}

CORE_MODULES = [
    "oainb._types",
    "oainb._exceptions",
    "oainb._config",
    "oainb._client",
    "oainb._streaming",
    "oainb._files",
    "oainb._checks",
    "oainb._compat",
    "oainb._extras",
    "oainb.results",
    "oainb.results._base",
    "oainb.results.reply",
    "oainb.results.events",
    "oainb.results.usage",
    "oainb.results.transcript",
    "oainb.results.speech",
    "oainb.results.stream_state",
    "oainb.resources.responses",
    "oainb.resources.audio",
    "oainb.resources.models",
    "oainb.resources._base",
    "oainb.cost",
    "oainb._prices",
    "oainb._ledger",
    "oainb._batch_result",
]

# The notebook layer's modules (they may import IPython and ipywidgets).
NOTEBOOK_MODULES = [
    "oainb.batch",
    "oainb.notebook.actions",
    "oainb.notebook._session",
    "oainb.notebook._reply_request",
    "oainb.notebook._respond",
    "oainb.notebook._transcribe",
    "oainb.notebook._speak",
    "oainb.notebook.widgets",
]


def test_all_is_pinned():
    assert set(oainb.__all__) == EXPECTED
    assert len(oainb.__all__) == len(set(oainb.__all__))


def test_every_exported_name_exists_and_is_public_api():
    for name in oainb.__all__:
        obj = getattr(oainb, name)
        if isinstance(obj, type):
            assert not obj.__module__.startswith("oainb.notebook"), name


def test_lazy_names_are_the_notebook_objects_users_reach_for():
    import oainb.batch as batch_module
    from oainb.cost import CostEstimate
    from oainb.notebook import actions, widgets

    assert oainb.widgets is widgets
    for name in ("ResponsesPlayground", "TranscriptionPlayground", "SpeechPlayground",
                 "playground", "BackgroundJob", "BatchProgress"):
        assert getattr(oainb.widgets, name) is getattr(widgets, name)
    assert oainb.playground is widgets.playground
    assert oainb.batch is batch_module and callable(oainb.batch.transcribe)
    assert oainb.CostEstimate is CostEstimate
    for name in ("respond", "transcribe", "translate", "speak"):
        assert getattr(oainb, name) is getattr(actions, name)
    assert {"widgets", "playground", "respond"} <= set(dir(oainb))


def test_an_unknown_name_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        oainb.nonesuch  # noqa: B018


def test_every_core_module_declares_all_and_exports_what_it_declares():
    for module_name in CORE_MODULES + NOTEBOOK_MODULES:
        module = importlib.import_module(module_name)
        assert isinstance(module.__all__, list), module_name
        for name in module.__all__:
            assert hasattr(module, name), f"{module_name}.{name}"


def test_sync_and_async_clients_offer_the_same_resources():
    for attr in ("responses", "audio", "models"):
        assert hasattr(oainb.Client, attr) and hasattr(oainb.AsyncClient, attr)
    sync = oainb.Client(api_key="sk-test-1")
    async_ = oainb.AsyncClient(api_key="sk-test-1")
    for path in (
        "responses",
        "audio.transcriptions",
        "audio.translations",
        "audio.speech",
        "models",
    ):
        s, a = sync, async_
        for part in path.split("."):
            s, a = getattr(s, part), getattr(a, part)
        public = {n for n in dir(s) if not n.startswith("_")}
        assert public == {n for n in dir(a) if not n.startswith("_")}, path
