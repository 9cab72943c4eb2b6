"""Razorpay: payment.captured; the delivery id travels in X-Razorpay-Event-Id."""

from __future__ import annotations

import secrets
import string
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "payment.captured"
TIMESTAMPED = False


def razorpay_payment_captured(event: str, at: int) -> Any:
    """https://razorpay.com/docs/webhooks/payloads/payments/ (payment.captured)."""
    payment = {
        "id": "pay_DESlfW9H8K9uqM",
        "entity": "payment",
        "amount": 100,
        "currency": "INR",
        "base_amount": 100,
        "status": "captured",
        "order_id": "order_DESlLckIVRkHWj",
        "invoice_id": None,
        "international": False,
        "method": "netbanking",
        "amount_refunded": 0,
        "amount_transferred": 0,
        "refund_status": None,
        "captured": True,
        "description": f"Order for {NON_ASCII}",
        "card_id": None,
        "bank": "HDFC",
        "wallet": None,
        "vpa": None,
        "email": "gaurav.kumar@example.com",
        "contact": "+919876543210",
        "notes": {"customer": "Gaurav Kumär", "नोट": "भुगतान"},
        "fee": 2,
        "tax": 0,
        "error_code": None,
        "error_description": None,
        "error_source": None,
        "error_step": None,
        "error_reason": None,
        "acquirer_data": {"bank_transaction_id": "0125836177"},
        "created_at": at - 60,
    }
    return {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": event,
        "contains": ["payment"],
        "payload": {"payment": {"entity": payment}},
        "created_at": at,
    }


def new_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "evt_" + "".join(secrets.choice(alphabet) for _ in range(14))


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = razorpay_payment_captured(event, int(now))
    return json_sample(document, event)
