"""Coinbase Commerce: a charge:confirmed event; the delivery id is `event.id`."""

from __future__ import annotations

from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "charge:confirmed"
TIMESTAMPED = False


def coinbase_commerce_event(event_id: str, event: str, at_iso: str) -> Any:
    """https://docs.cdp.coinbase.com/commerce-onchain/docs/webhooks-events (charge:confirmed)."""
    return {
        "id": 1,
        "scheduled_for": at_iso,
        "attempt_number": 1,
        "event": {
            "id": event_id,
            "resource": "event",
            "type": event,
            "api_version": "2018-03-22",
            "created_at": at_iso,
            "data": {
                "code": "66BEOV2A",
                "name": f"The Sovereign Individual — {NON_ASCII}",
                "description": "Mastering the Transition to the Information Age",
                "hosted_url": "https://commerce.coinbase.com/charges/66BEOV2A",
                "created_at": at_iso,
                "expires_at": at_iso,
                "timeline": [{"time": at_iso, "status": "NEW"}],
                "metadata": {"customer_id": "id_1005", "customer_name": "Satoshi Nakamoto"},
                "pricing_type": "fixed_price",
                "pricing": {
                    "local": {"amount": "100.00", "currency": "USD"},
                    "bitcoin": {"amount": "1.00000000", "currency": "BTC"},
                },
                "payments": [],
                "addresses": {"bitcoin": "mymZkiXhQNd6VWWG7VGSVdDX9bKmviti3U"},
            },
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = coinbase_commerce_event(delivery_id, event, iso(now, millis=True))
    return json_sample(document, event)
