"""The forwarding messages: a wake-up on the work queue, and what every forwarding log line says."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from handler.store.queue import Envelope


class WakeUp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    destination: str
    attempt: int  # the record's attempt count when this was scheduled
    due: float


class ForwardMessage(BaseModel):
    """A wake-up on the work queue. `forward` comes first in the JSON, which `is_wake_up` reads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    forward: WakeUp
    envelope: Envelope


def is_wake_up(body: str) -> bool:
    return body.startswith('{"forward"')


def content_type(envelope: Envelope) -> str:
    for name, value in envelope.headers.items():
        if name.lower() == "content-type":
            return value
    return "application/octet-stream"


def log_fields(envelope: Envelope, destination: str, **extra: Any) -> dict[str, Any]:
    """Every forwarding log line names the delivery and the destination."""
    return {
        "delivery_id": envelope.id,
        "source": envelope.source,
        "destination": destination,
        **extra,
    }
