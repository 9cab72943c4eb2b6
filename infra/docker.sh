#!/usr/bin/env bash
# Ensure a Docker engine is available for `sam local`.
#
#   infra/docker.sh          # (= start) install docker.io if needed, start dockerd if none answers,
#                            # wait until ready, print the pid of a dockerd we started (or "external")
#   infra/docker.sh stop     # stop the dockerd THIS script started (pid file); never any other
#   infra/docker.sh status   # print "running <pid>", "external" or "stopped"
#
# Idempotent: running `start` twice starts one engine; `stop` without a pid file does nothing.
# Logs and the pid file live in infra/.build/ (git-ignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="${INFRA_BUILD_DIR:-$HERE/.build}"
PID_FILE="$BUILD_DIR/dockerd.pid"
LOG_FILE="$BUILD_DIR/dockerd.log"
STORAGE_DRIVER="${DOCKERD_STORAGE_DRIVER:-overlay2}"
READY_TIMEOUT="${DOCKERD_READY_TIMEOUT:-60}"

log() { printf '[docker.sh] %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
        log "need root for: $*"; return 1
    fi
}

engine_up() { docker info >/dev/null 2>&1; }

our_pid() {
    # The pid from our pid file, only if that process is still a dockerd.
    [ -f "$PID_FILE" ] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "dockerd" ] || return 1
    printf '%s\n' "$pid"
}

ensure_installed() {
    if command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; then
        return 0
    fi
    log "dockerd/docker missing: installing Debian's docker.io"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        docker.io iptables ca-certificates >/dev/null
    command -v dockerd >/dev/null 2>&1 || { log "dockerd still not found after install"; exit 1; }
}

start() {
    mkdir -p "$BUILD_DIR"
    local pid
    if pid="$(our_pid)"; then
        wait_ready "$pid"
        printf '%s\n' "$pid"
        return 0
    fi
    rm -f "$PID_FILE"
    if engine_up; then
        log "a Docker engine not started by this script is already running; leaving it alone"
        echo external
        return 0
    fi
    ensure_installed
    if engine_up; then  # the package's service may have started one
        echo external
        return 0
    fi
    log "starting dockerd --storage-driver=$STORAGE_DRIVER (log: $LOG_FILE)"
    # setsid: the engine must outlive this script and not get the caller's signals. dockerd writes
    # its own pid file; we read it back (with sudo, $! would be sudo's pid, not dockerd's).
    local own_pidfile="$BUILD_DIR/dockerd.self.pid" launcher
    rm -f "$own_pidfile"
    if [ "$(id -u)" -eq 0 ]; then launcher=(setsid); else launcher=(sudo -n setsid); fi
    "${launcher[@]}" dockerd --storage-driver="$STORAGE_DRIVER" --pidfile="$own_pidfile" \
        >>"$LOG_FILE" 2>&1 </dev/null &
    pid=$!
    wait_ready "$pid"
    [ -s "$own_pidfile" ] && pid="$(cat "$own_pidfile")"
    echo "$pid" >"$PID_FILE"
    printf '%s\n' "$pid"
}

wait_ready() {
    local pid="$1" waited=0
    until engine_up; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "dockerd (pid $pid) exited; last log lines:"
            tail -n 20 "$LOG_FILE" >&2 || true
            rm -f "$PID_FILE"
            exit 1
        fi
        if [ "$waited" -ge "$((READY_TIMEOUT * 5))" ]; then
            log "dockerd not ready after ${READY_TIMEOUT}s; see $LOG_FILE"
            exit 1
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
}

stop() {
    local pid
    if ! pid="$(our_pid)"; then
        rm -f "$PID_FILE"
        log "no dockerd started by this script is running"
        return 0
    fi
    log "stopping dockerd pid $pid"
    as_root kill -TERM "$pid"
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "dockerd pid $pid ignored SIGTERM for 30s; sending SIGKILL"
        as_root kill -KILL "$pid" || true
    fi
    rm -f "$PID_FILE"
}

status() {
    local pid
    if pid="$(our_pid)"; then echo "running $pid"
    elif engine_up; then echo external
    else echo stopped
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
