"""Shopify, GitLab and the generic HMAC-SHA256: schemes whose id and type travel in headers.

No official SDK signs these, so the oracle is the standard library computing the documented
algorithm from scratch (hmac + hashlib + base64), independent of handler.receive.signatures.base.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from pydantic import ValidationError

from handler.receive.signatures import (
    SchemeOptions,
    SignatureError,
    SignedRequest,
    gitlab,
    hmac_sha256,
    shopify,
)
from handler.receive.signatures.base import SigningInput, Verified
from handler.receive.signatures.hmac_sha256 import HmacOptions

NOW = 1_700_000_000
SECRET = "hush-hush"
URL = "https://hooks.example.com/in"
BODY = b'{"id": 820982911946154508, "email": "jon@example.com"}'
OPTIONS = SchemeOptions()


def reference_hmac(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def refused(scheme_verify: object, request: SignedRequest, reason: str, options: object) -> None:
    with pytest.raises(SignatureError) as raised:
        scheme_verify(request, [SECRET], options, NOW)  # type: ignore[operator]
    assert raised.value.reason == reason
    assert SECRET not in raised.value.detail


# Shopify


def shopify_request(**headers: str) -> SignedRequest:
    signature = base64.b64encode(reference_hmac(SECRET, BODY)).decode()
    return SignedRequest("POST", URL, {"x-shopify-hmac-sha256": signature, **headers}, BODY)


def test_shopify_reference_signature_verifies_with_its_ids() -> None:
    request = shopify_request(
        **{
            "x-shopify-topic": "orders/create",
            "x-shopify-webhook-id": "wh-1",
            "x-shopify-event-id": "ev-1",
        }
    )
    assert shopify.verify(request, [SECRET], OPTIONS, NOW) == Verified("orders/create", "wh-1")


def test_shopify_falls_back_to_the_event_id_then_to_hashing() -> None:
    request = shopify_request(**{"x-shopify-topic": "orders/paid", "x-shopify-event-id": "ev-1"})
    assert shopify.verify(request, [SECRET], OPTIONS, NOW) == Verified("orders/paid", "ev-1")
    assert shopify.verify(shopify_request(), [SECRET], OPTIONS, NOW) == Verified("unknown", None)


def test_shopify_sign_matches_the_reference_and_sends_the_delivery_headers() -> None:
    headers = shopify.sign(SigningInput(BODY, SECRET, URL, NOW, "orders/create", "wh-9"), OPTIONS)
    assert headers == {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-webhook-id": "wh-9",
        "x-shopify-triggered-at": "2023-11-14T22:13:20Z",
        "x-shopify-hmac-sha256": base64.b64encode(reference_hmac(SECRET, BODY)).decode(),
    }


def test_shopify_refuses_hex_where_base64_is_expected() -> None:
    hex_signature = reference_hmac(SECRET, BODY).hex()
    request = SignedRequest("POST", URL, {"x-shopify-hmac-sha256": hex_signature}, BODY)
    refused(shopify.verify, request, "bad_signature", OPTIONS)


# GitLab


def gitlab_request(token: str = SECRET, **headers: str) -> SignedRequest:
    return SignedRequest("POST", URL, {"x-gitlab-token": token, **headers}, BODY)


def test_gitlab_prefers_the_idempotency_key() -> None:
    request = gitlab_request(
        **{
            "x-gitlab-event": "Push Hook",
            "x-gitlab-event-uuid": "uuid-1",
            "idempotency-key": "idem-1",
        }
    )
    assert gitlab.verify(request, [SECRET], OPTIONS, NOW) == Verified("Push Hook", "idem-1")
    older = gitlab_request(**{"x-gitlab-event": "Push Hook", "x-gitlab-event-uuid": "uuid-1"})
    assert gitlab.verify(older, [SECRET], OPTIONS, NOW) == Verified("Push Hook", "uuid-1")


@pytest.mark.parametrize("token", [SECRET + " ", SECRET[:-1], SECRET.upper(), "x" * 1000])
def test_gitlab_token_must_equal_exactly(token: str) -> None:
    refused(gitlab.verify, gitlab_request(token), "bad_signature", OPTIONS)


def test_gitlab_sign_sends_the_token_and_the_ids() -> None:
    headers = gitlab.sign(SigningInput(BODY, SECRET, URL, NOW, "Push Hook", "d-1"), OPTIONS)
    assert headers == {
        "content-type": "application/json",
        "x-gitlab-event": "Push Hook",
        "x-gitlab-event-uuid": "d-1",
        "idempotency-key": "d-1",
        "x-gitlab-token": SECRET,
    }


# Generic HMAC-SHA256


def test_hmac_defaults_hex_body_only() -> None:
    options = HmacOptions()
    signature = reference_hmac(SECRET, BODY).hex()
    request = SignedRequest("POST", URL, {"x-signature": signature}, BODY)
    assert hmac_sha256.verify(request, [SECRET], options, NOW) == Verified("webhook", None)
    upper = SignedRequest("POST", URL, {"x-signature": signature.upper()}, BODY)
    assert hmac_sha256.verify(upper, [SECRET], options, NOW) == Verified("webhook", None)
    assert hmac_sha256.sign(SigningInput(BODY, SECRET, URL, NOW, "e", "d"), options) == {
        "content-type": "application/json",
        "x-signature": signature,
    }


def test_hmac_base64_with_prefix_ids_and_timestamp() -> None:
    options = HmacOptions(
        header="X-Hook-Signature",
        encoding="base64",
        prefix="sha256=",
        id_header="X-Hook-Id",
        event_header="X-Hook-Event",
        timestamp_header="X-Hook-Timestamp",
    )
    expected = (
        "sha256=" + base64.b64encode(reference_hmac(SECRET, f"{NOW}.".encode() + BODY)).decode()
    )
    headers = hmac_sha256.sign(SigningInput(BODY, SECRET, URL, NOW, "order.paid", "h-1"), options)
    assert headers == {
        "content-type": "application/json",
        "x-hook-timestamp": str(NOW),
        "x-hook-signature": expected,
        "x-hook-id": "h-1",
        "x-hook-event": "order.paid",
    }
    request = SignedRequest("POST", URL, headers, BODY)
    assert hmac_sha256.verify(request, [SECRET], options, NOW) == Verified("order.paid", "h-1")
    # Hex digits are base64 too: a hex signature decodes, then fails to match.
    for signature, reason in [
        ("sha256=" + reference_hmac(SECRET, BODY).hex(), "bad_signature"),
        ("sha256=" + expected.removeprefix("sha256=")[:-2], "malformed_signature"),
        (expected.removeprefix("sha256="), "malformed_signature"),
        ("sha256=***", "malformed_signature"),
    ]:
        changed = {**headers, "x-hook-signature": signature}
        refused(hmac_sha256.verify, SignedRequest("POST", URL, changed, BODY), reason, options)
    for timestamp, reason in [(str(NOW - 301), "stale_timestamp"), ("x", "malformed_timestamp")]:
        changed = {**headers, "x-hook-timestamp": timestamp}
        refused(hmac_sha256.verify, SignedRequest("POST", URL, changed, BODY), reason, options)


def test_hmac_without_the_optional_headers_falls_back() -> None:
    options = HmacOptions(id_header="X-Id", event_header="X-Event")
    request = SignedRequest("POST", URL, {"x-signature": reference_hmac(SECRET, BODY).hex()}, BODY)
    assert hmac_sha256.verify(request, [SECRET], options, NOW) == Verified("webhook", None)


@pytest.mark.parametrize(
    "fields",
    [
        {"header": ""},
        {"header": "X Signature"},
        {"id_header": "X-Id:"},
        {"encoding": "base32"},
        {"tolerance_seconds": 0},
        {"unknown": 1},
    ],
)
def test_hmac_options_refuse_bad_configuration(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HmacOptions.model_validate(fields)
