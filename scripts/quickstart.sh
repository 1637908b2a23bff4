#!/usr/bin/env bash
# Install oainb with its embedded local backend and open the quickstart notebook in JupyterLab.
# No API key and no network are needed: the bundled server runs real small models on this machine.
# Usage: bash scripts/quickstart.sh            (opens JupyterLab on http://127.0.0.1:8888)
#        bash scripts/quickstart.sh --execute  (runs the quickstart top to bottom in a terminal instead)
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[local]" "jupyterlab>=4"

if [ "${1:-}" = "--execute" ]; then
  exec .venv/bin/jupyter nbconvert --to notebook --execute --stdout \
    notebooks/01-quickstart.ipynb >/dev/null
fi
exec .venv/bin/jupyter lab --ip=127.0.0.1 --no-browser notebooks/01-quickstart.ipynb
