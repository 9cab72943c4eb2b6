"""Subjects of the SnapStart case, each doing one durable delivery against moto.

    python -m bench.subjects.snap cold KIND      init, one delivery, exit (the parent times it)
    python -m bench.subjects.snap restore KIND   init, then per "fork" line on stdin: fork; the
                                                 child runs the after-restore hooks and one
                                                 delivery, prints its wall and CPU seconds

KIND: bare, fastapi-floor, ours. A fork after init stands for a restore: the child starts from
the initialised memory, as an environment resumed from a snapshot does.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.common import CONTEXT, webhook_event


def load(kind: str) -> tuple[Callable[[dict[str, Any], Any], dict[str, Any]], Callable[[], None]]:
    """The subject's handler and its after-restore hooks (as the runtime client runs them)."""
    if kind == "ours":
        import snapshot_restore_py

        import handler.main

        def hooks() -> None:
            for func, args, kwargs in snapshot_restore_py.get_after_restore():
                func(*args, **kwargs)

        return handler.main.lambda_handler, hooks
    from bench.subjects import durable

    if kind == "bare":
        return durable.bare_handler, durable.renew
    if kind == "fastapi-floor":
        handle: Callable[[dict[str, Any], Any], dict[str, Any]] = durable.floor_handler()
        return handle, durable.renew
    raise SystemExit(f"unknown subject {kind}")


def deliver(handle: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
    response = handle(webhook_event(str(uuid.uuid4())), CONTEXT)
    if response["statusCode"] != 202:
        raise SystemExit(f"not accepted: {response}")


def restores(kind: str) -> None:
    # Results on the original stdout; the subject's own output (EMF, logs) to /dev/null.
    results = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    handle, hooks = load(kind)
    for line in sys.stdin:
        if line.strip() != "fork":
            continue
        child = os.fork()
        if child == 0:
            started, cpu_started = time.perf_counter(), time.process_time()
            hooks()
            deliver(handle)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            print(wall, cpu, file=results, flush=True)
            os._exit(0)
        _, status = os.waitpid(child, 0)
        if status != 0:
            print("nan nan", file=results, flush=True)


def main(mode: str, kind: str) -> int:
    if mode == "cold":
        handle, _ = load(kind)
        deliver(handle)
        # Peak RSS of this process since exec: the parent's rusage would count the memory
        # its fork shared with the (large) benchmark process before exec.
        with open("/proc/self/status") as status:
            peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
        with open(os.environ["BENCH_RSS_FILE"], "w") as out:
            out.write(peak)
    else:
        restores(kind)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
