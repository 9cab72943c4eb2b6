"""An observable effect per processed delivery, and the worker entry point that records it.

    EFFECTS_FILE=/tmp/effects.log python -m infra.reliability.effects

A processor registered for every configured source appends `<pid> effect <source>#<id>` to
EFFECTS_FILE (one O_APPEND write: lines from concurrent workers never interleave), and the
worker's dedup table appends `<pid> commit <source>#<id>` once "processed" is recorded. The
ledger counts effects per delivery from this file: more than one is a double effect, unless the
earlier one came from a worker killed between the effect and its commit (the crash window every
non-transactional effect has; processors are documented to be idempotent for exactly that).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from typing import Any

from handler import wiring
from handler.aws import AwsClients
from handler.process.processors import Event, Outcome, processor
from handler.process.worker import Worker
from handler.settings import get_settings
from handler.store.dedup import DedupTable

_fd: int | None = None
_lock = threading.Lock()


def record(kind: str, key: str) -> None:
    global _fd
    with _lock:
        if _fd is None:
            path = os.environ["EFFECTS_FILE"]
            _fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.write(_fd, f"{os.getpid()} {kind} {key}\n".encode())


def effect(event: Event) -> Outcome:
    record("effect", f"{event.source}#{event.id}")
    return {"processor": "reliability-effects", "bytes": len(event.body)}


def register(sources: list[str]) -> None:
    for name in sources:
        processor(name, "*")(effect)


@dataclass(frozen=True)
class CommittingDedup(DedupTable):
    def mark_processed(self, key: str, token: str, outcome: dict[str, Any], now: float) -> bool:
        recorded = super().mark_processed(key, token, outcome, now)
        if recorded:
            record("commit", key)
        return recorded


def effects_worker() -> Worker:
    settings = get_settings()
    clients = AwsClients.create(settings)
    plain = wiring.dedup_table(settings, clients)
    dedup = CommittingDedup(
        plain.dynamodb,
        plain.table,
        plain.ttl_seconds,
        plain.claim_lease_seconds,
        plain.processing_lease_seconds,
    )
    # With the queue, as the default worker: a busy delivery comes back when its lease ends.
    queue = wiring.work_queue(settings, clients)
    worker = Worker(dedup, wiring.archive(settings, clients), queue=queue)
    # Destinations forward as the real worker does (the flapping-destination scenario).
    forwarder = wiring.forwarder(settings, clients, worker.load_body)
    return worker if forwarder is None else replace(worker, forwarder=forwarder)


def main() -> None:
    import infra.local_worker as local_worker

    register(list(wiring.sources(get_settings())))
    # The same loop `make run` uses, with this worker in place of the default one.
    local_worker.main(effects_worker)


if __name__ == "__main__":
    main()
