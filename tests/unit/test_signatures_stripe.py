"""Stripe, with the stripe SDK as the independent oracle in both directions."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from handler.receive.signatures import PayloadError, SchemeOptions, SignatureError, SignedRequest
from handler.receive.signatures import stripe as scheme
from handler.receive.signatures.base import SigningInput, Verified

NOW = 1_700_000_000
SECRET = "whsec_test_primary"
OTHER = "whsec_test_rolled"
BODY = json.dumps({"id": "evt_123", "object": "event", "type": "invoice.paid"}).encode()
URL = "https://hooks.example.com/stripe"
OPTIONS = SchemeOptions()
# The SDK compares t with the real clock; NOW is fixed in the past, so widen its window.
SDK_TOLERANCE = 10**10


def request(header: str, body: bytes = BODY) -> SignedRequest:
    return SignedRequest("POST", URL, {"stripe-signature": header}, body)


def verify(header: str, secrets: list[str] | None = None, body: bytes = BODY) -> Verified:
    return scheme.verify(request(header, body), secrets or [SECRET], OPTIONS, NOW)


def refused(header: str, reason: str, secrets: list[str] | None = None) -> None:
    with pytest.raises(SignatureError) as raised:
        verify(header, secrets)
    assert raised.value.reason == reason
    assert SECRET not in raised.value.detail


def sdk_v1(secret: str, timestamp: int = NOW, body: bytes = BODY) -> str:
    return stripe.WebhookSignature._compute_signature(f"{timestamp}.{body.decode()}", secret)


def test_the_sdk_verifies_what_we_sign() -> None:
    message = SigningInput(BODY, SECRET, URL, NOW, "invoice.paid", "evt_123")
    header = scheme.sign(message, OPTIONS)["stripe-signature"]
    event = stripe.Webhook.construct_event(BODY, header, SECRET, tolerance=SDK_TOLERANCE)
    assert event.id == "evt_123"
    assert event.type == "invoice.paid"


def test_the_sdk_verifies_what_we_sign_now_against_its_own_clock() -> None:
    message = SigningInput(BODY, SECRET, URL, time.time(), "invoice.paid", "evt_123")
    header = scheme.sign(message, OPTIONS)["stripe-signature"]
    assert stripe.WebhookSignature.verify_header(BODY, header, SECRET, tolerance=300)


def test_we_verify_the_header_the_sdk_generates() -> None:
    header = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET, timestamp=NOW)
    assert verify(header) == Verified("invoice.paid", "evt_123")


def test_we_verify_a_signature_computed_by_the_sdk() -> None:
    assert verify(f"t={NOW},v1={sdk_v1(SECRET)}") == Verified("invoice.paid", "evt_123")


def test_every_v1_is_tried_and_other_schemes_are_ignored() -> None:
    # While a secret is rolled Stripe lists one v1 per secret; v0 is a test-mode scheme.
    header = f"t={NOW},v1={sdk_v1(OTHER)},v0={sdk_v1(SECRET)},v1={sdk_v1(SECRET)},x=1"
    assert verify(header, [SECRET]).sender_id == "evt_123"
    assert verify(header, [OTHER]).sender_id == "evt_123"
    assert stripe.WebhookSignature.verify_header(BODY, header, SECRET, tolerance=SDK_TOLERANCE)
    assert stripe.WebhookSignature.verify_header(BODY, header, OTHER, tolerance=SDK_TOLERANCE)


def test_a_v0_alone_is_not_a_signature() -> None:
    refused(f"t={NOW},v0={sdk_v1(SECRET)}", "malformed_signature")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY, f"t={NOW},v0={sdk_v1(SECRET)}", SECRET)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (f"v1={sdk_v1(SECRET)}", "missing_timestamp"),
        (f"t=,v1={sdk_v1(SECRET)}", "missing_timestamp"),
        (f"t=yesterday,v1={sdk_v1(SECRET)}", "malformed_timestamp"),
        (f"t={NOW - 301},v1={sdk_v1(SECRET, NOW - 301)}", "stale_timestamp"),
        (f"t={NOW + 301},v1={sdk_v1(SECRET, NOW + 301)}", "stale_timestamp"),
        (f"t={NOW},v1=", "malformed_signature"),
        ("garbage", "malformed_signature"),
        (f"t={NOW},v1={sdk_v1(SECRET).upper()}", "bad_signature"),
        (f"t={NOW + 1},v1={sdk_v1(SECRET)}", "bad_signature"),
        (f"t={NOW},v1={sdk_v1(OTHER)}", "bad_signature"),
    ],
)
def test_refusals(header: str, reason: str) -> None:
    refused(header, reason)


def test_the_future_is_refused_although_the_sdk_only_refuses_the_past() -> None:
    header = f"t={NOW + 301},v1={sdk_v1(SECRET, NOW + 301)}"
    refused(header, "stale_timestamp")


def test_the_first_t_counts() -> None:
    header = f"t={NOW},t={NOW + 5},v1={sdk_v1(SECRET)}"
    assert verify(header).event_type == "invoice.paid"


def test_an_event_without_id_or_type_still_verifies() -> None:
    body = b'{"object": "event"}'
    header = f"t={NOW},v1={sdk_v1(SECRET, body=body)}"
    assert verify(header, body=body) == Verified("unknown", None)


def test_a_signed_body_that_is_not_an_object_is_422() -> None:
    body = b'"just a string"'
    header = f"t={NOW},v1={sdk_v1(SECRET, body=body)}"
    with pytest.raises(PayloadError) as raised:
        verify(header, body=body)
    assert (raised.value.status, raised.value.reason) == (422, "invalid_json")
