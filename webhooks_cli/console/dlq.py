"""A look into the dead-letter queue without taking anything out of it.

SQS has no "peek": messages are received with a short visibility timeout and made visible again
at once, so a worker or a redrive running meanwhile is held up for at most that long. The reason
a message is there is the delivery's `last_error` from its dedup record (what the processor
raised); a message with none failed before the processor ran (an unreadable body, a timeout).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from handler.store.dedup import dedup_key
from webhooks_cli.operations import Operations

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class DlqMessage:
    message_id: str
    delivery_id: str | None
    source: str | None
    event_type: str | None
    receive_count: int
    sent_at: datetime | None
    reason: str
    status: str | None  # the dedup record's


def _when(attributes: Mapping[Any, Any], name: str) -> datetime | None:
    value = str(attributes.get(name) or "")
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value.isdigit() else None


def peek(operations: Operations, dlq_url: str, limit: int = 200) -> list[DlqMessage]:
    seen = {m["MessageId"]: m for m in operations.peek(dlq_url, limit, wait_seconds=0)}
    envelopes = {message_id: _envelope(m["Body"]) for message_id, m in seen.items()}
    keys = [dedup_key(e["source"], e["id"]) for e in envelopes.values() if e]
    records = operations.records(keys)
    found = []
    for message_id, message in seen.items():
        envelope = envelopes[message_id]
        attributes = message.get("Attributes", {})
        record = records.get(dedup_key(envelope["source"], envelope["id"])) if envelope else None
        if envelope is None:
            reason = "not a delivery envelope: the worker cannot read it"
        elif record is None:
            reason = "no dedup record (expired?)"
        else:
            reason = str(record.get("last_error") or "no error recorded: failed before processing")
        found.append(
            DlqMessage(
                message_id=message_id,
                delivery_id=envelope["id"] if envelope else None,
                source=envelope["source"] if envelope else None,
                event_type=envelope.get("event_type") if envelope else None,
                receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
                sent_at=_when(attributes, "SentTimestamp"),
                reason=reason,
                status=str(record["status"]) if record else None,
            )
        )
    return sorted(found, key=lambda m: m.sent_at or datetime.min.replace(tzinfo=UTC))


def _envelope(body: str) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict) or not {"id", "source"} <= document.keys():
        return None
    return {k: str(v) for k, v in document.items() if k in {"id", "source", "event_type"}}
