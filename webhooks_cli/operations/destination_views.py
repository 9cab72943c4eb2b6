"""What the CLI and the console show of destinations: their state, a delivery's attempts.

What a destination's configuration holds that could be a credential (its secret, its headers'
values, a token in its URL) never leaves this module: views carry a display URL and header
names only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from handler.process.destinations.circuit import CLOSED
from handler.process.destinations.records import DEAD, DELIVERED, PENDING, SENDING, record_key

from . import Operations
from .destinations import configured, forward_table

# A path segment this long is shown cut: Slack's and Discord's webhook URLs carry their token
# in the path, and a destination's URL may too.
LONG_SEGMENT = 16
# Counting records is a Scan of the whole idempotency table (the records have no index of their
# own): at most this many 1 MB pages, then the counts say they are partial.
COUNT_PAGES = 10
COUNTED = (PENDING, DELIVERED, DEAD)


def iso(epoch: Any) -> str:
    if not epoch:
        return ""
    return datetime.fromtimestamp(float(epoch), UTC).isoformat(timespec="seconds")


def moment(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def display_url(url: str) -> str:
    """Where a destination is, for people: scheme, host and path; no query string (tokens live
    there), no user info (refused by config anyway), long path segments cut."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host += f":{parts.port}"
    segments = [
        segment if len(segment) < LONG_SEGMENT else segment[:4] + "…"
        for segment in parts.path.split("/")
    ]
    return f"{parts.scheme}://{host}{'/'.join(segments)}"


# Listing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DestinationView:
    source: str
    name: str
    url: str  # display_url: never the configured URL itself
    state: str  # closed, open, half_open, paused, disabled (DestinationState.label)
    circuit: str
    failures: int
    open_until: float  # when an open circuit lets a probe through (0: not open)
    reason: str  # why paused or disabled
    rate_limit_per_second: int | None
    timeout_seconds: float
    event_types: tuple[str, ...]
    header_names: tuple[str, ...]  # configured headers: their values may be credentials
    counts: dict[str, int] | None = None  # pending, delivered, dead; None when not counted

    @property
    def open_until_time(self) -> datetime | None:
        return moment(self.open_until) if self.circuit != CLOSED else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.name,
            "url": self.url,
            "state": self.state,
            "failures": self.failures,
            "open_until": iso(self.open_until) if self.circuit != CLOSED else "",
            "reason": self.reason,
            "rate_limit_per_second": self.rate_limit_per_second,
            **({"counts": self.counts} if self.counts is not None else {}),
        }


@dataclass(frozen=True)
class Counts:
    by_destination: dict[tuple[str, str], dict[str, int]]
    complete: bool  # False: the scan stopped after COUNT_PAGES pages
    scanned: int  # items the scan read


def counting_is_cheap(operations: Operations, pages: int = COUNT_PAGES) -> bool:
    """Whether the whole table fits in the Scan's budget, by DescribeTable's size (which
    DynamoDB refreshes about every six hours): then a page may count on every view."""
    try:
        table = operations.clients.dynamodb.describe_table(
            TableName=operations.settings.idempotency_table
        )["Table"]
    except ClientError:
        return False  # no dynamodb:DescribeTable for this operator: count only when asked
    return int(table.get("TableSizeBytes", 0)) <= pages * 1024 * 1024


def count_records(operations: Operations, pages: int = COUNT_PAGES) -> Counts:
    """Forwarding records by (source, destination) and status, from one bounded Scan."""
    tally: Counter[tuple[str, str, str]] = Counter()
    paginator = operations.clients.dynamodb.get_paginator("scan")
    scanned, complete = 0, True
    for number, page in enumerate(
        paginator.paginate(
            TableName=operations.settings.idempotency_table,
            FilterExpression="begins_with(pk, :prefix)",
            ProjectionExpression="#source, #destination, #status",
            ExpressionAttributeNames={
                "#source": "source",
                "#destination": "destination",
                "#status": "status",
            },
            ExpressionAttributeValues={":prefix": {"S": "dest#"}},
        )
    ):
        if number >= pages:
            complete = False
            break
        scanned += int(page.get("ScannedCount", 0))
        for item in page.get("Items", []):
            status = item.get("status", {}).get("S", "")
            status = PENDING if status == SENDING else status  # an attempt under way
            tally[(item["source"]["S"], item["destination"]["S"], status)] += 1
    found: dict[tuple[str, str], dict[str, int]] = {}
    for (source, destination, status), n in tally.items():
        found.setdefault((source, destination), dict.fromkeys(COUNTED, 0))[status] = n
    return Counts(found, complete, scanned)


def destinations(
    operations: Operations, source: str | None = None, counts: Counts | None = None
) -> list[DestinationView]:
    table = forward_table(operations)
    views = []
    for destination in configured(operations, source):
        state = table.state(destination.source, destination.name)
        counted = None
        if counts is not None:
            zero = dict.fromkeys(COUNTED, 0)
            counted = counts.by_destination.get((destination.source, destination.name), zero)
        views.append(
            DestinationView(
                source=destination.source,
                name=destination.name,
                url=display_url(destination.url),
                state=state.label,
                circuit=state.circuit,
                failures=state.failures,
                open_until=state.open_until,
                reason=state.reason,
                rate_limit_per_second=destination.rate_limit_per_second,
                timeout_seconds=destination.timeout_seconds,
                event_types=destination.event_types,
                header_names=tuple(sorted(destination.headers)),
                counts=counted,
            )
        )
    return views


# One delivery's attempts -----------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptView:
    at: float
    status: int  # 0: no HTTP answer (see error)
    latency_ms: float
    snippet: str  # the start of the destination's answer: its text, untrusted
    error: str

    @property
    def at_time(self) -> datetime | None:
        return moment(self.at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "status": self.status,
            "latency_ms": self.latency_ms,
            "snippet": self.snippet,
            "error": self.error,
        }


@dataclass(frozen=True)
class ForwardRecord:
    source: str
    destination: str
    status: str  # pending, sending, delivered, dead
    attempts: int
    next_attempt_at: float | None  # pending only
    dead_reason: str
    hold_reason: str  # why the last turn was not an attempt (paused, circuit_open...)
    history: list[AttemptView] = field(default_factory=list)

    @property
    def next_attempt_time(self) -> datetime | None:
        return moment(self.next_attempt_at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": iso(self.next_attempt_at),
            "dead_reason": self.dead_reason,
            "history": [entry.as_dict() for entry in self.history],
        }


def attempts(
    operations: Operations, delivery_id: str, source: str | None = None
) -> list[ForwardRecord]:
    """The delivery's record at each configured destination that has one (one GetItem each)."""
    table = forward_table(operations)
    found = []
    for destination in configured(operations, source):
        record = table.get(record_key(destination.source, delivery_id, destination.name))
        if record is None:
            continue
        status = str(record.get("status", ""))
        found.append(
            ForwardRecord(
                source=destination.source,
                destination=destination.name,
                status=status,
                attempts=int(record.get("attempts", 0)),
                next_attempt_at=(
                    float(record.get("next_attempt_at", 0)) or None if status == PENDING else None
                ),
                dead_reason=str(record.get("dead_reason", "")),
                hold_reason=str(record.get("hold_reason", "")),
                history=[
                    AttemptView(
                        at=float(entry.get("at", 0)),
                        status=int(entry.get("status", 0)),
                        latency_ms=float(entry.get("latency_ms", 0)),
                        snippet=str(entry.get("snippet", "")),
                        error=str(entry.get("error", "")),
                    )
                    for entry in record.get("history", [])
                ],
            )
        )
    return found
