#!/usr/bin/env bash
# Refresh the screenshots the README shows (docs/*.png) from the real-browser tests.
# The tests save every shot under test-artifacts/browser/; this copies the best ones to docs/.
# Usage: bash scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
"$PY" -m pytest -q tests/browser/test_quickstart.py tests/browser/test_playgrounds.py
for name in quickstart_reply quickstart_transcript quickstart_speech playground_streaming \
            playground_cancelled playground_speech playground_transcription; do
  cp "test-artifacts/browser/$name.png" "docs/$name.png"
  echo "docs/$name.png"
done
