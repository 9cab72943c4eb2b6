#!/usr/bin/env bash
# Create a venv (if missing) and install a lock file into it: the Makefile's one way to install.
#
#   infra/venv.sh VENV LOCK [--editable]    # --editable: also `-e .` (the `webhooks` command)
#
# With uv (infra/uv.sh: on PATH, or bootstrapped from PyPI) when there is one, else with pip;
# the first line says which. Installs add to the venv (`.venv` gets the run lock, then the dev
# lock, whose versions agree: `make lock` makes them).
set -euo pipefail

VENV="$1"
LOCK="$2"
EDITABLE="${3:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BOOTSTRAP_PYTHON="${BOOTSTRAP_PYTHON:-python3.11}"
cd "$ROOT"

start=$(date +%s%N)
if uv="$(BOOTSTRAP_PYTHON="$BOOTSTRAP_PYTHON" infra/uv.sh)"; then
    echo "[venv.sh] $VENV <- $LOCK with uv ($uv, $("$uv" --version | cut -d' ' -f2))" >&2
    if [ ! -x "$VENV/bin/python" ]; then
        # The interpreter itself, not a name: uv must not pick (or download) another Python.
        "$uv" venv -q --python "$("$BOOTSTRAP_PYTHON" -c 'import sys; print(sys.executable)')" \
            "$VENV"
    fi
    "$uv" pip install -q -p "$VENV/bin/python" -r "$LOCK"
    [ "$EDITABLE" != "--editable" ] || "$uv" pip install -q -p "$VENV/bin/python" --no-deps -e .
else
    echo "[venv.sh] $VENV <- $LOCK with pip (no uv: see above)" >&2
    if [ ! -x "$VENV/bin/python" ]; then
        "$BOOTSTRAP_PYTHON" -m venv "$VENV"
    fi
    # A venv uv made has no pip of its own.
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$VENV/bin/python" -m ensurepip >/dev/null
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$LOCK"
    [ "$EDITABLE" != "--editable" ] ||
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
fi
tenths=$(( ($(date +%s%N) - start) / 100000000 ))
printf '[venv.sh] %s ready in %d.%ds\n' "$VENV" $((tenths / 10)) $((tenths % 10)) >&2
