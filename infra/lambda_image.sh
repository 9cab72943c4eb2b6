#!/usr/bin/env bash
# Build an offline stand-in for the AWS Lambda Python 3.13 base image under our own name
# (webhook-receiver/lambda-python:3.13-x86_64), which samconfig.toml hands to `sam local` as its
# `invoke_image`: `sam local invoke|start-api --skip-pull-image` then works without any container
# registry, and SAM builds its emulator layer on top as webhook-receiver/lambda-python:rapid-x86_64.
#
#   infra/lambda_image.sh            # build unless the image already exists
#   infra/lambda_image.sh --force    # rebuild
#
# How: mmdebstrap --variant=extract unpacks python3.13 from Debian 13 (trixie) (+ libstdc++6,
# coreutils, dash: SAM's own "rapid" layer needs /bin/sh, mv and chmod) into a tarball; its extract hook pip-installs awslambdaric 4.2.x and boto3 into /var/runtime and writes
# /var/runtime/bootstrap; the tarball is piped to `docker import`. Needs a running Docker engine
# (infra/docker.sh) and root (or sudo) for mmdebstrap/apt.
set -euo pipefail

PY_VERSION="${LAMBDA_PYTHON_VERSION:-3.13}"   # template.yaml: Runtime python3.13
IMAGE="${LAMBDA_IMAGE:-webhook-receiver/lambda-python:$PY_VERSION-x86_64}"
SUITE="${DEBIAN_SUITE:-trixie}"            # Debian 13 ships python3.13 (bookworm: 3.11)
# The Debian mirror this machine's apt already uses (its main archive, not -security).
host_mirror() {
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
      grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | tr ' ' '\n' | grep '://'
    } | grep -v -e security -e '^$' | grep '/debian/*$' | head -n 1 || true
}
MIRROR="${DEBIAN_MIRROR:-$(host_mirror)}"
RIC_SPEC="${AWSLAMBDARIC_SPEC:-awslambdaric>=4.2,<4.3}"
BOTO3_SPEC="${BOTO3_SPEC:-boto3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Their versions (and their dependencies'): the Lambda lock's boto3, the dev lock's awslambdaric
# (the one tests/lambda runs), so the stand-in image changes only when a lock does.
CONSTRAINTS=(-c "$ROOT/requirements.lock" -c "$ROOT/requirements-dev.lock")
# pip fetches the wheels when there is no uv (for CPython $PY_VERSION x86_64, whatever this
# interpreter is).
if [ -z "${PYTHON:-}" ]; then  # a venv made by uv has no pip
    PYTHON="${BOOTSTRAP_PYTHON:-python3}"
    "$ROOT/.venv/bin/python" -m pip --version >/dev/null 2>&1 && PYTHON="$ROOT/.venv/bin/python"
fi

