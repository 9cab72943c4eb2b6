"""Razorpay, with the `razorpay` SDK's Utility.verify_webhook_signature as the oracle."""

from __future__ import annotations

import pytest
import razorpay
from catalogue_b import deliver, secret, source, verify
from razorpay.errors import SignatureVerificationError


def sdk_accepts(body: bytes, signature: str, key: str) -> bool:
    try:
        return bool(razorpay.Utility().verify_webhook_signature(body.decode(), signature, key))
    except SignatureVerificationError:
        return False


def test_the_sdk_accepts_what_the_simulator_signs() -> None:
    delivery = deliver("razorpay", sender_id="evt_Ow9mYy1GSNgr2N")
    assert sdk_accepts(delivery.body, delivery.headers["x-razorpay-signature"], secret("razorpay"))
    assert delivery.headers["x-razorpay-event-id"] == "evt_Ow9mYy1GSNgr2N"
    verified = verify(source("razorpay"), delivery)
    assert (verified.sender_id, verified.event_type) == ("evt_Ow9mYy1GSNgr2N", "payment.captured")


def test_the_sdk_refuses_what_another_secret_signs() -> None:
    # The oracle can say no: it is checking, not agreeing.
    delivery = deliver("razorpay", signing_secret=secret("razorpay", "other"))
    assert not sdk_accepts(
        delivery.body, delivery.headers["x-razorpay-signature"], secret("razorpay")
    )
    with pytest.raises(razorpay.errors.SignatureVerificationError):
        razorpay.Utility().verify_webhook_signature(
            delivery.body.decode(), delivery.headers["x-razorpay-signature"], secret("razorpay")
        )
