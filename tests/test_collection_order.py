"""A plain `pytest` run is safe with the browser tests in it: they run after everything else."""

from __future__ import annotations

import pathlib

import pytest

_ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_browser_tests_run_after_the_others(pytester: pytest.Pytester,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini("[pytest]\nmarkers =\n    browser: real browser\n")
    pytester.makepyfile(
        test_a="import pytest\n\n@pytest.mark.browser\ndef test_in_a_browser():\n    pass\n",
        test_b="def test_with_asyncio():\n    pass\n",
    )
    monkeypatch.setenv("PYTHONPATH", str(_ROOT))
    result = pytester.runpytest_subprocess("-v", "-p", "tests.conftest", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_b.py::test_with_asyncio PASSED*",
                                 "*test_a.py::test_in_a_browser PASSED*"])
