"""GoCardless: a batch of payment events; the delivery id is `meta.webhook_id`."""

from __future__ import annotations

import secrets
import string
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "payments.confirmed"
TIMESTAMPED = False


def gocardless_events(webhook_id: str, action: str, at_iso: str) -> Any:
    """https://developer.gocardless.com/api-reference/#webhooks-overview: a batch of events with
    `meta.webhook_id` (the same on every retry of this webhook)."""
    return {
        "events": [
            {
                "id": "EV0012ZS7SW8DP",
                "created_at": at_iso,
                "action": action,
                "resource_type": "payments",
                "links": {"payment": "PM004ZGYAZA6F7"},
                "details": {
                    "origin": "gocardless",
                    "cause": "payment_confirmed",
                    "description": "Enough time has passed since the payment was submitted.",
                    "scheme": "bacs",
                    "reason_code": None,
                },
                "metadata": {"customer": f"Zoë {NON_ASCII}"},
                "resource_metadata": {"order_dispatch_date": "2026-12-08"},
            },
            {
                "id": "EV0012ZS7SW8DQ",
                "created_at": at_iso,
                "action": "paid_out",
                "resource_type": "payments",
                "links": {"payment": "PM004ZGYAZA6F8", "payout": "PO0000J7FGR7SE"},
                "details": {
                    "origin": "gocardless",
                    "cause": "payment_paid_out",
                    "description": "The payment has been paid out by GoCardless.",
                },
                "metadata": {},
                "resource_metadata": {},
            },
        ],
        "meta": {"webhook_id": webhook_id},
    }


def new_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "WB" + "".join(secrets.choice(alphabet) for _ in range(12))


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    # The event type is "<resource_type>.<action>" of the batch's events: all of one kind here.
    resource, _, action = event.partition(".")
    document = gocardless_events(delivery_id, action or "confirmed", iso(now, millis=True))
    for item in document["events"]:
        item["resource_type"], item["action"] = resource or "payments", action or "confirmed"
    return json_sample(document, event)
