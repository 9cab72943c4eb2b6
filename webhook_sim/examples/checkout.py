"""Checkout.com: payment_approved as in Checkout.com's webhook reference (the event with its
payment data); the delivery id is the event's `id`."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "payment_approved"
TIMESTAMPED = False


def new_id() -> str:
    return "evt_" + secrets.token_hex(13)


def payment_event(event_id: str, event: str, at: str) -> Any:
    """https://www.checkout.com/docs/developer-resources/event-notifications/event-types"""
    return {
        "id": event_id,
        "type": event,
        "version": "1.0.33",
        "created_on": at,
        "data": {
            "id": "pay_mbabizu24mvu3mela5njyhpit4",
            "action_id": "act_y3oqhf46pyzuxjbcn2giaqnb44",
            "amount": 6540,
            "currency": "GBP",
            "approved": True,
            "status": "Authorized",
            "auth_code": "643381",
            "response_code": "10000",
            "response_summary": "Approved",
            "processed_on": at,
            "reference": "ORD-5023-4E89",
            "source": {
                "id": "src_nwd3m4in3hkuddfpjsaevunhdy",
                "type": "card",
                "billing_address": {
                    "address_line1": "Rue de l'Église 12",
                    "city": "Genève",
                    "zip": "1204",
                    "country": "CH",
                },
                "expiry_month": 6,
                "expiry_year": 2030,
                "name": "Zoë Ångström",
                "scheme": "Visa",
                "last4": "4242",
                "bin": "424242",
                "card_type": "Credit",
            },
            "customer": {"id": "cus_udst2tfldj6upmye2reztkmm4i", "name": "Zoë Ångström"},
            "metadata": {"note": NON_ASCII},
            "risk": {"flagged": False},
        },
        "_links": {
            "self": {"href": f"https://api.checkout.com/workflows/events/{event_id}"},
            "payment": {"href": "https://api.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"},
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(payment_event(delivery_id, event, iso(now)), event)
