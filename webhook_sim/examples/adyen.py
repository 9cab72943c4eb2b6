"""Adyen: a standard AUTHORISATION notification as in Adyen's webhook reference; the simulator
signs each item inside the body (`signed_body`)."""

from __future__ import annotations

import secrets
import string
from typing import Any

from handler.receive.senders.adyen import signed_body as sign_items
from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "AUTHORISATION"
TIMESTAMPED = False
SIGNS_BODY = False  # eight fields of each item are signed, not the rest of the body


def new_id() -> str:
    # The receiver's id is "<pspReference>:<eventCode>:<success>"; the simulator's id is the
    # pspReference (16 characters, as Adyen's).
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def adyen_notification(psp_reference: str, event_code: str, at_iso: str) -> Any:
    """https://docs.adyen.com/development-resources/webhooks/webhook-types/ (a standard
    AUTHORISATION notification, one item; `hmacSignature` is filled in by the signer)."""
    return {
        "live": "false",
        "notificationItems": [
            {
                "NotificationRequestItem": {
                    "additionalData": {
                        "authCode": "058156",
                        "cardSummary": "1111",
                        "expiryDate": "03/2030",
                        "hmacSignature": "",
                        "shopperReference": f"Zoë {NON_ASCII}",
                    },
                    "amount": {"currency": "EUR", "value": 1130},
                    "eventCode": event_code,
                    "eventDate": at_iso,
                    "merchantAccountCode": "YOUR_MERCHANT_ACCOUNT",
                    "merchantReference": "Order #1234 — Café",
                    "operations": ["CANCEL", "CAPTURE", "REFUND"],
                    "paymentMethod": "visa",
                    "pspReference": psp_reference,
                    "reason": "058156:1111:03/2030",
                    "success": "true",
                }
            }
        ],
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(adyen_notification(delivery_id, event, iso(now)), event)


def signed_body(body: bytes, secret: str, now: float, content_type: str) -> bytes:
    return sign_items(body, secret)
