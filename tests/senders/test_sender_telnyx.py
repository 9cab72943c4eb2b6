"""Telnyx, with the `telnyx` SDK's Ed25519 verify_webhook_signature (telnyx.lib) as the oracle.
The SDK reads the clock itself, so these deliveries are signed now."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest
from catalogue_b import BASE_URL
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from telnyx.lib.webhook_verification import WebhookVerificationError, verify_webhook_signature

from handler.receive.signatures import SignatureError, SignedRequest
from handler.receive.sources import Source
from webhook_sim.examples.telnyx import OTHER_SECRET, demo_keys
from webhook_sim.senders import configured_source, simulate

PUBLIC = next(iter(demo_keys()))


def telnyx_source(*keys: str) -> Source:
    return configured_source("telnyx", {"scheme": "telnyx", "secrets": list(keys or [PUBLIC])})


def test_the_sdk_accepts_what_the_simulator_signs() -> None:
    now = time.time()
    delivery = simulate(telnyx_source(), base_url=BASE_URL, now=now)
    verify_webhook_signature(delivery.body, delivery.headers, PUBLIC)  # raises when it refuses
    receiver = telnyx_source()
    request = SignedRequest("POST", delivery.url, delivery.headers, delivery.body)
    verified = receiver.scheme.verify(request, receiver.secrets, receiver.options, now)
    assert verified.event_type == "message.received"
    assert verified.sender_id == delivery.delivery_id


def test_the_sdk_refuses_the_other_key_and_so_does_the_receiver() -> None:
    now = time.time()
    delivery = simulate(telnyx_source(OTHER_SECRET), base_url=BASE_URL, now=now)
    with pytest.raises(WebhookVerificationError):
        verify_webhook_signature(delivery.body, delivery.headers, PUBLIC)
    receiver = telnyx_source()
    request = SignedRequest("POST", delivery.url, delivery.headers, delivery.body)
    with pytest.raises(SignatureError) as refused:
        receiver.scheme.verify(request, receiver.secrets, receiver.options, now)
    assert refused.value.reason == "bad_signature"


def test_the_receiver_accepts_a_key_pair_it_has_never_seen() -> None:
    # Signed here with a fresh key, independently of the simulator: "{timestamp}|{body}".
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"an account").digest())
    public = base64.b64encode(
        private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    ).decode()
    now = int(time.time())
    body = '{"data": {"event_type": "call.hangup", "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"}}'
    headers = {
        "content-type": "application/json",
        "telnyx-timestamp": str(now),
        "telnyx-signature-ed25519": base64.b64encode(
            private.sign(f"{now}|{body}".encode())
        ).decode(),
    }
    verify_webhook_signature(body, headers, public)  # the SDK agrees this is well signed
    receiver = telnyx_source(public)
    request = SignedRequest(
        "POST", "https://hooks.example.com/webhooks/telnyx", headers, body.encode()
    )
    verified = receiver.scheme.verify(request, receiver.secrets, receiver.options, float(now))
    assert (verified.event_type, verified.sender_id) == (
        "call.hangup",
        "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
    )
