#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run it.
# Usage: bash scripts/test.sh [extra pytest args]
# Needs root (or sudo) once, for Debian's Chromium used by the real-browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# llama-cpp-python has no binary wheel: pip compiles it (a few minutes the first time, then pip's
# wheel cache makes it instant). GGML_NATIVE=OFF gives a portable build that is no slower here.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[local,dev]"

export HF_HUB_OFFLINE=1

# pytest's exit 5 means it collected no test: a failure here, never a pass.
run_pytest() {
  local rc=0
  .venv/bin/python -m pytest -q -rs "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then echo "pytest collected no tests ($*): that is a failure" >&2; return 1; fi
  return "$rc"
}

status=0
# Everything but the real-browser tests, then those in a process of their own: Playwright's sync
# API leaves an asyncio loop marked running in its thread, which later asyncio tests would trip on.
run_pytest -m "not browser" "$@" || status=1
run_pytest -m browser "$@" || status=1
# The notebooks: each with nbval --nbval-lax, the quickstart with full nbval against its saved outputs.
bash scripts/run_notebooks.sh || status=1
exit "$status"
