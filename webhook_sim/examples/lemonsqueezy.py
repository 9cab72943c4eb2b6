"""Lemon Squeezy: order_created (no delivery id: the body's hash stands in)."""

from __future__ import annotations

from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "order_created"
TIMESTAMPED = False


def lemonsqueezy_order(event: str, at_iso: str) -> Any:
    """https://docs.lemonsqueezy.com/help/webhooks/example-payloads (order_created)."""
    return {
        "meta": {"event_name": event, "custom_data": {"customer_id": 25}, "test_mode": True},
        "data": {
            "type": "orders",
            "id": "1",
            "attributes": {
                "store_id": 1,
                "customer_id": 1,
                "identifier": "104e18a2-d755-4d4b-80c4-a6c1dcbe1c10",
                "order_number": 1,
                "user_name": "Zoë Ångström",
                "user_email": "zoe@example.com",
                "currency": "USD",
                "subtotal": 999,
                "tax": 200,
                "total": 1199,
                "status": "paid",
                "refunded": False,
                "first_order_item": {
                    "id": 1,
                    "order_id": 1,
                    "product_id": 1,
                    "variant_id": 1,
                    "product_name": f"Test Limited License for 2 years — {NON_ASCII}",
                    "variant_name": "Default",
                    "price": 1199,
                },
                "created_at": at_iso,
                "updated_at": at_iso,
            },
            "relationships": {
                "store": {"links": {"related": "https://api.lemonsqueezy.com/v1/orders/1/store"}}
            },
            "links": {"self": "https://api.lemonsqueezy.com/v1/orders/1"},
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = lemonsqueezy_order(event, iso(now, millis=True))
    document["data"]["attributes"]["identifier"] = delivery_id
    return json_sample(document, event)
