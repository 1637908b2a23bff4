"""The magics in a real IPython shell against the real local server: each option, what it changes."""

from __future__ import annotations

import json

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from oainb.cost import Ledger, count_tokens
from oainb.display import annotations_of
from oainb.notebook import _session, actions
from oainb.notebook.magics import OainbMagics, interpolate

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def ip():
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    shell.run_line_magic("load_ext", "oainb")
    return shell


@pytest.fixture(autouse=True)
def session(monkeypatch, local_server, ip):
    monkeypatch.setenv("OPENAI_BASE_URL", local_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", local_server.api_key)
    state = actions.Session(ledger=Ledger())
    monkeypatch.setattr(_session, "_SESSION", state)  # the session every action reads
    magics = next(c for c in ip.configurables if isinstance(c, OainbMagics))
    saved = {name: getattr(magics, name) for name in ("model", "voice", "max_output_tokens", "stream")}
    magics.max_output_tokens = 16  # keep the small local model quick
    yield state
    for client in (state.client, state.async_client):
        if client is not None and hasattr(client, "close") and not hasattr(client, "__aenter__"):
            client.close()
    for name, value in saved.items():
        setattr(magics, name, value)


def run(ip, cell: str):
    """Run a cell; return (result, outputs, error) the way a notebook would see them."""
    with capture_output() as captured:
        result = ip.run_cell(cell)
    return result.result, captured, result.error_in_exec


def ok(ip, cell: str):
    value, captured, error = run(ip, cell)
    assert error is None, error
    return value, captured


# --- %respond -------------------------------------------------------------------------------

def test_respond_streams_into_one_output_and_ends_on_the_reply(ip):
    reply, captured = ok(ip, "%respond What is the capital of France?")
    assert reply is ip.user_ns["_"] and reply.output_text
    first, *updates = captured.outputs
    assert "waiting for the first token" in first.data["text/plain"]
    assert updates and all(o.update for o in updates)
    final = updates[-1].data
    assert final["text/plain"].split("\n\n— ")[0] == reply.output_text
    assert set(final) == {"text/plain", "text/markdown", "text/html"}
    assert "on OpenAI at gpt-4o-mini prices" in final["text/plain"]  # cost in the footer


def test_cell_magic_interpolates_variables_and_keeps_double_braces(ip):
    ip.user_ns["city"] = "Paris"
    reply, _ = ok(ip, "%%respond --no-stream\nName one museum in {city}. Answer as {{name}}.")
    assert reply.output_text
    sent = "Name one museum in Paris. Answer as {name}."
    estimate = annotations_of(reply).estimate  # priced from the prompt as it was sent
    assert estimate.basis.startswith(f"{count_tokens(sent) + 4} input tokens")


def test_unknown_variable_is_a_one_line_error(ip):
    _, _, error = run(ip, "%respond tell me about {nowhere_defined}")
    assert type(error) is UsageError and "nowhere_defined" in str(error)


def test_no_stream_displays_once(ip):
    reply, captured = ok(ip, "%respond --no-stream Say hello")
    assert len(captured.outputs) == 1 and not getattr(captured.outputs[0], "update", False)
    assert captured.outputs[0].data["text/plain"].startswith(reply.output_text)


def test_model_flag_and_config_default_change_the_model(ip):
    _, _, error = run(ip, "%respond -m no-such-model hi")
    assert type(error) is UsageError and "no-such-model" in str(error)
    ok(ip, "%respond --no-stream -m gpt-4o hi")
    assert actions.session().ledger.entries[-1].cost.model == "gpt-4o"
    ip.run_line_magic("config", 'OainbMagics.model = "gpt-4.1-nano"')
    ok(ip, "%respond --no-stream hi")
    assert actions.session().ledger.entries[-1].cost.model == "gpt-4.1-nano"


def test_sampling_and_instruction_flags_reach_the_api(ip):
    reply, _ = ok(ip, '%respond --no-stream --instructions "Answer in French." -t 0.3 --top-p 0.8 hi')
    assert (reply.instructions, reply.temperature, reply.top_p) == ("Answer in French.", 0.3, 0.8)


def test_max_output_tokens_caps_the_reply(ip):
    reply, _ = ok(ip, "%respond --no-stream --max-output-tokens 16 Write a long story about a dragon.")
    assert reply.usage.output_tokens <= 16
    assert reply.status == "incomplete"


def test_tools_are_sent_and_unknown_tools_refused_locally(ip):
    _, _, error = run(ip, "%respond --tools web_search What happened today?")
    assert type(error) is UsageError and "web_search" in str(error)  # the local server refuses it
    _, _, error = run(ip, "%respond --tools teleport hi")
    assert type(error) is UsageError and "Unknown tool 'teleport'" in str(error)


def test_json_flag_gives_json(ip):
    reply, _ = ok(ip, "%respond --no-stream --json --max-output-tokens 40 Give a JSON object with a key answer.")
    assert reply.status == "incomplete" or isinstance(json.loads(reply.output_text), dict)
    assert reply.output_text.lstrip().startswith("{")


def test_schema_from_a_variable_shapes_the_reply(ip):
    ip.user_ns["city_schema"] = {"type": "object", "properties": {"name": {"type": "string"}},
                                 "required": ["name"], "title": "city"}
    reply, _ = ok(ip, "%respond --no-stream --schema city_schema --max-output-tokens 30 Name a city.")
    assert reply.output_text.lstrip().startswith('{"name"') or reply.output_text.lstrip().startswith('{ "name"')
    _, _, error = run(ip, "%respond --schema not_a_var hi")
    assert type(error) is UsageError and "not_a_var" in str(error)


def test_logprobs_shade_tokens(ip):
    reply, captured = ok(ip, "%respond --no-stream --logprobs 2 Say hi")
    assert reply.logprobs and len(reply.logprobs[0]["top_logprobs"]) == 2
    assert 'title="p = ' in captured.outputs[0].data["text/html"]


def test_background_shows_status_then_the_reply(ip):
    reply, captured = ok(ip, "%respond --background Say hi")
    assert reply.status in ("completed", "incomplete") and reply.output_text
    shown = [o.data["text/plain"] for o in captured.outputs]
    assert "interrupt the kernel" in shown[0]  # how to cancel is shown while it runs
    assert any(s in "".join(shown[:-1]) for s in ("queued", "in progress"))
    assert shown[-1].startswith(reply.output_text)


def test_background_shows_the_job_widget_which_ends_on_the_reply(ip):
    from oainb.notebook.job import BackgroundJob

    reply, captured = ok(ip, "%respond --background Say hi")
    first = captured.outputs[0].data
    assert "application/vnd.jupyter.widget-view+json" in first  # the BackgroundJob widget
    job = BackgroundJob.for_id(reply.id)
    assert job.status == reply.status and job.done and job.cancel_button.disabled
    assert reply.output_text in job.final.outputs[0]["data"]["text/plain"]
    # ...and the reply is also a regular output, which a saved notebook keeps.
    assert captured.outputs[-1].data["text/plain"].startswith(reply.output_text)


def test_out_stores_the_result(ip):
    reply, _ = ok(ip, "%respond --no-stream -o answer hi")
    assert ip.user_ns["answer"] is reply


def test_continue_follows_on_and_new_starts_over(ip):
    first, _ = ok(ip, "%respond --no-stream My name is Ada.")
    second, _ = ok(ip, "%respond --no-stream --continue What is my name?")
    assert second.model_extra.get("previous_response_id") == first.id
    third, _ = ok(ip, "%respond --no-stream --new Hello")
    assert third.model_extra.get("previous_response_id") is None
    actions.session().previous_response_id = None
    _, _, error = run(ip, "%respond --continue hi")
    assert type(error) is UsageError and "no earlier reply" in str(error)


def test_budget_refuses_a_call_with_a_clear_message(ip):
    with capture_output() as out:
        ip.run_line_magic("oainb", "budget 0.0000001")
    assert "budget $0.00000010" in out.stdout
    _, _, error = run(ip, "%respond hi")
    assert type(error) is UsageError and "would pass the session budget" in str(error)
    assert actions.session().ledger.entries == []  # nothing was sent or counted


# --- %oainb ---------------------------------------------------------------------------------

def test_oainb_status_never_shows_the_key(ip, local_server):
    with capture_output() as out:
        ip.run_line_magic("oainb", "")
    assert "API key: set" in out.stdout and local_server.api_key not in out.stdout
    assert "local server" in out.stdout and "ledger:" in out.stdout


def test_oainb_key_asks_with_getpass_and_never_echoes(ip, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "sk-secret-value")
    with capture_output() as out:
        ip.run_line_magic("oainb", "key")
    assert actions.session().api_key == "sk-secret-value"
    assert "sk-secret" not in out.stdout
    assert "sk-secret" not in json.dumps(ip.user_ns.get("_oh", {}), default=repr)


def test_oainb_unknown_command(ip):
    with pytest.raises(UsageError, match="Unknown %oainb command"):
        ip.run_line_magic("oainb", "frobnicate")


# --- %speak, %transcribe, %translate --------------------------------------------------------

def wav_frames(clip) -> int:
    # the local server streams WAV with an open-ended header: count the sample bytes instead
    return (len(clip.audio) - 44) // 2


def test_speak_options(ip):
    ip.user_ns["who"] = "Ada"
    clip, captured = ok(ip, "%speak -v coral --format wav -o greeting Hello {who}, how are you?")
    assert clip.input == "Hello Ada, how are you?" and clip.voice == "coral"
    assert clip.audio[:4] == b"RIFF" and ip.user_ns["greeting"] is clip
    assert '<audio controls' in captured.outputs[0].data["text/html"]
    fast, _ = ok(ip, "%speak --format wav --speed 2.0 Hello Ada, how are you?")
    assert wav_frames(fast) < 0.8 * wav_frames(clip)
    styled, _ = ok(ip, '%speak -m gpt-4o-mini-tts --instructions "Speak slowly." Hi')
    assert (styled.model, styled.instructions) == ("gpt-4o-mini-tts", "Speak slowly.")
    assert actions.session().ledger.entries[-1].cost.model == "gpt-4o-mini-tts"


def test_speak_cell_and_stream(ip):
    clip, captured = ok(ip, "%%speak --stream --format wav\nOne two three.")
    assert clip.input.strip() == "One two three." and clip.audio[:4] == b"RIFF"
    assert captured.outputs[-1].data["text/html"].count("<audio controls") == 1


@pytest.fixture(scope="module")
def speech(ip, local_server):
    from oainb import Client

    with Client(api_key=local_server.api_key, base_url=local_server.base_url) as client:
        return client.audio.speech.create(model="tts-1", input="The quick brown fox jumps over the lazy dog.",
                                          voice="alloy", response_format="wav")


def test_transcribe_variable_with_word_timestamps(ip, speech):
    ip.user_ns["fox"] = speech
    t, captured = ok(ip, "%transcribe --granularity word -o heard fox")
    assert ip.user_ns["heard"] is t and len(t.words) >= 5
    assert "fox" in t.text.lower()
    html = captured.outputs[0].data["text/html"]
    assert "<audio controls" in html and "data:image/png;base64," in html
    assert "whisper-1 prices" in captured.outputs[0].data["text/plain"]


def test_transcribe_path_format_language_prompt_vad(ip, speech, tmp_path):
    path = tmp_path / "fox.wav"
    path.write_bytes(speech.audio)
    t, _ = ok(ip, f"%transcribe --format srt --language en --prompt Fox. --vad {path}")
    assert t.segments and "fox" in t.srt().lower()
    _, _, error = run(ip, f"%transcribe {tmp_path / 'missing.wav'}")
    assert type(error) is UsageError and "No audio file" in str(error)


def test_transcribe_stream_and_logprobs(ip, speech):
    ip.user_ns["fox"] = speech
    t, captured = ok(ip, "%transcribe --stream --logprobs -m gpt-4o-mini-transcribe fox")
    assert "fox" in t.text.lower() and t.logprobs
    assert len(captured.outputs) >= 2 and captured.outputs[-1].update


def test_translate(ip, speech):
    ip.user_ns["fox"] = speech
    t, _ = ok(ip, "%translate --format verbose_json -o en fox")
    assert "fox" in t.text.lower() and ip.user_ns["en"] is t


def test_bugs_keep_their_traceback(ip, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(actions, "speak", broken)
    _, _, error = run(ip, "%speak hi")
    assert type(error) is ZeroDivisionError


def test_interpolate_unit():
    assert interpolate("{a} {{b}} {c[0]:.1f}", {"a": "x", "c": [1.25]}) == "x {b} 1.2"
