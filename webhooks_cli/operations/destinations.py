"""What `webhooks destinations` and the console's Destinations page do: one implementation.

    destination_views.destinations(...)  every destination with its state (and record counts)
    destination_views.attempts(...)      one delivery's forwarding records, per destination
    retry(...)          dead-lettered forwards revived (fresh horizon) and woken up; dry run too
    pause / resume      the destination's switches

Nothing here prints or renders: the CLI formats the results for a terminal, the console for a
page.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handler.process.destinations.config import Destination
from handler.process.destinations.guards import PAUSED
from handler.process.destinations.messages import ForwardMessage, WakeUp
from handler.process.destinations.records import DEAD, record_key
from handler.process.destinations.state import ForwardTable
from handler.store.archive import delivery_key, envelope_fields
from handler.store.queue import Envelope
from handler.wiring import FORWARD_RECORD_EXTRA_SECONDS

from . import Operations
from .context import Outcome
from .errors import NotFound, UsageError

RESUME_WAKE_LIMIT = 1000  # held deliveries woken by one resume; more go out at their next check


def forward_table(operations: Operations) -> ForwardTable:
    settings = operations.settings
    return ForwardTable(
        operations.clients.dynamodb,
        settings.idempotency_table,
        ttl_seconds=settings.dedup_ttl_seconds + FORWARD_RECORD_EXTRA_SECONDS,
    )


def configured(operations: Operations, source: str | None = None) -> list[Destination]:
    names = [source] if source else sorted(operations.sources)
    return [d for name in names for d in operations.source(name).destinations]


def find(operations: Operations, source: str, name: str) -> Destination:
    for destination in operations.source(source).destinations:
        if destination.name == name:
            return destination
    raise UsageError(f"source {source!r} has no destination named {name!r}")


# Actions ---------------------------------------------------------------------------------------


def retry(
    operations: Operations,
    source: str,
    destination: str,
    ids: Sequence[str] = (),
    *,
    all_dead: bool = False,
    dry_run: bool = False,
) -> list[Outcome]:
    """Dead-lettered forwards to one destination sent again, each with a fresh retry horizon."""
    if not ids and not all_dead:
        raise UsageError("name deliveries with --id, or pass --all")
    find(operations, source, destination)
    table = forward_table(operations)
    if table.state(source, destination).disabled:
        raise UsageError(f"{source}/{destination} is disabled: `resume` it first")
    if all_dead:
        records = table.dead_records(source, destination)
    else:
        records = []
        for delivery_id in ids:
            record = table.get(record_key(source, delivery_id, destination))
            if record is None:
                raise NotFound(f"no forwarding record for {delivery_id!r} at {destination!r}")
            records.append(record)
    return [revive(operations, table, record, dry_run) for record in records]


def revive(
    operations: Operations, table: ForwardTable, record: dict[str, Any], dry_run: bool
) -> Outcome:
    delivery_id, source = str(record["delivery_id"]), str(record["source"])
    if record.get("status") != DEAD:
        status = record.get("status")
        return Outcome(delivery_id, source, "skipped", f"not dead-lettered ({status})")
    if dry_run:
        return Outcome(delivery_id, source, "would_retry", str(record.get("dead_reason", "")))
    envelope = envelope_of(operations, record)
    now = time.time()
    # The record first, then the wake-up: a wake-up for a record still dead would be dropped.
    if not table.revive(str(record["pk"]), now):
        return Outcome(delivery_id, source, "skipped", "changed meanwhile")
    wake(operations, envelope, record, now)
    return Outcome(delivery_id, source, "retried", str(record.get("dead_reason", "")))


def envelope_of(operations: Operations, record: dict[str, Any]) -> Envelope:
    """A forwarding record's delivery, its body by reference to the archive."""
    delivery_id, source = str(record["delivery_id"]), str(record["source"])
    received_at = datetime.fromisoformat(str(record["received_at"]))
    try:  # its record says where (volume mode) or its day does
        key = operations.locate(delivery_id, source).key
    except NotFound:
        key = delivery_key(source, delivery_id, received_at)  # or the pair before `.delivery`
    meta = operations.read_meta(key)
    fields = envelope_fields(meta)  # not ack_ms: the model forbids what it lacks
    return Envelope.model_validate({**fields, "body_key": key})


def wake(operations: Operations, envelope: Envelope, record: dict[str, Any], now: float) -> None:
    """A wake-up due now for the record's next attempt (the worker's begin makes it the only one
    to start, whatever other wake-ups exist for it)."""
    message = ForwardMessage(
        forward=WakeUp(
            destination=str(record["destination"]), attempt=int(record["attempts"]), due=now
        ),
        envelope=envelope,
    )
    operations.clients.sqs.send_message(
        QueueUrl=operations.queue_url, MessageBody=message.model_dump_json(exclude_none=True)
    )


def pause(
    operations: Operations, source: str, destination: str, reason: str = "paused by an operator"
) -> None:
    """Hold the destination's deliveries: they wait, and go out after `resume`."""
    find(operations, source, destination)
    reason = reason.strip()[:200] or "paused by an operator"
    forward_table(operations).set_switch(source, destination, "paused", True, reason)


@dataclass(frozen=True)
class Resumed:
    woken: int  # held deliveries sent a wake-up due now
    more: bool  # more were held than one resume wakes: they go out at their next check


def resume(operations: Operations, source: str, destination: str) -> Resumed:
    """A paused or disabled destination sends again; its circuit is closed, failures forgotten.

    What the pause held goes out now, not at its next check (up to 5 minutes later): each held
    record is made due and woken. Bounded: beyond RESUME_WAKE_LIMIT, the next check sends them.
    """
    find(operations, source, destination)
    table = forward_table(operations)
    table.set_switch(source, destination, "paused", False, "resumed")
    records, more = table.held_records(source, destination, PAUSED, RESUME_WAKE_LIMIT)
    woken = 0
    for record in records:
        envelope = envelope_of(operations, record)
        now = time.time()
        # Due first, then the wake-up: a wake-up for a record not yet due is put off again.
        if table.release(str(record["pk"]), PAUSED, int(record["attempts"]), now):
            wake(operations, envelope, record, now)
            woken += 1
    return Resumed(woken, more)


def woken_text(resumed: Resumed) -> str:
    """What the CLI and the console say after a resume."""
    held = "1 held delivery" if resumed.woken == 1 else f"{resumed.woken} held deliveries"
    more = " (more are held: they go out within 5 minutes)" if resumed.more else ""
    return f"{held} sent now{more}"
