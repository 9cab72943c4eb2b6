"""Coinbase Commerce, with the `coinbase-commerce` SDK's Webhook.construct_event as the oracle."""

from __future__ import annotations

import pytest
from catalogue_b import deliver, secret, source, verify
from coinbase_commerce.error import SignatureVerificationError
from coinbase_commerce.webhook import Webhook


def test_the_sdk_accepts_and_reads_the_same_event() -> None:
    delivery = deliver("coinbase-commerce", sender_id="f6e67b9c-0c64-4a87-8b7a-38c4a0ab2d7e")
    event = Webhook.construct_event(
        delivery.body.decode(),
        delivery.headers["x-cc-webhook-signature"],
        secret("coinbase-commerce"),
    )
    verified = verify(source("coinbase-commerce"), delivery)
    assert event.id == verified.sender_id == "f6e67b9c-0c64-4a87-8b7a-38c4a0ab2d7e"
    assert event.type == verified.event_type == "charge:confirmed"


def test_the_sdk_refuses_another_secret() -> None:
    delivery = deliver("coinbase-commerce", signing_secret=secret("coinbase-commerce", "other"))
    with pytest.raises(SignatureVerificationError):
        Webhook.construct_event(
            delivery.body.decode(),
            delivery.headers["x-cc-webhook-signature"],
            secret("coinbase-commerce"),
        )
