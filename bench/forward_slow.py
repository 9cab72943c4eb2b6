"""`python -m bench.forward --slow`: a batch's first attempts to a slow destination, one after
another (FORWARD_CONCURRENCY=1, the worker before side-by-side forwarding) vs the default threads.
The stack is bench/forward.py's; this module only adds the rounds and the printout."""

from __future__ import annotations

import json
import statistics
from typing import Any

from bench.forward import SLOW_SECONDS, one_round
from infra.destination_server import DestinationServer


def slow_rounds(
    env: dict[str, str],
    destination: DestinationServer,
    dynamodb: Any,
    table: str,
    count: int,
    rounds: int,
) -> dict[str, Any]:
    """Forwarded/s to the slow destination: one thread per worker (the baseline) vs the default."""
    sequential: list[float] = []
    side_by_side: list[float] = []
    for _ in range(rounds):  # interleaved: drift hits both alike
        for threads, figures in (("1", sequential), ("", side_by_side)):
            extra = {"FORWARD_CONCURRENCY": threads} if threads else {}
            figures.append(
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
    base, subject = statistics.median(sequential), statistics.median(side_by_side)
    return {
        "slow_destination_seconds": SLOW_SECONDS,
        "deliveries_per_round": count,
        "rounds": rounds,
        "forwarded_per_s_concurrency_1": sequential,
        "forwarded_per_s_default": side_by_side,
        "median_concurrency_1": base,
        "median_default": subject,
        "ratio_default_to_concurrency_1": subject / base,
        "max_in_flight_at_destination": destination.max_in_flight,
    }


def print_slow(r: dict[str, Any]) -> None:
    print(
        f"slow destination ({SLOW_SECONDS} s a request), {r['deliveries_per_round']}"
        f" deliveries x {r['rounds']} rounds"
    )
    print(f"  FORWARD_CONCURRENCY=1: {r['median_concurrency_1']:.1f} forwarded/s (median)")
    print(f"  default:               {r['median_default']:.1f} forwarded/s (median)")
    print(f"  ratio:                 {r['ratio_default_to_concurrency_1']:.2f}")
    print(json.dumps(r, indent=2))
