"""4. HTTP throughput under uvicorn (httptools + uvloop), concurrency 16, keep-alive.

Baseline: a trivial ASGI app served the same way in the same run; rounds interleave the subjects
in a random order.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from typing import Any

from bench.common import BODY, ROOT, github_headers, median, percentile, receiver_env
from infra.processes import free_port, stop, wait_for_http

CONCURRENCY = 16
APPS = {
    "trivial": "bench.subjects.http_apps:trivial",
    "fastapi-floor": "bench.subjects.fastapi_floor:app",
    "ours": "bench.subjects.http_apps:ours",
}


def request_bytes(port: int) -> bytes:
    headers = {**github_headers(), "host": f"127.0.0.1:{port}", "content-length": str(len(BODY))}
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST /webhooks/github HTTP/1.1\r\n{head}\r\n".encode() + BODY


async def load(port: int, seconds: float) -> tuple[int, list[float], int]:
    request = request_bytes(port)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not status.startswith(b"HTTP/1.1 202"):
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(CONCURRENCY)))
    return len(latencies), latencies, errors


def run(quick: bool) -> dict[str, Any]:
    seconds = 2.0 if quick else 6.0
    rounds = 2 if quick else 3
    env = {**os.environ, **receiver_env(), "PYTHONPATH": str(ROOT)}
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    results: dict[str, dict[str, list[float]]] = {
        name: {"rps": [], "p50": [], "p99": []} for name in APPS
    }
    try:
        for name, target in APPS.items():
            port = free_port()
            args = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1"]
            args += ["--port", str(port), "--loop", "uvloop", "--http", "httptools"]
            args += ["--no-access-log", "--log-level", "warning"]
            # stdout carries one EMF line per delivery: written, as on Lambda, but not shown.
            process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
            servers[name] = (process, port)
            wait_for_http(f"http://127.0.0.1:{port}/", process=process)
        for _, port in servers.values():  # warm-up
            asyncio.run(load(port, 0.5))
        for _ in range(rounds):
            for name in random.sample(list(APPS), len(APPS)):
                count, latencies, errors = asyncio.run(load(servers[name][1], seconds))
                if errors:
                    raise RuntimeError(f"{name}: {errors} responses were not 202")
                results[name]["rps"].append(count / seconds)
                results[name]["p50"].append(percentile(latencies, 0.5) * 1e3)
                results[name]["p99"].append(percentile(latencies, 0.99) * 1e3)
    finally:
        stop([process for process, _ in servers.values()])
    base = median(results["trivial"]["rps"])
    return {
        "concurrency": CONCURRENCY,
        "seconds_per_round": seconds,
        "rounds": rounds,
        "subjects": {
            name: {
                "rps": median(values["rps"]),
                "p50_ms": median(values["p50"]),
                "p99_ms": median(values["p99"]),
                "ratio_to_trivial": median(values["rps"]) / base,
            }
            for name, values in results.items()
        },
    }
