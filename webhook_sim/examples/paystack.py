"""Paystack: charge.success (Paystack sends no delivery id: the body's hash stands in)."""

from __future__ import annotations

from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "charge.success"
TIMESTAMPED = False


def paystack_charge_success(event: str) -> Any:
    """PaystackOSS/doc-code-snippets src/doc/payments/webhooks/events/transaction-successful.json
    (the example on https://paystack.com/docs/payments/webhooks/)."""
    return {
        "event": event,
        "data": {
            "id": 302961,
            "domain": "live",
            "status": "success",
            "reference": "qTPrJoy9Bx",
            "amount": 10000,
            "message": None,
            "gateway_response": "Approved by Financial Institution",
            "paid_at": "2016-09-30T21:10:19.000Z",
            "created_at": "2016-09-30T21:09:56.000Z",
            "channel": "card",
            "currency": "NGN",
            "ip_address": "41.242.49.37",
            "metadata": 0,
            "log": {
                "time_spent": 16,
                "attempts": 1,
                "authentication": "pin",
                "errors": 0,
                "success": False,
                "mobile": False,
                "input": [],
                "channel": None,
                "history": [
                    {
                        "type": "input",
                        "message": "Filled these fields: card number, card expiry, card cvv",
                        "time": 15,
                    },
                    {"type": "action", "message": "Attempted to pay", "time": 15},
                    {"type": "auth", "message": "Authentication Required: pin", "time": 16},
                ],
            },
            "fees": None,
            "customer": {
                "id": 68324,
                "first_name": "BoJack",
                "last_name": f"Horseman {NON_ASCII}",
                "email": "bojack@horseman.com",
                "customer_code": "CUS_qo38as2hpsgk2r0",
                "phone": None,
                "metadata": None,
                "risk_action": "default",
            },
            "authorization": {
                "authorization_code": "AUTH_f5rnfq9p",
                "bin": "539999",
                "last4": "8877",
                "exp_month": "08",
                "exp_year": "2020",
                "card_type": "mastercard DEBIT",
                "bank": "Guaranty Trust Bank",
                "country_code": "NG",
                "brand": "mastercard",
                "account_name": "BoJack Horseman",
            },
            "plan": {},
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = paystack_charge_success(event)
    # A different delivery is a different charge: its reference carries the simulator's id.
    document["data"]["reference"] = delivery_id
    document["data"]["paid_at"] = iso(now, millis=True)
    return json_sample(document, event)
