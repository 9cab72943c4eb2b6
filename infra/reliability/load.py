"""Load: signed deliveries at a fixed concurrency against uvicorn + moto server, no retries:
every answer must be a 2xx; ack latency percentiles; the queue drained; counts reconciled."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .senders import (
    SENDER_SOURCES,
    BacklogGate,
    Delivery,
    RetryPolicy,
    Sender,
    Signer,
    make_delivery,
)


@dataclass
class LoadResult:
    sent: int = 0
    acked: int = 0
    errors: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    paused_seconds: float = 0.0  # senders held while the queue backlog was over the limit

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["statuses"] = dict(self.statuses)
        return data


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_load(
    signer: Signer,
    port: int,
    *,
    count: int,
    concurrency: int,
    budget: float,
    seed: int,
    scan: Any = None,
    backlog: Callable[[], int] | None = None,
    max_backlog: int = 300,
) -> tuple[list[Delivery], LoadResult]:
    sender = Sender(signer, port, RetryPolicy(max_attempts=1, timeout=10), scan=scan)
    deadline = time.monotonic() + budget
    deliveries: list[Delivery] = []
    lock = threading.Lock()
    counter = iter(range(count))

    def worker(index: int) -> None:
        rng = random.Random(seed * 100 + index)
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            source = SENDER_SOURCES[n % len(SENDER_SOURCES)]
            size = rng.choice((0, 0, 0, 200, 1000, 3000))
            delivery = make_delivery(source, "load", rng, size)
            sender.send(delivery, rng)
            with lock:
                deliveries.append(delivery)

    started = time.monotonic()
    gate = BacklogGate(backlog or (lambda: 0), max_backlog)
    sender.gate = gate
    with gate, ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    result = LoadResult(seconds=round(time.monotonic() - started, 2))
    result.paused_seconds = gate.held_seconds
    latencies = [d.latencies[0] for d in deliveries if d.acked and d.latencies]
    result.sent = len(deliveries)
    result.acked = sum(d.acked for d in deliveries)
    result.errors = result.sent - result.acked
    result.statuses.update(str(s) for d in deliveries for s in d.statuses)
    result.per_second = round(result.sent / result.seconds, 1) if result.seconds else 0.0
    result.p50_ms = round(percentile(latencies, 0.50) * 1000, 2)
    result.p99_ms = round(percentile(latencies, 0.99) * 1000, 2)
    result.max_ms = round(max(latencies, default=0.0) * 1000, 2)
    return deliveries, result
