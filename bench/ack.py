"""3. Ack latency vs background work, through real awslambdaric and a fake Runtime API.

ack = event handed to the runtime → response posted by the runtime; busy = until the environment
could freeze (runtime and extension both waiting on next).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from typing import Any

from bench.common import ROOT, median
from infra.apigw import http_api_event
from infra.runtime_api import FakeRuntimeAPI

WORK_MS = [0, 50, 200]
MODES = ["ack_first", "plain"]


def run(quick: bool) -> dict[str, Any]:
    repeats = 8 if quick else 30
    apis: dict[str, FakeRuntimeAPI] = {}
    processes: list[subprocess.Popen[bytes]] = []
    ack: dict[str, dict[int, list[float]]] = {m: {w: [] for w in WORK_MS} for m in MODES}
    busy: dict[str, dict[int, list[float]]] = {m: {w: [] for w in WORK_MS} for m in MODES}
    try:
        for mode in MODES:
            api = FakeRuntimeAPI().__enter__()
            apis[mode] = api
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "awslambdaric", "bench.subjects.ack_app.handler"],
                    env={
                        **os.environ,
                        "PYTHONPATH": str(ROOT),
                        "AWS_LAMBDA_RUNTIME_API": api.address,
                        "AWS_LAMBDA_FUNCTION_NAME": "bench-ack",
                        "BENCH_MODE": mode,
                    },
                    cwd=ROOT,
                )
            )
            api.wait_init(extensions=1 if mode == "ack_first" else 0)
        for mode in MODES:  # warm up
            for _ in range(3):
                apis[mode].invoke(http_api_event("POST", "/work", query="ms=0"))
        cells = [(m, w) for m in MODES for w in WORK_MS]
        for _ in range(repeats):
            for mode, work in random.sample(cells, len(cells)):
                invocation = apis[mode].invoke(http_api_event("POST", "/work", query=f"ms={work}"))
                assert invocation.json()["statusCode"] == 200, invocation.response
                ack[mode][work].append((invocation.responded_at - invocation.dispatched_at) * 1e3)
                busy[mode][work].append((invocation.frozen_at - invocation.dispatched_at) * 1e3)
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        for api in apis.values():
            api.close()
    result: dict[str, Any] = {"repeats": repeats, "modes": {}}
    for mode in MODES:
        zero = median(ack[mode][0])
        result["modes"][mode] = {
            str(work): {
                "ack_ms": median(ack[mode][work]),
                "busy_ms": median(busy[mode][work]),
                "ack_ratio_to_0ms": median(ack[mode][work]) / zero,
            }
            for work in WORK_MS
        }
    return result
