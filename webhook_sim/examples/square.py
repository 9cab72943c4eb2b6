"""Square: payment.updated as in developer.squareup.com/reference/square/payments-api/webhooks/
payment.updated; event_id is the delivery id (Square keeps it across retries)."""

from __future__ import annotations

import uuid
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "payment.updated"


def new_id() -> str:
    return str(uuid.uuid4())


def payment(event: str, delivery_id: str, now: float) -> Any:
    return {
        "merchant_id": "6SSW7HV8K2ST5",
        "type": event,
        "event_id": delivery_id,
        "created_at": iso(now, millis=True),
        "data": {
            "type": "payment",
            "id": "KkAkhdMsgzn59SM8A89WgKwekxLZY",
            "object": {
                "payment": {
                    "id": "KkAkhdMsgzn59SM8A89WgKwekxLZY",
                    "amount_money": {"amount": 1250, "currency": "EUR"},
                    "total_money": {"amount": 1250, "currency": "EUR"},
                    "status": "COMPLETED",
                    "source_type": "CARD",
                    "card_details": {
                        "status": "CAPTURED",
                        "card": {"card_brand": "VISA", "last_4": "1111", "exp_month": 11},
                        "entry_method": "KEYED",
                    },
                    "location_id": "S8GWD5R9QB376",
                    "order_id": "03O3USaPaAaFnI6kkwB1JxGgBsUZY",
                    "note": f"Café crème x2 {NON_ASCII}",
                    "created_at": iso(now, millis=True),
                    "updated_at": iso(now, millis=True),
                    "version": 2,
                }
            },
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(payment(event, delivery_id, now), event)
