#!/usr/bin/env bash
# Prove the notebooks run on Binder, the way repo2docker would build them: from binder/ alone.
#
#   1. the packages in binder/apt.txt (installed with apt-get when missing and we are root),
#   2. a fresh virtual environment with the Python of binder/runtime.txt,
#   3. pip install -r binder/requirements.txt, run from the repository root as repo2docker does,
#   4. binder/postBuild (warms the local models),
#   5. every notebook executed in that environment, with no key and no network but loopback.
#
# Nothing from pyproject's dev extras is used. Binder's base image brings Jupyter itself, so
# step 3 adds only what that image would provide to run a notebook: jupyterlab, nbconvert and
# ipykernel.
#
# Usage: bash scripts/binder_check.sh     (KEEP=1 keeps the scratch dir; BINDER_PYTHON overrides)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/oainb-binder.XXXXXX")"
VENV="$WORK/venv"
t0=$(date +%s)
say() { echo "[binder-check +$(( $(date +%s) - t0 ))s] $*"; }

stop_local_server() {
  local state pid
  for state in "$WORK"/home/.cache/oainb/server*.json "$WORK"/oainb/server*.json; do
    [ -f "$state" ] || continue
    pid="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$state" 2>/dev/null || true)"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "scratch dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap stop_local_server EXIT

# 1. apt.txt
missing=()
while read -r pkg; do
  [ -z "$pkg" ] || [[ "$pkg" == \#* ]] && continue
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < binder/apt.txt
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "missing apt packages: ${missing[*]} (run as root)" >&2; exit 1; fi
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. runtime.txt: python-3.11 -> python3.11
want="$(sed -n 's/^python-\([0-9.]*\).*/\1/p' binder/runtime.txt)"
PY="${BINDER_PYTHON:-$(command -v "python$want" || true)}"
[ -n "$PY" ] || { echo "binder/runtime.txt wants Python $want, not found" >&2; exit 1; }
"$PY" -c "import sys; v='$want'; assert sys.version.startswith(v), (sys.version, v)"
say "fresh venv with $("$PY" --version)"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip

# 3. requirements.txt, from the repo root (its "-e ." is the repo). pip's wheel cache keeps the
# compiled llama-cpp-python, so this is quick on a machine that built it once.
say "pip install -r binder/requirements.txt"
"$VENV/bin/python" -m pip install -q -r binder/requirements.txt
"$VENV/bin/python" -m pip install -q jupyterlab nbconvert ipykernel

# 4. postBuild, with the venv first on PATH as repo2docker's environment would have it.
# A fresh HOME: no cache, no Jupyter config, no oainb state from this machine.
export HOME="$WORK/home" PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV"
mkdir -p "$HOME"
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID OAINB_HOME \
  JUPYTER_CONFIG_DIR JUPYTER_DATA_DIR JUPYTER_RUNTIME_DIR IPYTHONDIR MPLCONFIGDIR
say "binder/postBuild"
bash binder/postBuild

# 5. execute every notebook from a copy, as a Binder user would open them.
cp -r notebooks "$WORK/notebooks"
cd "$WORK/notebooks"
for nb in *.ipynb; do
  say "execute $nb"
  jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=900 "$nb"
done
say "all notebooks ran in the Binder environment"