log() { printf '[lambda_image.sh] %s\n' "$*" >&2; }
[ -n "$MIRROR" ] || { log "no Debian mirror found in /etc/apt; set DEBIAN_MIRROR"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

force=0
[ "${1:-}" = "--force" ] && force=1

if ! docker info >/dev/null 2>&1; then
    log "no Docker engine answers; run infra/docker.sh first"
    exit 1
fi

# Present and able to start the runtime client (an older script could leave a half-built image).
if [ "$force" -eq 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1 &&
    docker run --rm --network none -e PYTHONPATH=/var/runtime \
        --entrypoint "/usr/bin/python$PY_VERSION" "$IMAGE" \
        -c 'import awslambdaric, snapshot_restore_py' >/dev/null 2>&1; then
    log "$IMAGE already present; skipping (use --force to rebuild)"
    exit 0
fi

if ! command -v mmdebstrap >/dev/null 2>&1; then
    log "installing mmdebstrap"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        mmdebstrap >/dev/null
fi

start=$(date +%s)
old_id="$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
work="$(mktemp -d "${TMPDIR:-/tmp}/lambda-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# 1. Runtime wheels for CPython $PY_VERSION / manylinux x86_64, independent of the host's Python.
log "installing $RIC_SPEC and $BOTO3_SPEC wheels (as locked)"
if uv="$("$ROOT/infra/uv.sh")"; then
    "$uv" pip install --quiet --no-python-downloads --target "$work/runtime" --only-binary :all: \
        --python-platform x86_64-manylinux2014 --python-version "$PY_VERSION" \
        "${CONSTRAINTS[@]}" "$RIC_SPEC" "$BOTO3_SPEC"
else
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --no-compile \
        --target "$work/runtime" --only-binary=:all: \
        --platform manylinux2014_x86_64 --python-version "$PY_VERSION" --implementation cp \
        "${CONSTRAINTS[@]}" "$RIC_SPEC" "$BOTO3_SPEC"
fi
rm -rf "$work/runtime/bin"

cat >"$work/runtime/bootstrap" <<EOF
#!/bin/sh
# Like the real image: the function's code and layers come before the runtime's own packages.
export PYTHONPATH="\${LAMBDA_TASK_ROOT:-/var/task}:/opt/python:/var/runtime\${PYTHONPATH:+:\$PYTHONPATH}"
cd "\${LAMBDA_TASK_ROOT:-/var/task}"
exec /usr/bin/python$PY_VERSION -m awslambdaric "\$_HANDLER"
EOF
chmod 0755 "$work/runtime/bootstrap"

# 2. The extract hook runs after unpacking, with the root directory as $1.
cat >"$work/hook.sh" <<EOF
#!/bin/sh
set -e
root="\$1"
mkdir -p "\$root/var/runtime" "\$root/var/task" "\$root/opt" "\$root/tmp" "\$root/etc"
chmod 1777 "\$root/tmp"
cp -a "$work/runtime/." "\$root/var/runtime/"
# Debian 13 is merged-/usr: its /bin, /lib64... symlinks come from maintainer scripts, which the
# extract variant does not run (without /lib64 no binary finds its loader, without /bin/sh SAM's
# rapid layer cannot build).
for dir in bin sbin lib lib64; do
    [ -e "\$root/\$dir" ] || [ ! -d "\$root/usr/\$dir" ] || ln -s "usr/\$dir" "\$root/\$dir"
done
# Precompile the runtime (no .pyc would double its import time).
# By the image's own interpreter: .pyc from another Python version would be ignored.
chroot "\$root" /usr/bin/python$PY_VERSION -m compileall -q -j0 /var/runtime >/dev/null
[ -e "\$root/etc/passwd" ] || printf 'root:x:0:0:root:/root:/bin/sh\\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\\n' >"\$root/etc/passwd"
[ -e "\$root/etc/group" ] || printf 'root:x:0:\\n' >"\$root/etc/group"
# python3 -> python$PY_VERSION (the extract variant runs no maintainer scripts)
[ -e "\$root/usr/bin/python3" ] || ln -s python$PY_VERSION "\$root/usr/bin/python3"
[ -e "\$root/usr/bin/python" ] || ln -s python$PY_VERSION "\$root/usr/bin/python"
EOF
chmod 0755 "$work/hook.sh"

# 3. Root filesystem tarball -> docker import, with the real image's environment.
log "mmdebstrap ($SUITE, extract variant) | docker import $IMAGE"
as_root mmdebstrap --quiet --variant=extract --mode=root --format=tar \
    --include="python$PY_VERSION,libstdc++6,coreutils,dash" \
    --extract-hook="$work/hook.sh" \
    "$SUITE" "$work/rootfs.tar" "deb $MIRROR $SUITE main" </dev/null
# From a finished file, not a pipe: a failed mmdebstrap must not leave a half image under the tag.
docker import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV TZ=:/etc/localtime' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
        --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
        --change 'WORKDIR /var/task' \
        --change 'ENTRYPOINT ["/var/runtime/bootstrap"]' \
        "$work/rootfs.tar" "$IMAGE" >/dev/null

if [ -n "$old_id" ]; then
    # SAM's own layer on top (<repo>:rapid-<arch>) was built from the old image: drop both.
    docker image rm "${IMAGE%%:*}:rapid-${IMAGE##*-}" >/dev/null 2>&1 || true
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
log "built $IMAGE in $(( $(date +%s) - start ))s ($(docker image inspect -f '{{.Size}}' "$IMAGE") bytes)"
