"""`make simulate`: run seeds on every core, stop at the first broken invariant, shrink it.

python -m simulation                          # seeds from 0 for 3.5 min, then a shrink
python -m simulation --seeds 1000-2000        # a range
python -m simulation --count 50000 --start 7  # a count from a start
python -m simulation --minutes 30             # as many as fit
python -m simulation --seed 42                # replay one seed, its trace printed
python -m simulation --tape 'n=130,4=97,...'  # replay a shrunk schedule
python -m simulation --mutation lease-300     # with one of the bugs re-introduced
python -m simulation --mutation-table         # every mutation: seeds to find it, shrunk size
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from .mutations import MUTATIONS
from .runner import Outcome, run, shrink
from .tape import decode, encode
from .world import Config

CHUNK = 50


def _worker(job: tuple[int, int, str | None, int]) -> dict[str, Any]:
    start, stop, mutation_name, max_deliveries = job
    mutation = MUTATIONS[mutation_name].apply if mutation_name else None
    config = Config(max_deliveries=max_deliveries)
    totals: dict[str, Any] = {
        "seeds": 0,
        "deliveries": 0,
        "acks": 0,
        "virtual": 0.0,
        "calls": 0,
        "failed": None,
    }
    for seed in range(start, stop):
        outcome = run(seed, config, mutation=mutation, keep_trace=False)
        totals["seeds"] += 1
        totals["deliveries"] += outcome.deliveries
        totals["acks"] += outcome.acks
        totals["virtual"] += outcome.virtual_seconds
        totals["calls"] += outcome.aws_calls
        if outcome.violation is not None:
            totals["failed"] = (seed, outcome.invariant, str(outcome.violation))
            break
    return totals


def search(
    first: int,
    last: int | None,
    minutes: float,
    *,
    mutation: str | None = None,
    processes: int | None = None,
    max_deliveries: int = 12,
    quiet: bool = False,
) -> dict[str, Any]:
    """Seeds from `first` (to `last`, exclusive, or until `minutes` pass) on every core; stops
    at the first violation (the lowest failing seed among the chunks done)."""
    processes = processes or os.cpu_count() or 1
    deadline = time.monotonic() + minutes * 60
    started = time.monotonic()

    summary: dict[str, Any] = {"seeds": 0, "deliveries": 0, "acks": 0, "virtual": 0.0, "calls": 0}
    failures: list[tuple[int, str, str]] = []
    gc.collect()
    gc.freeze()  # the product's imports: never garbage, never scanned again
    next_seed = first
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        in_flight: deque[Any] = deque()

        def submit() -> None:
            # Lazily, a few chunks ahead: the deadline is checked as work is handed out.
            nonlocal next_seed
            if (last is None or next_seed < last) and time.monotonic() < deadline:
                stop = next_seed + CHUNK if last is None else min(next_seed + CHUNK, last)
                job = (next_seed, stop, mutation, max_deliveries)
                in_flight.append(pool.apply_async(_worker, (job,)))
                next_seed = stop

        for _ in range(2 * processes):
            submit()
        while in_flight:
            totals = in_flight.popleft().get()  # in seed order: the first failure is the lowest
            for name in ("seeds", "deliveries", "acks", "virtual", "calls"):
                summary[name] += totals[name]
            if totals["failed"]:
                failures.append(totals["failed"])
                pool.terminate()
                break
            submit()
            if not quiet and summary["seeds"] % (CHUNK * 40) == 0:
                rate = summary["seeds"] / (time.monotonic() - started)
                print(f"  {summary['seeds']} seeds, {rate:.0f}/s, 0 violations", flush=True)
    summary["wall"] = time.monotonic() - started
    summary["failure"] = min(failures) if failures else None
    return summary


def report(outcome: Outcome, mutation: str | None, shrunk: Outcome | None) -> None:
    chosen = shrunk or outcome
    print(f"\nVIOLATION  seed {outcome.seed}: {outcome.violation}")
    print(f"scenario   {chosen.scenario}")
    if shrunk is not None:
        print(
            f"shrunk     {len(outcome.trace)} -> {len(shrunk.trace)} trace lines"
            f" ({shrunk.invariant})"
        )
    print("\ntrace (virtual time, actor, call, fault/outcome):")
    for line in chosen.trace:
        print("  ", line)
    extra = f" --mutation {mutation}" if mutation else ""
    print(f"\nreplay the seed:   make simulate ARGS='--seed {outcome.seed}{extra}'")
    if shrunk is not None:
        text = encode(shrunk.tape)
        if len(text) > 300:
            path = Path("simulation-failures") / f"seed-{outcome.seed}.tape"
            path.parent.mkdir(exist_ok=True)
            path.write_text(text + "\n")
            text = f"@{path}"
        print(f"replay the shrunk: make simulate ARGS=\"--tape '{text}'{extra}\"")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation", description=__doc__)
    parser.add_argument("--seeds", help="a range FIRST-LAST (last excluded)")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int)
    parser.add_argument("--minutes", type=float, default=3.5)
    parser.add_argument("--seed", type=int, help="replay one seed and print its trace")
    parser.add_argument("--tape", help="replay a shrunk schedule")
    parser.add_argument("--mutation", choices=sorted(MUTATIONS))
    parser.add_argument("--mutation-table", action="store_true")
    parser.add_argument("--max-deliveries", type=int, default=12)
    parser.add_argument("--processes", type=int)
    parser.add_argument("--no-shrink", action="store_true")
    args = parser.parse_args(argv)
    config = Config(max_deliveries=args.max_deliveries)
    mutation = MUTATIONS[args.mutation].apply if args.mutation else None

    if args.mutation_table:
        from .mutations import table

        return table(processes=args.processes)

    if args.seed is not None or args.tape:
        tape = args.tape or ""
        if tape.startswith("@"):
            tape = Path(tape[1:]).read_text().strip()
        values = decode(tape) if tape else None
        outcome = run(args.seed, config, values=values, mutation=mutation)
        if outcome.violation is None:
            for line in outcome.trace:
                print("  ", line)
            print(f"\nseed {args.seed}: {outcome.scenario}")
            print(f"no violation; trace hash {outcome.trace_hash}")
            return 0
        report(outcome, args.mutation, None)
        return 1

    first, last = args.start, None
    if args.seeds:
        low, high = args.seeds.split("-", 1)
        first, last = int(low), int(high)
    elif args.count:
        last = first + args.count
    print(
        f"simulating seeds {first}-{'' if last is None else last}"
        f" for at most {args.minutes:g} min on {args.processes or os.cpu_count()} process(es)"
        + (f", mutation {args.mutation}" if args.mutation else ""),
        flush=True,
    )
    summary = search(
        first,
        last,
        args.minutes,
        mutation=args.mutation,
        processes=args.processes,
        max_deliveries=args.max_deliveries,
    )
    wall = summary["wall"]
    print(
        f"{summary['seeds']} seeds in {wall:.1f} s ({summary['seeds'] / wall:.0f} seeds/s),"
        f" {summary['deliveries']} deliveries ({summary['deliveries'] / wall:.0f}/s),"
        f" {summary['acks']} acks, {summary['calls']} AWS calls,"
        f" {summary['virtual'] / 3600:.0f} virtual hours"
        f" ({summary['virtual'] / wall:.0f}x real time)"
    )
    if summary["failure"] is None:
        print("0 violations")
        return 0
    seed = summary["failure"][0]
    outcome = run(seed, config, mutation=mutation)
    shrunk = None if args.no_shrink else shrink(outcome, config, mutation=mutation)
    report(outcome, args.mutation, shrunk)
    return 1


if __name__ == "__main__":
    sys.exit(main())
