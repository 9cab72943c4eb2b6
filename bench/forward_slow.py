"""`python -m bench.forward --slow`: a batch's first attempts to a slow destination, one after
another (FORWARD_CONCURRENCY=1, the worker before side-by-side forwarding) vs the default threads.
The stack is bench/forward.py's; this module only adds the rounds and the printout.

Two measures, each interleaved baseline/subject: end to end (deliveries posted while the worker
runs, first POST to last 2xx: small batches), and a backlog (deliveries queued first, then one
worker: full batches; first to last request seen at the destination, so start-up is left out).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.forward import CONCURRENCY, QUIET, SLOW_SECONDS, one_round, post
from infra.destination_server import DestinationServer
from infra.processes import free_port, start_receiver, start_worker, stop


def backlog_round(
    env: dict[str, str], destination: DestinationServer, count: int, extra: dict[str, str]
) -> float:
    """Forwarded/s of a queued backlog: (count - 1) over its first-to-last arrival."""
    run_env = {**env, **extra}
    port = free_port()
    processes = [start_receiver("127.0.0.1", port, run_env, **QUIET)]
    try:
        url = f"http://127.0.0.1:{port}/webhooks/github"
        ids = {f"bl-{uuid.uuid4().hex[:8]}-{n}" for n in range(count)}
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(lambda d: post(url, d, "slow"), ids))
        processes.append(start_worker(run_env, **QUIET))
        deadline = time.perf_counter() + 300
        while len(ids & set(destination.effects("/slow"))) < count:
            if time.perf_counter() > deadline:
                raise RuntimeError("the backlog was not forwarded in time")
            time.sleep(0.05)
    finally:
        stop(processes)
    times = [r.at for r in destination.at("/slow") if r.headers.get("webhook-id") in ids]
    return (count - 1) / (max(times) - min(times))


def slow_rounds(
    env: dict[str, str],
    destination: DestinationServer,
    dynamodb: Any,
    table: str,
    count: int,
    rounds: int,
) -> dict[str, Any]:
    """Forwarded/s to the slow destination: one thread per worker (the baseline) vs the default."""
    figures: dict[str, list[float]] = {
        "end_to_end_concurrency_1": [],
        "end_to_end_default": [],
        "backlog_concurrency_1": [],
        "backlog_default": [],
    }
    for _ in range(rounds):  # interleaved: drift hits both alike
        for threads in ("1", "default"):
            extra: dict[str, str] = {"FORWARD_CONCURRENCY": "1"} if threads == "1" else {}
            label = "concurrency_1" if threads == "1" else "default"
            figures[f"end_to_end_{label}"].append(
                one_round(
                    env,
                    destination,
                    dynamodb,
                    table,
                    count,
                    True,
                    event="slow",
                    path="/slow",
                    extra_env=extra,
                )
            )
            figures[f"backlog_{label}"].append(backlog_round(env, destination, count, extra))
    medians = {name: statistics.median(values) for name, values in figures.items()}
    return {
        "slow_destination_seconds": SLOW_SECONDS,
        "deliveries_per_round": count,
        "rounds": rounds,
        "forwarded_per_s": figures,
        "medians": medians,
        "ratio_end_to_end": medians["end_to_end_default"] / medians["end_to_end_concurrency_1"],
        "ratio_backlog": medians["backlog_default"] / medians["backlog_concurrency_1"],
        "max_in_flight_at_destination": destination.max_in_flight,
    }


def print_slow(r: dict[str, Any]) -> None:
    m = r["medians"]
    print(
        f"slow destination ({SLOW_SECONDS} s a request), {r['deliveries_per_round']}"
        f" deliveries x {r['rounds']} rounds, forwarded/s (medians)"
    )
    print("                FORWARD_CONCURRENCY=1   default   ratio")
    for name in ("end_to_end", "backlog"):
        one, default = m[f"{name}_concurrency_1"], m[f"{name}_default"]
        print(f"  {name:<12}  {one:>20.1f}  {default:>8.1f}  {default / one:>6.2f}")
    print(json.dumps(r, indent=2))
