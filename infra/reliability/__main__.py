"""`python -m infra.reliability [--quick] [--minutes N]`: run every scenario, print the report
table, write the JSON report (infra/reliability/results/ unless --out says otherwise).

Full run: >= 10,000 fault-matrix deliveries, >= 20,000 load deliveries, >= 100,000 fuzz cases,
each scenario bounded in time as well as in count so the whole run ends within 11 minutes on a
2-core machine (a time bound that cuts a scenario short shows as a count below its target).
On 2 cores moto carries ~30 deliveries/s, so the 11-minute run stops short of the matrix and
load targets; `--minutes N` gives the whole run N minutes, and the matrix and load phases every
second the other phases do not use (see `for_minutes`): 30 minutes reach both targets here.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from .destinations import flapping_destination, run_flapping, sources_toml
from .faults import run_duplicates, run_matrix
from .fuzz import http_fuzz, parser_fuzz
from .ledger import queue_depth, reconcile
from .load import run_load
from .report import TARGETS, render, verdicts
from .secrets import Scanner, iam_wildcards, memory_pressure, scan_at_rest, secret_values
from .senders import (
    BacklogGate,
    RetryPolicy,
    Sender,
    Signer,
    load_harness_sources,
    make_delivery,
)
from .stack import Stack

RESULTS = Path(__file__).resolve().parent / "results"
# Past this, the run stops itself (everything it started is stopped on the way out).
HARD_LIMIT = {"quick": 200, "full": 660}


class Overtime(Exception):
    pass


def _stop_on(signum: int, frame: object) -> None:
    if signum == signal.SIGALRM:
        raise Overtime("the run exceeded its hard time limit")
    raise SystemExit(128 + signum)  # unwinds through every Stack: children are stopped


@dataclass(frozen=True)
class Plan:
    name: str
    per_cell: int  # x 21 cells
    matrix_budget: float
    matrix_concurrency: int
    min_cell_seconds: float
    duplicates: int
    duplicate_budget: float
    duplicate_restarts: int
    load: int
    load_budget: float
    load_concurrency: int
    http_fuzz: int
    http_fuzz_budget: float
    parser_fuzz: int
    parser_fuzz_budget: float
    oversize: int
    oversize_mb: int
    slow_bodies: int
    slow_seconds: float
    drain_timeout: float
    workers: int
    forwards: int
    forwards_budget: float
    forward_kills: int
    minutes: float | None = None  # set by --minutes (for_minutes)


QUICK = Plan(
    name="quick",
    per_cell=10,
    matrix_budget=40,
    matrix_concurrency=8,
    min_cell_seconds=1.5,
    duplicates=20,
    duplicate_budget=8,
    duplicate_restarts=1,
    load=400,
    load_budget=10,
    load_concurrency=32,
    http_fuzz=1500,
    http_fuzz_budget=6,
    parser_fuzz=5000,
    parser_fuzz_budget=5,
    oversize=4,
    oversize_mb=16,
    slow_bodies=8,
    slow_seconds=1.5,
    drain_timeout=25,
    workers=2,
    forwards=60,
    forwards_budget=6,
    forward_kills=2,
)
FULL = Plan(
    name="full",
    per_cell=480,
    matrix_budget=180,
    matrix_concurrency=24,
    min_cell_seconds=6,
    duplicates=300,
    duplicate_budget=25,
    duplicate_restarts=3,
    load=20_000,
    load_budget=140,
    load_concurrency=32,
    http_fuzz=60_000,
    http_fuzz_budget=40,
    parser_fuzz=100_000,
    parser_fuzz_budget=15,
    oversize=16,
    oversize_mb=64,
    slow_bodies=32,
    slow_seconds=4,
    drain_timeout=60,
    workers=3,
    forwards=300,
    forwards_budget=20,
    forward_kills=4,
)


# How the time --minutes gives the matrix and load phases is split between them: by their
# volume targets, since both run at about the same rate here (moto is the ceiling for both).
MATRIX_SHARE = TARGETS["faults"] / (TARGETS["faults"] + TARGETS["load"])
LONG_DRAIN_SECONDS = 90


def for_minutes(plan: Plan, minutes: float) -> tuple[Plan, int]:
    """`plan` fitted to a run of `minutes`, and the run's hard limit in seconds.

    Every phase but the matrix and load keeps the time the plan's own hard limit allows it
    (start-up, duplicates, fuzz, memory, reconciliation; drains get LONG_DRAIN_SECONDS at
    least, for the bigger backlogs of longer phases); the matrix and load phases
    share the rest by MATRIX_SHARE. Their counts grow with their budgets (never below the
    plan's), so each phase runs until its budget ends: what a run of N minutes can reach.
    """
    # Each phase ends with a backlog of up to a few hundred messages (the senders' gate) that
    # the workers must drain before the ledger is reconciled: on a busy 2-core machine they
    # manage ~10/s, more than the quick plan's 25 s allow.
    drain_timeout = max(plan.drain_timeout, LONG_DRAIN_SECONDS)
    others = (
        HARD_LIMIT[plan.name]
        - plan.matrix_budget
        - plan.load_budget
        + 2 * (drain_timeout - plan.drain_timeout)
    )
    phases = minutes * 60 - others
    if phases < 60:
        least = (others + 60) / 60
        raise ValueError(f"--minutes {minutes:g}: the {plan.name} run needs at least {least:.1f}")
    matrix_budget = round(phases * MATRIX_SHARE, 1)
    load_budget = round(phases - matrix_budget, 1)
    matrix_factor = matrix_budget / plan.matrix_budget
    load_factor = load_budget / plan.load_budget
    fitted = replace(
        plan,
        matrix_budget=matrix_budget,
        load_budget=load_budget,
        per_cell=max(plan.per_cell, math.ceil(plan.per_cell * matrix_factor)),
        load=max(plan.load, math.ceil(plan.load * load_factor)),
        drain_timeout=drain_timeout,
        minutes=minutes,
    )
    # Reconciling more deliveries takes longer than the plan's own slack: 10 % more, at least 1'.
    hard_limit = int(minutes * 60 + max(60, minutes * 6))
    return fitted, hard_limit


def run(plan: Plan, workdir: Path, seed: int) -> dict[str, Any]:
    report: dict[str, Any] = {"plan": asdict(plan), "seed": seed, "started": time.time()}
    t0 = time.monotonic()

    # -- faults, SIGKILLs and duplicate storms: AWS through the fault proxy ---------------------
    with Stack(workdir / "faults", proxy=True, workers=plan.workers) as stack:
        sources = load_harness_sources(stack.workdir / "sources.toml")
        scanner = Scanner(secret_values(sources))
        signer = Signer(sources, stack.base_url)
        sender = Sender(signer, stack.receiver_port, RetryPolicy(), scan=scanner.scan)
        resources = stack.resources
        assert resources is not None
        gate = BacklogGate(lambda: queue_depth(stack, resources.queue_url), 200)
        sender.gate = gate
        gate.__enter__()
        deliveries, cells = run_matrix(
            stack,
            sender,
            per_cell=plan.per_cell,
            concurrency=plan.matrix_concurrency,
            budget=plan.matrix_budget,
            seed=seed,
            min_cell_seconds=plan.min_cell_seconds,
        )
        duplicates, duplicate_info = run_duplicates(
            stack,
            sender,
            count=plan.duplicates,
            copies=3,
            concurrency=plan.matrix_concurrency,
            budget=plan.duplicate_budget,
            restarts=plan.duplicate_restarts,
            seed=seed + 1,
        )
        gate.__exit__()
        report["proxy"] = stack.proxy_stats()
        total, by_cell = reconcile(stack, deliveries + duplicates, drain_timeout=plan.drain_timeout)
        stack.stop_workers()
        scan_at_rest(stack, scanner)
        scanner.scan_files(stack.log_paths())
        report["faults"] = {
            "ledger": total.as_dict(),
            "cells": {
                name: {**by_cell[name].as_dict(), **info}
                for name, info in cells.items()
                if name in by_cell
            },
            "receiver_kills": sum(int(str(i["receiver_kills"])) for i in cells.values()),
            "worker_kills": sum(int(str(i["worker_kills"])) for i in cells.values()),
            "chaos_errors": [i["chaos_error"] for i in cells.values() if i["chaos_error"]],
            "senders_held_seconds": gate.held_seconds,
            "seconds": round(time.monotonic() - t0, 1),
        }
        report["duplicates"] = {**by_cell["duplicates"].as_dict(), **duplicate_info}
    report["faults"]["ledger"].pop("statuses", None)

    # -- load, fuzz, memory: uvicorn + moto server, no proxy ------------------------------------
    t1 = time.monotonic()
    destination = flapping_destination()
    extra = sources_toml(destination.url("/flapping"))
    with Stack(workdir / "load", proxy=False, workers=plan.workers, extra_sources=extra) as stack:
        signer = Signer(sources, stack.base_url)
        load_deliveries, load = run_load(
            signer,
            stack.receiver_port,
            count=plan.load,
            concurrency=plan.load_concurrency,
            budget=plan.load_budget,
            seed=seed + 2,
            scan=scanner.scan,
            backlog=lambda: queue_depth(stack, stack.resources.queue_url),  # type: ignore[union-attr]
        )
        t2 = time.monotonic()
        fuzz = http_fuzz(
            signer,
            stack.receiver_port,
            cases=plan.http_fuzz,
            budget=plan.http_fuzz_budget,
            concurrency=8,
            seed=seed + 3,
            scan=scanner.scan,
        )
        parsers = parser_fuzz(
            sources, signer, cases=plan.parser_fuzz, budget=plan.parser_fuzz_budget, seed=seed
        )
        # Healthy afterwards: it answers, and a genuine delivery is still accepted.
        after = make_delivery("github", "after-fuzz", random.Random(seed))
        Sender(signer, stack.receiver_port, RetryPolicy(max_attempts=3)).send(after)
        t3 = time.monotonic()
        memory = memory_pressure(
            stack,
            oversize=plan.oversize,
            declared_mb=plan.oversize_mb * 16,
            chunked_mb=plan.oversize_mb,
            slow=plan.slow_bodies,
            slow_s=plan.slow_seconds,
        )
        t4 = time.monotonic()
        load_ledger, _ = reconcile(
            stack,
            [*load_deliveries, after],
            drain_timeout=plan.drain_timeout,
            known_keys=fuzz.accepted_keys,
        )
        # -- a destination that flaps, while workers are SIGKILLed ----------------------------
        forwarding = run_flapping(
            stack,
            Signer(load_harness_sources(stack.workdir / "sources.toml"), stack.base_url),
            destination,
            count=plan.forwards,
            budget=plan.forwards_budget,
            drain_timeout=plan.drain_timeout * 2,
            kills=plan.forward_kills,
            seed=seed + 4,
        )
        report["destinations"] = forwarding.as_dict()
        stack.stop_workers()
        scan_at_rest(stack, scanner)
        scanner.scan_files(stack.log_paths())
        report["load"] = {
            **load.as_dict(),
            "ledger": load_ledger.as_dict(),
            "seconds_total": round(t2 - t1, 1),
        }
        report["fuzz"] = {
            "http": fuzz.as_dict(),
            "parsers": asdict(parsers),
            "cases": fuzz.cases + parsers.cases,
            "healthy_after": stack.healthy() and after.acked,
            "seconds": round(t3 - t2, 1),
        }
        report["memory"] = {**memory.as_dict(), "seconds": round(t4 - t3, 1)}
    destination.stop()
    report["secrets"] = {
        "secret_values": len(scanner.secrets),
        "items_scanned": scanner.scanned_items,
        "bytes_scanned": scanner.scanned_bytes,
        "hits": dict(scanner.hits),
        "hits_logs_and_responses": sum(
            n for k, n in scanner.hits.items() if not k.startswith("archive")
        ),
        "hits_at_rest": sum(n for k, n in scanner.hits.items() if k.startswith("archive")),
    }
    report["iam"] = iam_wildcards()
    report["seconds"] = round(time.monotonic() - t0, 1)
    report["verdicts"] = verdicts(report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.reliability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the CI-sized run (< 2 minutes)")
    parser.add_argument("--out", type=Path, help="the JSON report (default: results/<plan>.json)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the logs' directory")
    parser.add_argument(
        "--minutes",
        type=float,
        help="give the whole run this long; the matrix and load phases get the extra time"
        " (30: both volume targets are reachable on 2 cores)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    hard_limit = HARD_LIMIT[plan.name]
    if args.minutes is not None:
        try:
            plan, hard_limit = for_minutes(plan, args.minutes)
        except ValueError as error:
            parser.error(str(error))
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    out = args.out or RESULTS / f"{plan.name}.json"
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        signal.signal(signum, _stop_on)
    signal.alarm(hard_limit)
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        workdir = Path(tempfile.mkdtemp(prefix="reliability-")) if args.keep else Path(tmp)
        report = run(plan, workdir, seed)
        report["workdir"] = str(workdir) if args.keep else None
    signal.alarm(0)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, sort_keys=True, default=str))
    print(render(report))
    print(f"\nreport: {out}")
    return 0 if all(v["ok"] for v in report["verdicts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
