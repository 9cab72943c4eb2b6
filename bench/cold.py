"""1. Cold start, whole process (spawn → first response → exit) and peak RSS, interleaved."""

from __future__ import annotations

import os
import random
import tempfile
from typing import Any

from bench.common import median, receiver_env, spawn_and_wait

SUBJECTS = ["bare", "powertools", "fastapi-floor", "ours"]


def one_run(kind: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to exit, and peak RSS in MiB (from the child's own rusage)."""
    elapsed, usage = spawn_and_wait(["bench.subjects.cold", kind], env)
    return elapsed, usage.ru_maxrss / 1024


def run(quick: bool) -> dict[str, Any]:
    runs = 5 if quick else 15
    env = {**os.environ, **receiver_env(AWS_LAMBDA_FUNCTION_NAME="bench-receiver")}
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("AWS_LAMBDA_RUNTIME_API", None)
    subjects = list(SUBJECTS)
    with tempfile.TemporaryDirectory() as empty_cache:
        # Without .pyc: nothing read or written, every module compiled on import.
        no_pyc = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty_cache}
        if not quick:
            subjects.append("ours-no-pyc")
        for kind in SUBJECTS:  # warm the page cache and the .pyc files once, untimed
            one_run(kind, env)
        times: dict[str, list[float]] = {k: [] for k in subjects}
        rss: dict[str, list[float]] = {k: [] for k in subjects}
        for _ in range(runs):
            order = random.sample(subjects, len(subjects))
            for kind in order:
                if kind == "ours-no-pyc":
                    seconds, mib = one_run("ours", no_pyc)
                else:
                    seconds, mib = one_run(kind, env)
                times[kind].append(seconds)
                rss[kind].append(mib)
    base = median(times["bare"])
    return {
        "runs": runs,
        "subjects": {
            kind: {
                "median_s": median(times[kind]),
                "ratio_to_bare": median(times[kind]) / base,
                "peak_rss_mib": median(rss[kind]),
                "samples_s": times[kind],
            }
            for kind in subjects
        },
    }
