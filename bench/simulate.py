"""Throughput of the deterministic simulator (simulation/): how much faster than real time.

    python -m bench.simulate                   # 2 processes x 60 s
    python -m bench.simulate --seconds 20 --processes 1

Runs consecutive seeds (invariants checked, traces off, as `make simulate` runs them) in chunks
and prints the median chunk's rates: seeds, simulated deliveries and AWS calls per wall second,
and virtual seconds per wall second, the simulator's speed against real time (the baseline: a
real run takes one wall second per second). Totals are across processes.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import statistics
import time
from typing import Any

from simulation.runner import run

CHUNK = 20


def _chunks(job: tuple[int, float]) -> list[dict[str, float]]:
    first, seconds = job
    gc.collect()
    gc.freeze()
    deadline = time.monotonic() + seconds
    out = []
    base = first
    while time.monotonic() < deadline:
        started = time.perf_counter()
        totals = {"seeds": 0.0, "deliveries": 0.0, "acks": 0.0, "calls": 0.0, "virtual": 0.0}
        for seed in range(base, base + CHUNK):
            outcome = run(seed, keep_trace=False)
            if outcome.violation is not None:
                raise SystemExit(f"seed {seed}: {outcome.violation}")
            totals["seeds"] += 1
            totals["deliveries"] += outcome.deliveries
            totals["acks"] += outcome.acks
            totals["calls"] += outcome.aws_calls
            totals["virtual"] += outcome.virtual_seconds
        base += CHUNK
        totals["wall"] = time.perf_counter() - started
        out.append(totals)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simulate")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--start", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    jobs = [(args.start + i * 1_000_000, args.seconds) for i in range(args.processes)]
    with multiprocessing.get_context("fork").Pool(args.processes) as pool:
        chunks: list[dict[str, Any]] = [c for part in pool.map(_chunks, jobs) for c in part]

    processes: int = args.processes

    def rate(name: str) -> float:
        return float(statistics.median(c[name] / c["wall"] for c in chunks)) * processes

    seeds = sum(c["seeds"] for c in chunks)
    deliveries = sum(c["deliveries"] for c in chunks)
    print(
        f"{int(seeds)} seeds, {int(deliveries)} deliveries, {len(chunks)} chunks of {CHUNK}"
        f" on {args.processes} process(es), 0 violations"
    )
    print(f"seeds/s                 {rate('seeds'):10.1f}")
    print(f"deliveries/s            {rate('deliveries'):10.1f}")
    print(f"acknowledgements/s      {rate('acks'):10.1f}")
    print(f"AWS calls/s             {rate('calls'):10.1f}")
    print(
        f"virtual s / wall s      {rate('virtual'):10.0f}x real time (per process:"
        f" {rate('virtual') / args.processes:.0f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
