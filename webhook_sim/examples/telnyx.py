"""Telnyx: message.received as in Telnyx's messaging webhook reference, and the demo key pairs
the simulator signs with.

The demo private keys are derived from public phrases: their public halves are the sample
source's keys (infra/senders-sample.toml). Never use them for real."""

from __future__ import annotations

import base64
import hashlib
import uuid
from functools import cache
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample, private_half

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "message.received"
TIMESTAMPED = True
PHRASES = (b"demo-telnyx-account-public-key", b"demo-telnyx-rotated-key")


@cache
def demo_keys() -> dict[str, str]:
    """Public key (base64, as Mission Control shows it) -> private key (base64 32-byte seed)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    keys = {}
    for phrase in PHRASES:
        seed = hashlib.sha256(phrase).digest()
        public = (
            Ed25519PrivateKey.from_private_bytes(seed)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        keys[base64.b64encode(public).decode()] = base64.b64encode(seed).decode()
    return keys


def signing_secret(configured: str) -> str:
    return private_half(demo_keys(), configured, "Telnyx")


OTHER_SECRET = list(demo_keys())[1]  # the contract test's second key, for rotation


def new_id() -> str:
    return str(uuid.uuid4())


def telnyx_message_received(event_id: str, event_type: str, at_iso: str) -> Any:
    """https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks
    (message.received)."""
    return {
        "data": {
            "event_type": event_type,
            "id": event_id,
            "occurred_at": at_iso,
            "payload": {
                "cc": [],
                "completed_at": None,
                "cost": None,
                "direction": "inbound",
                "encoding": "GSM-7",
                "errors": [],
                "from": {
                    "carrier": "T-Mobile USA",
                    "line_type": "long_code",
                    "phone_number": "+13125550001",
                },
                "id": "b0c7e8cb-6227-4c74-9f32-c7f80c30934b",
                "media": [],
                "messaging_profile_id": "740572b6-099c-44a1-89b9-6c92163bc68d",
                "organization_id": "47a530f8-4362-4526-829b-bcee17fd9f7a",
                "parts": 1,
                "received_at": at_iso,
                "record_type": "message",
                "sent_at": None,
                "tags": [],
                "text": f"Hello from Telnyx! {NON_ASCII}",
                "to": [
                    {
                        "carrier": "Telnyx",
                        "line_type": "Wireless",
                        "phone_number": "+17735550002",
                        "status": "webhook_delivered",
                    }
                ],
                "type": "SMS",
                "valid_until": None,
                "webhook_failover_url": None,
                "webhook_url": "https://example.com/webhooks",
            },
            "record_type": "event",
        },
        "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks"},
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(telnyx_message_received(delivery_id, event, iso(now)), event)
