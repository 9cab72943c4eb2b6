"""Forwarding to destinations against a moto server and a local destination: `python -m
bench.forward [--quick]`. Not part of `make test`.

1. End to end, POST → 202 → SQS → worker → the destination's 2xx: deliveries forwarded per second,
   next to the same run without forwarding (deliveries processed per second), rounds interleaved,
   medians and their ratio.
   With --slow instead: a destination that takes SLOW_SECONDS per request, forwarded by a
   worker with FORWARD_CONCURRENCY=1 (a batch's first attempts one after another, as before)
   next to the default (side by side), rounds interleaved, medians and their ratio.
2. Rate-limit accuracy: a backlog forwarded by two worker processes to a destination limited to R
   requests per second: requests per second observed at the destination vs R.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

from bench.common import BODY, github_headers, receiver_env
from bench.common import SECRET as BENCH_SECRET
from infra.destination_server import Answer, DestinationServer
from infra.processes import (
    EMULATOR_CREDENTIALS,
    free_port,
    start_moto,
    start_receiver,
    start_worker,
    stop,
)
from infra.resources import create_resources

CONCURRENCY = 8
SLOW_SECONDS = 0.2  # the slow destination's time per request
SECRET = "whsec_YmVuY2gtZGVzdGluYXRpb24tc2VjcmV0"
QUIET: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def sources_toml(url: str, paced_url: str, slow_url: str, rate: int) -> str:
    # bench.common signs GitHub deliveries with its own secret: the same here.
    return f"""
[sources.github]
scheme = "github"
secrets = ["{BENCH_SECRET}"]

[[sources.github.destinations]]
name = "bench"
url = "{url}"
secret = "{SECRET}"
allow_private_network = true
event_types = ["push"]

[[sources.github.destinations]]
name = "paced"
url = "{paced_url}"
secret = "{SECRET}"
allow_private_network = true
event_types = ["paced"]
rate_limit_per_second = {rate}

