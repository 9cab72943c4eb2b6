"""LiveKit, with the `livekit-api` SDK both ways: its WebhookReceiver (TokenVerifier) must accept
what the simulator signs, and the receiver must accept a token the SDK's AccessToken signs with
the body's sha256 (as LiveKit's server does). The SDK reads the clock, so these are signed now."""

from __future__ import annotations

import base64
import datetime
import hashlib
import time

import pytest
from catalogue_b import BASE_URL
from livekit.api import AccessToken, TokenVerifier, WebhookReceiver

from handler.receive.signatures import SignatureError, SignedRequest, Verified
from handler.receive.sources import Source
from webhook_sim.senders import configured_source, simulate

KEY, SECRET = "APIdemoLiveKit01", "demo-livekit-secret-4c6f2e8a9b1d3f5a7c9e0b2d4f6a8c0e"


def livekit_source(*secrets: str) -> Source:
    return configured_source(
        "livekit", {"scheme": "livekit", "secrets": list(secrets or [f"{KEY}:{SECRET}"])}
    )


def receive(request: SignedRequest, now: float, *secrets: str) -> Verified:
    source = livekit_source(*secrets)
    return source.scheme.verify(request, source.secrets, source.options, now)


def test_the_sdks_receiver_accepts_what_the_simulator_signs() -> None:
    now = time.time()
    delivery = simulate(livekit_source(), base_url=BASE_URL, now=now)
    assert delivery.headers["content-type"] == "application/webhook+json"
    event = WebhookReceiver(TokenVerifier(KEY, SECRET)).receive(
        delivery.body.decode(), delivery.headers["authorization"]
    )
    request = SignedRequest("POST", delivery.url, delivery.headers, delivery.body)
    verified = receive(request, now)
    assert event.event == verified.event_type == "participant_joined"
    assert event.id == verified.sender_id == delivery.delivery_id
    assert event.participant.name == "Zoë Ångström"


def test_the_sdks_receiver_refuses_another_secret() -> None:
    delivery = simulate(livekit_source(f"{KEY}:another-secret"), base_url=BASE_URL)
    with pytest.raises(Exception, match=r"(?i)signature"):
        WebhookReceiver(TokenVerifier(KEY, SECRET)).receive(
            delivery.body.decode(), delivery.headers["authorization"]
        )


def sdk_token(body: bytes, key: str = KEY, secret: str = SECRET, ttl: int = 300) -> str:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = AccessToken(key, secret).with_sha256(digest)
    return token.with_ttl(datetime.timedelta(seconds=ttl)).to_jwt()


def test_the_receiver_accepts_what_the_sdk_signs_and_checks_the_body_hash() -> None:
    body = simulate(livekit_source(), base_url=BASE_URL).body
    headers = {"content-type": "application/webhook+json", "authorization": sdk_token(body)}
    url = f"{BASE_URL}/webhooks/livekit"
    verified = receive(SignedRequest("POST", url, headers, body), time.time())
    assert verified.event_type == "participant_joined"
    with pytest.raises(SignatureError) as refused:
        receive(SignedRequest("POST", url, headers, body + b" "), time.time())
    assert refused.value.reason == "bad_body_hash"


def test_a_rotation_is_two_key_pairs_and_the_issuer_must_match() -> None:
    body = simulate(livekit_source(), base_url=BASE_URL).body
    url = f"{BASE_URL}/webhooks/livekit"
    new_pair = ("APInewKey0002", "demo-livekit-new-secret-7d1e5b9c3a2f4e6d8b0c")
    headers = {
        "authorization": sdk_token(body, *new_pair),
        "content-type": "application/webhook+json",
    }
    request = SignedRequest("POST", url, headers, body)
    verified = receive(request, time.time(), f"{KEY}:{SECRET}", ":".join(new_pair))
    assert verified.event_type == "participant_joined"
    # The right secret under another key name is not that key's token.
    with pytest.raises(SignatureError):
        receive(request, time.time(), f"{KEY}:{new_pair[1]}")


def test_an_expired_token_is_stale() -> None:
    now = time.time()
    delivery = simulate(livekit_source(), base_url=BASE_URL, now=now - 3600)
    request = SignedRequest("POST", delivery.url, delivery.headers, delivery.body)
    with pytest.raises(SignatureError) as refused:
        receive(request, now)
    assert refused.value.reason == "stale_timestamp"
