#!/usr/bin/env bash
# Print the path of a uv to install packages with; exit 1 (and say why) if there is none.
#
#   infra/uv.sh            # uv on PATH, else the one bootstrapped into .tools/uv (from PyPI,
#                          # with this machine's Python), bootstrapping it now if needed
#   UV=/path/to/uv         # use that one
#   UV=none                # no uv: the callers fall back to pip (how the fallback is tested)
#
# uv is a wheel on PyPI, so a machine with Python and pip needs nothing else: `pip install
# --target` puts the binary in .tools/uv/bin (git-ignored) in a few seconds, without a venv.
set -euo pipefail

UV_VERSION="0.13.10"   # the uv a bootstrap installs (one on PATH is used as it is)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BOOTSTRAP_PYTHON="${BOOTSTRAP_PYTHON:-python3.11}"

log() { printf '[uv.sh] %s\n' "$*" >&2; }

if [ -n "${UV:-}" ]; then
    [ "$UV" = "none" ] && { log "UV=none: not using uv"; exit 1; }
    [ -x "$UV" ] || UV="$(command -v "$UV" || true)"
    [ -n "$UV" ] && [ -x "$UV" ] || { log "UV=${UV:-?} is not an executable"; exit 1; }
    printf '%s\n' "$UV"
    exit 0
fi
if found="$(command -v uv 2>/dev/null)"; then
    printf '%s\n' "$found"
    exit 0
fi
if [ -x "$TOOLS/uv/bin/uv" ]; then
    printf '%s\n' "$TOOLS/uv/bin/uv"
    exit 0
fi

# Bootstrap: into a temporary directory, renamed when complete (a half install is never used).
mkdir -p "$TOOLS"
tmp="$(mktemp -d "$TOOLS/uv.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
pip_log="$tmp/pip.log"
if "$BOOTSTRAP_PYTHON" -m pip --version >/dev/null 2>&1; then
    how="$BOOTSTRAP_PYTHON -m pip install --target"
    ok() { "$BOOTSTRAP_PYTHON" -m pip install -q --disable-pip-version-check --no-compile \
        --target "$tmp/uv" "uv==$UV_VERSION" >"$pip_log" 2>&1; }
else  # a Python without pip of its own: a throwaway venv brings one
    how="a venv's pip"
    ok() { "$BOOTSTRAP_PYTHON" -m venv "$tmp/venv" >"$pip_log" 2>&1 &&
        "$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check --no-compile \
            --target "$tmp/uv" "uv==$UV_VERSION" >>"$pip_log" 2>&1; }
fi
if ! ok || [ ! -x "$tmp/uv/bin/uv" ]; then
    log "could not bootstrap uv $UV_VERSION with $how:"
    tail -n 5 "$pip_log" >&2 || true
    exit 1
fi
rm -rf "$TOOLS/uv"
mv "$tmp/uv" "$TOOLS/uv"
log "bootstrapped uv $UV_VERSION into .tools/uv with $how ($(( $(date +%s) - start ))s)"
printf '%s\n' "$TOOLS/uv/bin/uv"
