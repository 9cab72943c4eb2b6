"""6. Cold start and SnapStart restore, each ending with one durable delivery against moto.

- cold: a new process imports the subject, makes one delivery (verify, claim, message, mark,
  archive) against a moto server, exits: spawn → exit, and peak RSS. No SnapStart.
- restore: each subject initialises once; a fork of it stands for an environment restored from
  its snapshot and times its after-restore hooks + one durable delivery.
Subjects: the bare handler and a plain FastAPI + Mangum route doing the same work
(bench/subjects/durable.py), and ours (handler.main). Interleaved, medians.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from typing import Any

from moto.server import ThreadedMotoServer

from bench.common import ROOT, median, receiver_env, spawn_and_wait
from infra.resources import create_resources

SUBJECTS = ["bare", "fastapi-floor", "ours"]


def environment(endpoint: str) -> dict[str, str]:
    base = receiver_env(AWS_LAMBDA_FUNCTION_NAME="bench-receiver")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        os.environ.setdefault(name, base[name])  # moto's fake keys, to create the resources
    resources = create_resources(endpoint_url=endpoint)
    env = {
        **os.environ,
        **base,
        **resources.environment(),
        "AWS_ENDPOINT_URL": endpoint,
    }
    env.pop("AWS_LAMBDA_RUNTIME_API", None)  # no extension: the archive runs before returning
    return env


def cold_run(kind: str, env: dict[str, str]) -> tuple[float, float, float]:
    """Seconds from spawn to exit, the child's CPU seconds (user + system: on a shared machine
    wall time swings 2x between runs, CPU much less), and its own peak RSS in MiB (VmHWM)."""
    with tempfile.NamedTemporaryFile("r") as peak:
        elapsed, usage = spawn_and_wait(
            ["bench.subjects.snap", "cold", kind], {**env, "BENCH_RSS_FILE": peak.name}
        )
        return elapsed, usage.ru_utime + usage.ru_stime, int(peak.read()) / 1024


def restore_runs(
    env: dict[str, str], runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds (the restored process's own) of hooks + one durable delivery."""
    processes = {
        kind: subprocess.Popen(
            [sys.executable, "-m", "bench.subjects.snap", "restore", kind],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for kind in SUBJECTS
    }
    times: dict[str, list[float]] = {kind: [] for kind in SUBJECTS}
    cpu: dict[str, list[float]] = {kind: [] for kind in SUBJECTS}
    try:
        for round_ in range(runs + 1):  # the first round warms up, untimed
            for kind in random.sample(SUBJECTS, len(SUBJECTS)):
                process = processes[kind]
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write("fork\n")
                process.stdin.flush()
                seconds, cpu_seconds = map(float, process.stdout.readline().split())
                if seconds != seconds:
                    raise RuntimeError(f"a restored {kind} failed its delivery")
                if round_:
                    times[kind].append(seconds)
                    cpu[kind].append(cpu_seconds)
    finally:
        for process in processes.values():
            assert process.stdin is not None
            process.stdin.close()
            process.wait(30)
    return times, cpu


def run(quick: bool) -> dict[str, Any]:
    runs = 5 if quick else 11
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = environment(f"http://{host}:{port}")
        for kind in SUBJECTS:  # page cache and .pyc, untimed
            cold_run(kind, env)
        cold: dict[str, list[float]] = {k: [] for k in SUBJECTS}
        cpu: dict[str, list[float]] = {k: [] for k in SUBJECTS}
        rss: dict[str, list[float]] = {k: [] for k in SUBJECTS}
        for _ in range(runs):
            for kind in random.sample(SUBJECTS, len(SUBJECTS)):
                seconds, cpu_seconds, mib = cold_run(kind, env)
                cold[kind].append(seconds)
                cpu[kind].append(cpu_seconds)
                rss[kind].append(mib)
        restore, restore_cpu = restore_runs(env, runs)
    finally:
        server.stop()
    floor, floor_rss = median(cold["fastapi-floor"]), median(rss["fastapi-floor"])
    floor_cpu = median(cpu["fastapi-floor"])
    bare_restore, bare_restore_cpu = median(restore["bare"]), median(restore_cpu["bare"])
    return {
        "runs": runs,
        "cold": {
            kind: {
                "median_s": median(cold[kind]),
                "ratio_to_floor": median(cold[kind]) / floor,
                "median_cpu_s": median(cpu[kind]),
                "cpu_ratio_to_floor": median(cpu[kind]) / floor_cpu,
                "peak_rss_mib": median(rss[kind]),
                "rss_over_floor_mib": median(rss[kind]) - floor_rss,
                "samples_s": cold[kind],
            }
            for kind in SUBJECTS
        },
        "restore": {
            kind: {
                "median_ms": median(restore[kind]) * 1e3,
                "ratio_to_bare": median(restore[kind]) / bare_restore,
                "median_cpu_ms": median(restore_cpu[kind]) * 1e3,
                "cpu_ratio_to_bare": median(restore_cpu[kind]) / bare_restore_cpu,
                "samples_ms": [s * 1e3 for s in restore[kind]],
            }
            for kind in SUBJECTS
        },
    }
