"""Paddle Billing: transaction.completed as in developer.paddle.com/webhooks/transactions/
transaction-completed (event_id evt_..., notification_id ntf_...)."""

from __future__ import annotations

import uuid
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "transaction.completed"
TIMESTAMPED = True


def new_id() -> str:
    return "evt_" + uuid.uuid4().hex[:26]


def transaction(event: str, delivery_id: str, now: float) -> Any:
    return {
        "event_id": delivery_id,
        "event_type": event,
        "occurred_at": iso(now, millis=True),
        "notification_id": "ntf_01h8bkrfe7w1vwf8xmytwn51e7",
        "data": {
            "id": "txn_01h8bkrfe7w1vwf8xmytwn51e7",
            "status": "completed",
            "customer_id": "ctm_01h8441jn5pcwrfhwh78jqt8hk",
            "currency_code": "EUR",
            "origin": "web",
            "collection_mode": "automatic",
            "items": [
                {
                    "price": {
                        "id": "pri_01gsz8x8sawmvhz1pv30nge1ke",
                        "description": f"Abonnement annuel — {NON_ASCII}",
                        "unit_price": {"amount": "120000", "currency_code": "EUR"},
                        "billing_cycle": {"interval": "year", "frequency": 1},
                    },
                    "quantity": 10,
                }
            ],
            "details": {
                "totals": {"subtotal": "1200000", "tax": "240000", "total": "1440000"},
            },
            "billed_at": iso(now, millis=True),
            "created_at": iso(now, millis=True),
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(transaction(event, delivery_id, now), event)
