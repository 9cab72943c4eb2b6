"""Box, with the `box-sdk-gen` SDK both ways: WebhooksManager.validate_message must accept what
the simulator signs, and the receiver must accept headers the SDK's compute_webhook_signature
makes with the app's two keys. The SDK reads the clock, so these deliveries are signed now."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from box_sdk_gen import WebhooksManager
from box_sdk_gen.internal.utils import compute_webhook_signature
from catalogue_b import BASE_URL

from handler.receive.signatures import SignatureError, SignedRequest, Verified
from handler.receive.sources import Source
from webhook_sim.senders import configured_source, simulate

PRIMARY, SECONDARY = "SamplePrimaryKey4b1d0c9e7f2a6b3c", "SampleSecondaryKey8e2f5a1d9c3b7e40"


def box_source(*keys: str) -> Source:
    return configured_source(
        "box", {"scheme": "box", "secrets": list(keys or [PRIMARY, SECONDARY])}
    )


def receive(request: SignedRequest, now: float, *keys: str) -> Verified:
    source = box_source(*keys)
    return source.scheme.verify(request, source.secrets, source.options, now)


def test_the_sdk_validates_what_the_simulator_signs() -> None:
    now = time.time()
    delivery = simulate(box_source(), base_url=BASE_URL, now=now)
    body = delivery.body.decode()
    assert WebhooksManager.validate_message(body, delivery.headers, PRIMARY)
    assert not WebhooksManager.validate_message(body, delivery.headers, SECONDARY)
    request = SignedRequest("POST", delivery.url, delivery.headers, delivery.body)
    verified = receive(request, now)
    assert verified.event_type == "FILE.UPLOADED"
    assert verified.sender_id == delivery.headers["box-delivery-id"]


def box_headers(body: str, at: float, primary: str, secondary: str) -> dict[str, str]:
    headers = {
        "box-delivery-id": "f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f",
        "box-delivery-timestamp": datetime.fromtimestamp(int(at), UTC).isoformat(),
        "box-signature-algorithm": "HmacSHA256",
        "box-signature-version": "1",
        "content-type": "application/json",
    }
    headers["box-signature-primary"] = compute_webhook_signature(body, headers, primary) or ""
    headers["box-signature-secondary"] = compute_webhook_signature(body, headers, secondary) or ""
    return headers


def test_either_key_verifies_what_box_signs_with_both() -> None:
    now = time.time()
    body = simulate(box_source(), base_url=BASE_URL, now=now).body
    headers = box_headers(body.decode(), now, PRIMARY, SECONDARY)
    request = SignedRequest("POST", f"{BASE_URL}/webhooks/box", headers, body)
    # A rotation: the receiver knows only the secondary key, or only the primary one.
    for keys in ((SECONDARY,), (PRIMARY,), (PRIMARY, SECONDARY)):
        assert receive(request, now, *keys).sender_id == headers["box-delivery-id"]
    with pytest.raises(SignatureError) as refused:
        receive(request, now, "an-unrelated-key")
    assert refused.value.reason == "bad_signature"


def test_a_delivery_older_than_ten_minutes_is_refused_by_both() -> None:
    now = time.time()
    body = simulate(box_source(), base_url=BASE_URL, now=now).body
    headers = box_headers(body.decode(), now - 700, PRIMARY, SECONDARY)
    assert not WebhooksManager.validate_message(body.decode(), headers, PRIMARY)
    request = SignedRequest("POST", f"{BASE_URL}/webhooks/box", headers, body)
    with pytest.raises(SignatureError) as refused:
        receive(request, now)
    assert refused.value.reason == "stale_timestamp"
