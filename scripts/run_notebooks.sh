#!/usr/bin/env bash
# Check the notebooks the way CI does, on the bundled local backend with no key:
#   every notebook with nbval --nbval-lax (each cell runs, no cell raises unless tagged so),
#   the quickstart with full --nbval against its saved outputs, through notebooks/nbval_sanitize.cfg.
#
# Usage: bash scripts/run_notebooks.sh            # check (what CI runs)
#        bash scripts/run_notebooks.sh --save     # re-execute the quickstart and save its outputs
#        bash scripts/run_notebooks.sh --execute [NAME...]  # only execute (nbconvert), no nbval
# Env:   PYTHON (default .venv/bin/python), KEEP=1 keeps the scratch dir for a look afterwards.
#
# The notebooks run from a scratch copy with their own Jupyter dirs and OAINB_HOME, so nothing is
# written into the repo except, with --save, notebooks/01-quickstart.ipynb itself. The local
# server a kernel starts is stopped at the end by the PID in its state file.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PY="${PYTHON:-$REPO/.venv/bin/python}"
MODE="${1:---check}"
shift || true

WORK="$(mktemp -d "${TMPDIR:-/tmp}/oainb-notebooks.XXXXXX")"
stop_local_server() {
  local state pid
  for state in "$WORK"/oainb/server*.json; do
    [ -f "$state" ] || continue
    pid="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$state" 2>/dev/null || true)"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "scratch dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap stop_local_server EXIT

# No key and no base URL: Client() starts the bundled server. Isolated Jupyter/IPython dirs.
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID
export OAINB_HOME="$WORK/oainb" JUPYTER_CONFIG_DIR="$WORK/jupyter/config" \
  JUPYTER_DATA_DIR="$WORK/jupyter/data" JUPYTER_RUNTIME_DIR="$WORK/jupyter/runtime" \
  IPYTHONDIR="$WORK/ipython" MPLCONFIGDIR="$WORK/mpl" MPLBACKEND="module://matplotlib_inline.backend_inline" \
  HF_HUB_OFFLINE=1 PYDEVD_DISABLE_FILE_VALIDATION=1
cp -r notebooks "$WORK/notebooks"
rm -rf "$WORK/notebooks/.ipynb_checkpoints"
cd "$WORK"
# Our own pytest config: the repo's (testpaths, filterwarnings=error for our code) is not meant
# for nbval's kernel plumbing.
printf '[pytest]\naddopts = -p no:cacheprovider\n' > pytest.ini

execute() {  # execute notebooks in the scratch copy with nbconvert; outputs saved there
  "$PY" -m jupyter nbconvert --to notebook --execute --inplace \
    --ExecutePreprocessor.timeout=900 --NotebookClient.record_timing=False "$@"
}

case "$MODE" in
  --check)
    echo "== nbval-lax: every notebook"
    "$PY" -m pytest -q --nbval-lax --nbval-current-env --nbval-cell-timeout=900 notebooks/
    echo "== nbval: the quickstart against its saved outputs"
    "$PY" -m pytest -q --nbval --nbval-current-env --nbval-cell-timeout=900 \
      --nbval-sanitize-with "$REPO/notebooks/nbval_sanitize.cfg" notebooks/01-quickstart.ipynb
    ;;
  --execute)
    if [ "$#" -eq 0 ]; then set -- notebooks/*.ipynb; else set -- "${@/#/notebooks/}"; fi
    for nb in "$@"; do
      echo "== $nb"
      execute "$nb"
    done
    ;;
  --save)
    execute notebooks/01-quickstart.ipynb
    "$PY" "$REPO/scripts/clean_notebook.py" notebooks/01-quickstart.ipynb
    cp notebooks/01-quickstart.ipynb "$REPO/notebooks/01-quickstart.ipynb"
    echo "saved notebooks/01-quickstart.ipynb with its outputs"
    ;;
  *)
    echo "usage: $0 [--check|--execute|--save]" >&2
    exit 2
    ;;
esac
