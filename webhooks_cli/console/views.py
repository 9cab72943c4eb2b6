"""What the deliveries page shows, read through the CLI's own Operations.

The console's statuses are the operator's words for the dedup record's states, plus where a
delivery is stuck (the DLQ) or was never let in (the quarantine):

    accepted       claimed or enqueued, no error yet: the worker has not run it
    processing     a worker holds it now
    processed      its processor returned; the outcome is recorded
    failed         its processor raised (last_error); SQS will deliver it again
    dead-lettered  its message is in the DLQ: nothing retries it until a redrive
    quarantined    refused for its signature (401), kept for `quarantine replay`
    unknown        no dedup record any more (its TTL passed)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from handler.store.dedup import PROCESSED, PROCESSING, dedup_key
from webhooks_cli.operations import Operations, parse_time
from webhooks_cli.operations.listing import STATUS_ATTRIBUTES, Listed, Listing

# What the rows shown add to what every delivery's status needs (listing.STATUS_ATTRIBUTES).
ROW_ATTRIBUTES = ("pk", "attempts", "replays")
STATUSES = ("accepted", "processing", "processed", "failed", "dead-lettered", "quarantined")


def delivery_status(record: dict[str, Any] | None, dead_lettered: bool) -> str:
    status = record.get("status") if record else None
    if dead_lettered and status != PROCESSED:
        return "dead-lettered"
    if record is None:
        return "unknown"
    if status == PROCESSED:
        return "processed"
    if status == PROCESSING:
        return "processing"
    return "failed" if record.get("last_error") else "accepted"


def delivery_href(source: str, delivery_id: str) -> str:
    return f"/deliveries/{quote(source, safe='')}/{quote(delivery_id, safe='')}"


@dataclass(frozen=True)
class Row:
    id: str
    source: str
    event_type: str
    received_at: datetime
    status: str
    attempts: int
    replays: int
    size: int
    last_error: str
    href: str


def row_of(delivery: Listed, dead_lettered: set[tuple[str, str]]) -> Row:
    record = delivery.record or {}
    return Row(
        id=delivery.id,
        source=delivery.source,
        event_type=delivery.facts.event_type,
        received_at=delivery.received_at,
        status=delivery_status(delivery.record, (delivery.source, delivery.id) in dead_lettered),
        attempts=int(record.get("attempts", 0)),
        replays=int(record.get("replays", 0)),
        size=delivery.facts.body_size,
        last_error=str(record.get("last_error", "")),
        href=delivery_href(delivery.source, delivery.id),
    )


def with_attempts(listing: Listing, rows: list[Row]) -> list[Row]:
    """The rows shown, with their attempts and replays: read for these only, since every
    delivery's status (and so the counts) needs no more than STATUS_ATTRIBUTES."""
    archived = [row for row in rows if row.status != "quarantined"]
    records = listing.records([dedup_key(row.source, row.id) for row in archived], ROW_ATTRIBUTES)
    shown = []
    for row in rows:
        record = records.get(dedup_key(row.source, row.id))
        if row.status == "quarantined" or record is None:
            shown.append(row)
            continue
        attempts, replays = int(record.get("attempts", 0)), int(record.get("replays", 0))
        shown.append(replace(row, attempts=attempts, replays=replays))
    return shown


@dataclass(frozen=True)
class Filters:
    source: str = ""
    event_type: str = ""
    status: str = ""
    since: str = "24h"
    until: str = ""
    q: str = ""
    limit: int = 200

    def query(self, **changes: Any) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def window(self) -> tuple[datetime, datetime | None]:
        """Raises the CLI's UsageError for a time it cannot read."""
        return parse_time(self.since or "24h"), parse_time(self.until) if self.until else None


@dataclass
class DeliveriesPage:
    rows: list[Row]
    matching: int  # rows that pass every filter (more than shown past the limit)
    counts: Counter[str]  # by status, every filter applied but the status
    event_types: list[str]
    window_total: int
    notes: list[str] = field(default_factory=list)


def deliveries_page(
    operations: Operations,
    filters: Filters,
    dead_lettered: set[tuple[str, str]],
) -> DeliveriesPage:
    since, until = filters.window()
    source = filters.source or None
    listing = operations.listing
    found = listing.deliveries(source, since, until, STATUS_ATTRIBUTES)
    rows = [row_of(d, dead_lettered) for d in found]
    for item in operations.quarantine.items(source, since, until):
        if item.released is None:
            rows.append(
                Row(
                    id=item.id,
                    source=item.source,
                    event_type="",
                    received_at=item.received_at,
                    status="quarantined",
                    attempts=0,
                    replays=0,
                    size=item.body_size,
                    last_error=f"{item.reason}: {item.detail}",
                    href="/quarantine#q-" + quote(item.id, safe=""),
                )
            )
    rows.sort(key=lambda row: row.received_at, reverse=True)
    window_total = len(rows)
    event_types = sorted({row.event_type for row in rows if row.event_type})
    needle = filters.q.strip().lower()
    rows = [
        row
        for row in rows
        if (not filters.event_type or row.event_type == filters.event_type)
        and (not needle or needle in row.id.lower())
    ]
    counts = Counter(row.status for row in rows)
    if filters.status:
        rows = [row for row in rows if row.status == filters.status]
    return DeliveriesPage(
        rows=with_attempts(listing, rows[: filters.limit]),
        matching=len(rows),
        counts=counts,
        event_types=event_types,
        window_total=window_total,
    )
