"""What the run knows about one delivery the ledger counts as lost or doubled, and whose fault
it looks like: the product's, or the emulator's / the harness's.

Sources: the dedup record (DynamoDB, read straight from moto), the archive objects (S3), the
effect and commit lines (infra/reliability/effects.py), the SQS journal of what the emulator did
with every message (infra/moto_server.py, MOTO_SQS_JOURNAL) and the receiver's and workers' log
lines naming the delivery.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handler.store.dedup import plain_item

WORK, DLQ = "work", "dlq"


@dataclass
class Trail:
    """One delivery's messages, as the emulator handled them."""

    sent: Counter[str] = field(default_factory=Counter)  # by queue: work / dlq
    received: int = 0
    deleted: int = 0
    delete_refused: int = 0
    received_after_delete: int = 0  # a deleted message handed out again

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": dict(self.sent),
            "received": self.received,
            "deleted": self.deleted,
            "delete_refused": self.delete_refused,
            "received_after_delete": self.received_after_delete,
        }


def queue_kind(name: str) -> str:
    return DLQ if name.endswith("-dlq") else WORK


def read_journal(path: Path) -> dict[str, Trail]:
    """'source#id' -> its Trail, from the SQS journal (empty if the journal was not kept)."""
    trails: dict[str, Trail] = defaultdict(Trail)
    if not path.exists():
        return trails
    handles: dict[str, tuple[str, str]] = {}  # receipt handle -> (message id, key)
    deleted: set[str] = set()  # message ids
    with path.open(errors="replace") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) != 6:
                continue
            _, event, queue, message_id, handle, key = parts
            if event == "sent":
                trails[key].sent[queue_kind(queue)] += 1
            elif event == "received":
                handles[handle] = (message_id, key)
                trails[key].received += 1
                trails[key].received_after_delete += message_id in deleted
            elif event in ("deleted", "delete-refused") and handle in handles:
                message_id, key = handles[handle]
                if event == "deleted":
                    trails[key].deleted += 1
                    deleted.add(message_id)
                else:
                    trails[key].delete_refused += 1
    return trails


def log_mentions(paths: Iterable[Path], ids: set[str]) -> dict[str, Counter[str]]:
    """Delivery id -> "<log>: <message>" counts, for the log lines that name it."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    if not ids:
        return found
    for path in paths:
        if not path.exists():
            continue
        with path.open(errors="replace") as lines:
            for line in lines:
                named = [i for i in ids if i in line]
                if not named:
                    continue
                try:
                    what = str(json.loads(line).get("message", "metrics"))
                except (ValueError, AttributeError):
                    what = line.strip()[:80]
                for delivery_id in named:
                    found[delivery_id][f"{path.stem}: {what}"] += 1
    return found


def verdict(
    problem: str,
    trail: Trail,
    record: dict[str, Any] | None,
    effects: int,
    drained: bool,
    journal: bool,
) -> str:
    """Whose fault the facts point to; the facts themselves are reported next to it."""
    if problem == "lost" and effects:
        return "product: processed, but its archive is missing or differs from the body sent"
    if not journal:
        return "unknown: no SQS journal was kept"
    status = (record or {}).get("status")
    if problem == "lost":
        if trail.sent[DLQ]:
            return "product: parked in the DLQ (processing kept failing)"
        if not trail.sent[WORK]:
            return f"product: acknowledged, but no message was ever sent (dedup {status})"
        if trail.received == 0 and trail.deleted == 0 and drained:
            return (
                "emulator: SQS accepted the message, then it left the queue without being "
                "received or deleted"
            )
        if trail.deleted:
            return f"product: its message was deleted without an effect (dedup {status})"
        if not drained:
            return "harness: the queue was not drained when the ledger was read"
        return "unexplained: see the facts"
    if trail.received_after_delete:
        return "emulator: a deleted message was handed out again; the product's dedup let it run"
    if trail.sent[WORK] > 1 or trail.received > 1:
        return "product: more than one copy or receive ran the processor"
    return "product: one message, more than one effect"


def flatten(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """A DynamoDB item with its type wrappers removed."""
    if item is None:
        return None
    return plain_item(dict(sorted(item.items())))


def describe(found: dict[str, Any]) -> list[str]:
    """Report lines for one delivery's evidence."""
    record = found["dedup"]
    dedup = (
        "no record"
        if record is None
        else " ".join(f"{name}={value}" for name, value in record.items() if name != "pk")
    )
    messages = found["messages"]
    logs = "; ".join(f"{line} x{n}" for line, n in sorted(found["logs"].items())) or "none"
    return [
        f"  {found['cell']} {found['key']}: {found['problems']} (answers {found['statuses']})",
        f"    verdict: {found['verdict']}",
        f"    dedup: {dedup}",
        f"    archive: {', '.join(found['archive']) or 'nothing'}; effects by pid "
        f"{found['effects']}, commits by pid {found['commits']}",
        f"    SQS: sent {messages['sent']}, received {messages['received']}, deleted "
        f"{messages['deleted']} (refused {messages['delete_refused']}, received after delete "
        f"{messages['received_after_delete']})",
        f"    logs: {logs}",
    ]