[[sources.github.destinations]]
name = "slow"
url = "{slow_url}"
secret = "{SECRET}"
allow_private_network = true
event_types = ["slow"]
timeout_seconds = 5
"""


def post(url: str, delivery: str, event: str = "push") -> int:
    headers = {**github_headers(BODY, delivery), "X-GitHub-Event": event}
    request = urllib.request.Request(url, data=BODY, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def processed(dynamodb: Any, table: str, prefix: str) -> int:
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        Select="COUNT",
        FilterExpression="#status = :processed AND begins_with(pk, :prefix)",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":processed": {"S": "processed"}, ":prefix": {"S": prefix}},
    ):
        total += int(page["Count"])
    return total


def one_round(
    env: dict[str, str],
    destination: DestinationServer,
    dynamodb: Any,
    table: str,
    count: int,
    forward: bool,
    *,
    event: str = "push",
    path: str = "/bench",
    extra_env: dict[str, str] | None = None,
) -> float:
    """Deliveries per second from the first POST to the last one done (forwarded, or processed)."""
    port = free_port()
    run_env = {**env, "FORWARD_DESTINATIONS": "true" if forward else "false", **(extra_env or {})}
    processes = [start_receiver("127.0.0.1", port, run_env, **QUIET)]
    processes.append(start_worker(run_env, **QUIET))
    try:
        tag = uuid.uuid4().hex[:8]
        url = f"http://127.0.0.1:{port}/webhooks/github"
        # Warm-up: the clock starts once the worker has handled one delivery (its start-up,
        # ~1-2 s of imports, is not forwarding).
        warm = f"fw-{tag}-warm"
        post(url, warm, event)
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            done = (
                warm in destination.effects(path)
                if forward
                else processed(dynamodb, table, f"github#{warm}") == 1
            )
            if done:
                break
            time.sleep(0.05)
        ids = [f"fw-{tag}-{n}" for n in range(count)]
        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = list(pool.map(lambda d: post(url, d, event), ids))
        if any(status != 202 for status in statuses):
            raise RuntimeError(f"not all deliveries were accepted: {set(statuses)}")
        wanted = set(ids)
        deadline = time.perf_counter() + 300
        while time.perf_counter() < deadline:
            if forward:
                finished = len(wanted & set(destination.effects(path)))
            else:
                finished = processed(dynamodb, table, f"github#fw-{tag}-") - 1  # not the warm-up
            if finished >= count:
                return count / (time.perf_counter() - started)
            time.sleep(0.05)
        raise RuntimeError("the round did not finish in time")
    finally:
        stop(processes)


def rate_accuracy(
    env: dict[str, str], destination: DestinationServer, count: int, rate: int
) -> dict[str, float]:
    port = free_port()
    processes = [start_receiver("127.0.0.1", port, env, **QUIET)]
    try:
        url = f"http://127.0.0.1:{port}/webhooks/github"
        tag = uuid.uuid4().hex[:8]
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(lambda n: post(url, f"rl-{tag}-{n}", "paced"), range(count)))
        # The backlog is queued: two workers drain it concurrently, sharing the limit.
        processes += [start_worker(env, **QUIET), start_worker(env, **QUIET)]
        deadline = time.perf_counter() + 300
        while len(destination.at("/paced")) < count and time.perf_counter() < deadline:
            time.sleep(0.1)
    finally:
        stop(processes)
    times = sorted(r.at for r in destination.at("/paced"))
    per_second = Counter(int(t) for t in times)
    full_seconds = sorted(per_second)[1:-1]  # the first and last seconds are partial
    counts = [per_second[s] for s in full_seconds] or [0]
    overall = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {
        "configured_rps": rate,
        "requests": len(times),
        "median_per_second": statistics.median(counts),
        "max_per_second": max(per_second.values()),
        "overall_rps": overall,
        "ratio_overall_to_configured": overall / rate,
    }


def run(quick: bool, slow: bool) -> dict[str, Any]:
    count, rounds = (60, 2) if quick else (200, 3)
    rate = 5 if quick else 10
    rate_count = 30 if quick else 100
    destination = DestinationServer().start()
    destination.default("/slow", Answer(delay=SLOW_SECONDS))
    moto_port = free_port()
    endpoint = f"http://127.0.0.1:{moto_port}"
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-forward-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True)
    sources = workdir / "sources.toml"
    bench, paced, slow_url = (destination.url(path) for path in ("/bench", "/paced", "/slow"))
    sources.write_text(sources_toml(bench, paced, slow_url, rate))
    env = {
        **receiver_env(),
        **EMULATOR_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "WEBHOOK_SOURCES_FILE": str(sources),
    }
    env.pop("WORK_QUEUE_URL", None)
    saved = dict(os.environ)
    moto = start_moto("127.0.0.1", moto_port, **QUIET)
    try:
        os.environ.update(env)
        resources = create_resources(endpoint_url=endpoint, bucket="bench-forward")
        env.update(resources.environment())
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        if slow:
            from bench.forward_slow import slow_rounds

            return slow_rounds(env, destination, dynamodb, resources.table, count // 4, rounds)
        without, with_forwarding = [], []
        for _ in range(rounds):  # interleaved: drift hits both alike
            without.append(one_round(env, destination, dynamodb, resources.table, count, False))
            with_forwarding.append(
                one_round(env, destination, dynamodb, resources.table, count, True)
            )
        accuracy = rate_accuracy(env, destination, rate_count, rate)
    finally:
        stop([moto])
        destination.stop()
        os.environ.clear()
        os.environ.update(saved)
    base, fwd = statistics.median(without), statistics.median(with_forwarding)
    return {
        "deliveries_per_round": count,
        "rounds": rounds,
        "processed_per_s_without_forwarding": without,
        "forwarded_per_s": with_forwarding,
        "median_processed_per_s_without": base,
        "median_forwarded_per_s": fwd,
        "ratio_forwarded_to_without": fwd / base,
        "rate_limit": accuracy,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.forward", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--slow", action="store_true", help="a slow destination: threads or not")
    args = parser.parse_args(argv)
    result = run(args.quick, args.slow)
    r = result
    if args.slow:
        from bench.forward_slow import print_slow

        print_slow(result)
        return 0
    rl = result["rate_limit"]
    rounds = f"{r['deliveries_per_round']} deliveries x {r['rounds']} rounds (c={CONCURRENCY})"
    print(f"end to end, {rounds}")
    print(f"  without forwarding: {r['median_processed_per_s_without']:.1f} processed/s (median)")
    print(f"  with forwarding:    {r['median_forwarded_per_s']:.1f} forwarded/s (median)")
    print(f"  ratio:              {r['ratio_forwarded_to_without']:.2f}")
    print(f"rate limit {rl['configured_rps']}/s, {rl['requests']} requests, 2 workers")
    print(
        f"  observed: median {rl['median_per_second']} per full second, max "
        f"{rl['max_per_second']}, overall {rl['overall_rps']:.2f}/s "
        f"(ratio {rl['ratio_overall_to_configured']:.2f})"
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
