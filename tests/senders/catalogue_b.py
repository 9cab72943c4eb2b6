"""What the catalogue's second half shares in its tests: each sender's source, secrets shaped as
the sender issues them, and a delivery signed by the simulator as that sender signs it."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from handler.receive.ingest import delivery_id as derived_id
from handler.receive.signatures import SignedRequest, Verified
from handler.receive.sources import Source
from webhook_sim.senders import SignedDelivery, configured_source, simulate

BASE_URL = "https://hooks.example.com"
NOW = 1_765_150_000.0  # 2025-12-07T23:26:40Z


@dataclass(frozen=True)
class Sender:
    name: str
    timestamped: bool  # the sender signs a timestamp, so stale and future ones are refused
    id_from_sender: bool  # the sender has a delivery id of its own (else the body's hash)
    whsec: bool = False  # secrets are "whsec_<base64>" (Standard Webhooks, Svix)


# The recipe senders of the second half, with what their documentation says about them.
SENDERS = [
    Sender("razorpay", timestamped=False, id_from_sender=True),
    Sender("gocardless", timestamped=False, id_from_sender=True),
    Sender("paystack", timestamped=False, id_from_sender=False),
    Sender("workos", timestamped=True, id_from_sender=True),
    Sender("lemonsqueezy", timestamped=False, id_from_sender=False),
    Sender("coinbase-commerce", timestamped=False, id_from_sender=True),
    Sender("woocommerce", timestamped=False, id_from_sender=True),
    Sender("circleci", timestamped=False, id_from_sender=True),
    Sender("buildkite", timestamped=True, id_from_sender=False),
    Sender("pagerduty", timestamped=False, id_from_sender=True),
    Sender("gitea", timestamped=False, id_from_sender=True),
    Sender("vercel", timestamped=False, id_from_sender=True),
    Sender("mux", timestamped=True, id_from_sender=True),
    Sender("typeform", timestamped=False, id_from_sender=True),
    Sender("clickup", timestamped=False, id_from_sender=False),
    Sender("checkout", timestamped=False, id_from_sender=True),
    Sender("webflow", timestamped=True, id_from_sender=False),
    Sender("zendesk", timestamped=True, id_from_sender=True),
    Sender("customerio", timestamped=True, id_from_sender=True),
    Sender("segment", timestamped=False, id_from_sender=True),
    Sender("heroku", timestamped=False, id_from_sender=True),
    Sender("mandrill", timestamped=False, id_from_sender=False),
    Sender("openai", timestamped=True, id_from_sender=True, whsec=True),
    Sender("resend", timestamped=True, id_from_sender=True, whsec=True),
    Sender("clerk", timestamped=True, id_from_sender=True, whsec=True),
    Sender("replicate", timestamped=True, id_from_sender=True, whsec=True),
]
BY_NAME = {sender.name: sender for sender in SENDERS}


def secret(sender: str, seed: str = "one") -> str:
    """A secret as the sender issues it, different per seed."""
    raw = hashlib.sha256(f"{sender}/{seed}".encode()).digest()
    if BY_NAME[sender].whsec:
        return "whsec_" + base64.b64encode(raw).decode()
    return raw.hex()


def source(sender: str, *secrets: str, **options: Any) -> Source:
    return configured_source(
        f"{sender}-demo",
        {"scheme": sender, "secrets": list(secrets or [secret(sender)]), **options},
    )


def deliver(
    sender: str,
    *,
    signing_secret: str | None = None,
    now: float = NOW,
    body: bytes | None = None,
    event_type: str | None = None,
    sender_id: str | None = None,
    content_type: str | None = None,
    **options: Any,
) -> SignedDelivery:
    """A delivery of `sender`'s sample (or `body`), signed with `signing_secret`."""
    signer = source(sender, signing_secret or secret(sender), **options)
    return simulate(
        signer,
        base_url=BASE_URL,
        body=body,
        event_type=event_type,
        sender_id=sender_id,
        content_type=content_type,
        now=now,
    )


def as_request(delivery: SignedDelivery, body: bytes | None = None) -> SignedRequest:
    return SignedRequest(
        "POST", delivery.url, delivery.headers, delivery.body if body is None else body
    )


def verify(
    receiver: Source, delivery: SignedDelivery | SignedRequest, now: float = NOW
) -> Verified:
    request = delivery if isinstance(delivery, SignedRequest) else as_request(delivery)
    return receiver.scheme.verify(request, receiver.secrets, receiver.options, now)


def receiver_id(verified: Verified, body: bytes) -> str:
    """The delivery id the receiver gives a verified delivery."""
    return derived_id(verified.sender_id, hashlib.sha256(body).hexdigest())
