"""The local OpenAI-compatible server: ``create_app()`` and the ``oainb serve`` command.

Install it with ``pip install 'oainb[local]'``. It serves the Responses and Audio endpoints on
small bundled models (SmolLM2, Whisper tiny.en, espeak-ng), so oainb works with no API key and
no network.
"""

from __future__ import annotations

from oainb.server.app import create_app

__all__ = ["create_app"]
