"""SendGrid: an Event Webhook batch as in twilio.com/docs/sendgrid/for-developers/tracking-events/
event (delivered, open, click), and the demo key pair the simulator signs with.

The demo private keys are derived from public phrases: their public halves are the sample
source's verification keys (infra/senders-sample.toml). Never use them for real."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, json_sample, private_half

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "delivered"
TIMESTAMPED = True
PHRASES = (b"demo-sendgrid-event-webhook-key", b"demo-sendgrid-rotated-key")


@cache
def demo_keys() -> dict[str, str]:
    """Public key (base64 DER, as SendGrid shows it) -> private key (base64 PKCS#8 DER)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    keys = {}
    for phrase in PHRASES:
        secret = int.from_bytes(hashlib.sha256(phrase).digest(), "big")
        private = ec.derive_private_key(secret, ec.SECP256R1())
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        pkcs8 = private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        keys[base64.b64encode(public).decode()] = base64.b64encode(pkcs8).decode()
    return keys


def signing_secret(configured: str) -> str:
    return private_half(demo_keys(), configured, "SendGrid")


OTHER_SECRET = list(demo_keys())[1]  # the contract test's second key, for rotation


def events(event: str, delivery_id: str, now: float) -> Any:
    common = {
        "email": "zoë@example.com",
        "timestamp": int(now),
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "category": ["newsletter", "cat façade"],
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    }
    return [
        {**common, "event": event, "sg_event_id": delivery_id, "response": "250 OK"},
        {**common, "event": "open", "sg_event_id": delivery_id + "-o", "useragent": "Mozilla/5.0"},
        {
            **common,
            "event": "click",
            "sg_event_id": delivery_id + "-c",
            "url": f"https://example.com/ünïcödé?q={NON_ASCII}",
        },
    ]


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(events(event, delivery_id, now), event)
