"""`import oainb` stays light: no notebook, plotting, server or engine packages get loaded."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ["IPython", "ipywidgets", "matplotlib", "starlette", "llama_cpp", "faster_whisper", "av"]


def test_import_oainb_loads_no_heavy_package():
    code = (
        "import sys, oainb\n"
        "oainb.Client; oainb.AsyncClient; oainb.Reply; oainb.CostEstimate; dir(oainb)\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_using_a_client_loads_no_heavy_package():
    code = (
        "import sys, httpx, oainb\n"
        "t = httpx.MockTransport(lambda r: httpx.Response(200, json={'object': 'list', 'data': []}))\n"
        "c = oainb.Client(api_key='sk-test-1', http_client=httpx.Client(transport=t))\n"
        "c.models.list(); c.responses; c.audio.speech\n"
        "oainb.Reply()._repr_mimebundle_(include=['text/plain'])\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_check_would_notice_a_heavy_import():
    code = f"import sys, oainb, json\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", "import av\n" + code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "av"


def test_a_lazy_name_loads_its_packages_only_when_used():
    code = (
        "import sys, oainb\n"
        "before = 'ipywidgets' in sys.modules\n"
        "oainb.playground\n"
        "print(before, 'ipywidgets' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
