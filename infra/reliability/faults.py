"""The fault matrix (every fault kind on S3, SQS and DynamoDB one at a time, then mixed), receiver
and worker SIGKILLs, and duplicate storms, all on one stack whose AWS goes through the proxy."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .ledger import wait_drained
from .proxy import KINDS, SERVICES
from .senders import SENDER_SOURCES, Delivery, Sender, make_delivery, send_all
from .stack import Stack

# What each rate-based fault looks like: probability per request, extra latency for "latency".
RATES = {"reset_before": 0.25, "reset_after": 0.25, "500": 0.3, "throttle": 0.3, "latency": 0.1}
LATENCY = 1.3  # seconds: beyond the receiver's AWS_READ_TIMEOUT of 1 s
REFUSED_DOWN, REFUSED_UP = 0.4, 0.8  # seconds the listener is closed, then open


@dataclass(frozen=True)
class Cell:
    name: str
    rules: list[dict[str, object]]
    refuse: tuple[str, ...] = ()  # services whose listener is toggled closed/open
    kill_receiver: bool = False
    kill_worker: bool = False


def rule(service: str, kind: str, rate: float | None = None) -> dict[str, object]:
    return {
        "service": service,
        "kind": kind,
        "rate": RATES[kind] if rate is None else rate,
        "delay": LATENCY if kind == "latency" else 0.0,
    }


def cells() -> list[Cell]:
    matrix = []
    for service in SERVICES:
        for kind in KINDS:
            if kind == "refused":
                matrix.append(Cell(f"{service}:refused", [], refuse=(service,)))
            else:
                matrix.append(Cell(f"{service}:{kind}", [rule(service, kind)]))
    # SIGKILL the receiver at random moments: before the ack and, with S3 slowed down so that
    # archives are still pending, between the ack and its background work.
    slow_archive = [rule("s3", "latency", 0.3) | {"delay": 0.4}]
    matrix.append(Cell("receiver:sigkill", slow_archive, kill_receiver=True))
    matrix.append(Cell("worker:sigkill", [], kill_worker=True))
    mixed = [rule(s, k, RATES[k] / 4) for s in SERVICES for k in KINDS if k != "refused"]
    matrix.append(Cell("mixed", mixed, refuse=SERVICES, kill_receiver=True, kill_worker=True))
    return matrix


class Chaos(threading.Thread):
    """Toggles listeners and kills processes while a cell's deliveries are being sent."""

    def __init__(self, stack: Stack, cell: Cell, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.stack, self.cell, self.rng = stack, cell, rng
        self.done = threading.Event()
        self.kills = {"receiver": 0, "worker": 0}
        self.error: str | None = None

    def run(self) -> None:
        try:
            self._run()
        except Exception as error:  # reported, never silently lost
            self.error = f"{type(error).__name__}: {error}"

    def _run(self) -> None:
        cell, stack, rng = self.cell, self.stack, self.rng
        stack.faults(cell.rules)
        # The first refusal and kills come early: even a short cell sees them.
        start = time.monotonic()
        next_refuse = start + 0.1 if cell.refuse else float("inf")
        next_receiver = start + rng.uniform(0.2, 0.8) if cell.kill_receiver else None
        next_worker = start + rng.uniform(0.1, 0.5) if cell.kill_worker else None
        while not self.done.wait(0.05):
            now = time.monotonic()
            if now >= next_refuse:
                down = rng.choice(cell.refuse)
                stack.faults([*cell.rules, {"service": down, "kind": "refused"}])
                if self.done.wait(REFUSED_DOWN):
                    break
                stack.faults(cell.rules)
                next_refuse = time.monotonic() + REFUSED_UP
            if next_receiver is not None and now >= next_receiver:
                self._kill_receiver()
                next_receiver = time.monotonic() + rng.uniform(0.5, 2.0)
            if next_worker is not None and now >= next_worker:
                self._kill_worker()
                next_worker = time.monotonic() + rng.uniform(0.3, 1.2)
        # A cell whose traffic ended before its first scheduled kill still kills once, at once:
        # the receiver's post-ack archives (S3 slowed down) and the workers' batches are still
        # in flight then, and a kill cell that killed nothing would prove nothing.
        if cell.kill_receiver and not self.kills["receiver"]:
            self._kill_receiver()
        if cell.kill_worker and not self.kills["worker"]:
            self._kill_worker()
        stack.faults([])

    def _kill_receiver(self) -> None:
        self.stack.restart_receiver()
        self.kills["receiver"] += 1

    def _kill_worker(self) -> None:
        self.stack.restart_worker(self.rng.randrange(self.stack.workers))
        self.kills["worker"] += 1


def source_cycle(rng: random.Random) -> Callable[[int], str]:
    order = list(SENDER_SOURCES)
    rng.shuffle(order)
    return lambda i: order[i % len(order)]


def delivery_size(rng: random.Random) -> int:
    # Mostly small, some past CLAIM_CHECK_BYTES (12 kB in the harness): the S3 claim-check path.
    return rng.choice((0, 0, 0, 100, 1000, 4000, 14000))


def run_matrix(
    stack: Stack,
    sender: Sender,
    *,
    per_cell: int,
    concurrency: int,
    budget: float,
    seed: int,
    min_cell_seconds: float = 0.0,
) -> tuple[list[Delivery], dict[str, dict[str, object]]]:
    """Every cell in turn; `budget` seconds for the whole matrix, shared evenly by the cells."""
    rng = random.Random(seed)
    all_cells = cells()
    info: dict[str, dict[str, object]] = {}
    deliveries: list[Delivery] = []
    end = time.monotonic() + budget
    for index, cell in enumerate(all_cells):
        remaining = len(all_cells) - index
        cell_budget = max(1.0, (end - time.monotonic()) / remaining)
        pick = source_cycle(rng)
        batch = [
            make_delivery(pick(i), cell.name, rng, delivery_size(rng)) for i in range(per_cell)
        ]
        chaos = Chaos(stack, cell, random.Random(rng.random()))
        started = time.monotonic()
        sender.deadline = started + cell_budget
        chaos.start()
        try:
            # Kill cells get their full spread even when the matrix runs late: kills must land
            # while deliveries are still arriving.
            kills = cell.kill_receiver or cell.kill_worker
            spread = min_cell_seconds if kills else min(min_cell_seconds, cell_budget / 2)
            send_all(sender, batch, concurrency, seed=rng.getrandbits(32), spread=spread)
        finally:
            chaos.done.set()
            chaos.join(30)
        # Whatever the chaos left behind, the next cell starts with a live receiver and workers
        # and (bounded) an empty queue: moto's SQS scans every queued message on each receive,
        # so a backlog slows it quadratically.
        ensure_running(stack)
        wait_drained(stack, max(2.0, min(15.0, cell_budget / 2)))
        deliveries += batch
        info[cell.name] = {
            "seconds": round(time.monotonic() - started, 2),
            "receiver_kills": chaos.kills["receiver"],
            "worker_kills": chaos.kills["worker"],
            "chaos_error": chaos.error,
        }
    sender.deadline = float("inf")
    return deliveries, info


def ensure_running(stack: Stack) -> None:
    stack.faults([])
    if stack.processes["receiver"].poll() is not None:
        stack.start_receiver()
    for index in range(stack.workers):
        if stack.processes[f"worker{index}"].poll() is not None:
            stack.start_worker(index)


def run_duplicates(
    stack: Stack,
    sender: Sender,
    *,
    count: int,
    copies: int,
    concurrency: int,
    budget: float,
    restarts: int,
    seed: int,
) -> tuple[list[Delivery], dict[str, float]]:
    """Each delivery sent `copies` times at once, while the receiver is restarted `restarts`
    times; returns one merged ledger entry per delivery."""
    rng = random.Random(seed)
    pick = source_cycle(rng)
    originals = [
        make_delivery(pick(i), "duplicates", rng, delivery_size(rng)) for i in range(count)
    ]
    copies_list = [
        Delivery(d.source, d.id, d.body, d.event_type, d.content_type, d.cell)
        for d in originals
        for _ in range(copies)
    ]
    stop = threading.Event()
    kills = 0

    def restart_loop() -> None:
        nonlocal kills
        interval = budget * 0.6 / (restarts + 1)
        while kills < restarts and not stop.wait(rng.uniform(interval / 2, interval)):
            stack.restart_receiver()
            kills += 1

    killer = threading.Thread(target=restart_loop, daemon=True)
    started = time.monotonic()
    sender.deadline = started + budget
    killer.start()
    try:
        send_all(sender, copies_list, concurrency, seed=seed, spread=budget * 0.6)
    finally:
        stop.set()
        killer.join(30)
        sender.deadline = float("inf")
    ensure_running(stack)
    merged = []
    for i, original in enumerate(originals):
        group = copies_list[i * copies : (i + 1) * copies]
        original.attempts = sum(c.attempts for c in group)
        original.statuses = [s for c in group for s in c.statuses]
        original.acked = any(c.acked for c in group)
        original.wrong_id = any(c.wrong_id for c in group)
        merged.append(original)
    info = {
        "seconds": round(time.monotonic() - started, 2),
        "copies_sent": len(copies_list),
        "copies_acked": sum(c.acked for c in copies_list),
        "receiver_restarts": kills,
    }
    return merged, info
