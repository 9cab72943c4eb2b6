"""Customer.io: an email `sent` reporting webhook as in Customer.io's webhook reference; the
delivery id is the body's `event_id`."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "sent"
TIMESTAMPED = True


def new_id() -> str:
    return "01" + secrets.token_hex(12).upper()  # a ULID, as Customer.io's event ids


def email_event(event_id: str, metric: str, at: int) -> Any:
    """https://docs.customer.io/api/webhooks/#operation/reportingWebhook (email sent)."""
    return {
        "data": {
            "action_id": 96,
            "broadcast_id": 2,
            "customer_id": "0200102",
            "identifiers": {"id": "0200102", "email": "zoe@example.com", "cio_id": "d9c106000001"},
            "delivery_id": "RAECAAFwnUSneIa0ZXkmq8EdkAM==",
            "recipient": "zoe@example.com",
            "subject": f"Welcome, Zoë! {NON_ASCII}",
            "content": "<p>Hej Zoë — välkommen!</p>",
        },
        "event_id": event_id,
        "object_type": "email",
        "metric": metric,
        "timestamp": at,
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(email_event(delivery_id, event, int(now)), event)
