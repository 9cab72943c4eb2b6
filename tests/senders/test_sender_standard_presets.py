"""OpenAI, Replicate, Resend and Clerk sign as Standard Webhooks/Svix do; each is checked with
its sender's own SDK: `openai`'s webhooks.unwrap, `replicate`'s Webhooks.validate, `resend`'s
Webhooks.verify, and for Clerk (whose SDK has no verifier; its docs use Svix's) `svix`'s
Webhook.verify. Svix's Webhook.sign also signs, and the receiver must accept what it signs.
The SDKs read the clock themselves, so these deliveries are signed now."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import resend
from catalogue_b import deliver, secret, source, verify
from openai import OpenAI
from openai._exceptions import InvalidWebhookSignatureError
from replicate.webhook import Webhooks, WebhookSigningSecret
from svix.webhooks import Webhook, WebhookVerificationError

from handler.receive.signatures import SignedRequest


def test_openai_unwraps_what_the_simulator_signs() -> None:
    now = time.time()
    delivery = deliver("openai", now=now, event_type="response.completed")
    client = OpenAI(api_key="sk-test", webhook_secret=secret("openai"))
    event = client.webhooks.unwrap(delivery.body, delivery.headers)
    verified = verify(source("openai"), delivery, now=now)
    assert event.type == verified.event_type == "response.completed"
    assert verified.sender_id == delivery.headers["webhook-id"]


def test_openai_refuses_another_secret() -> None:
    delivery = deliver("openai", now=time.time(), signing_secret=secret("openai", "other"))
    client = OpenAI(api_key="sk-test", webhook_secret=secret("openai"))
    with pytest.raises(InvalidWebhookSignatureError):
        client.webhooks.unwrap(delivery.body, delivery.headers)


def test_replicate_validates_what_the_simulator_signs() -> None:
    now = time.time()
    delivery = deliver("replicate", now=now)
    key = WebhookSigningSecret(key=secret("replicate"))
    Webhooks.validate(
        headers=delivery.headers, body=delivery.body.decode(), secret=key, tolerance=300
    )
    assert verify(source("replicate"), delivery, now=now).event_type == "succeeded"
    other = deliver("replicate", now=now, signing_secret=secret("replicate", "other"))
    with pytest.raises(Exception, match=r"(?i)signature"):
        Webhooks.validate(headers=other.headers, body=other.body.decode(), secret=key)


def resend_verify(body: bytes, headers: dict[str, str], key: str) -> object:
    return resend.Webhooks.verify(
        {
            "payload": body.decode(),
            "headers": {
                "id": headers["svix-id"],
                "timestamp": headers["svix-timestamp"],
                "signature": headers["svix-signature"],
            },
            "webhook_secret": key,
        }
    )


def test_resend_verifies_what_the_simulator_signs() -> None:
    now = time.time()
    delivery = deliver("resend", now=now)
    event = resend_verify(delivery.body, delivery.headers, secret("resend"))
    assert isinstance(event, dict) and event["type"] == "email.delivered"
    assert verify(source("resend"), delivery, now=now).sender_id == delivery.headers["svix-id"]
    other = deliver("resend", now=now, signing_secret=secret("resend", "other"))
    with pytest.raises(ValueError):
        resend_verify(other.body, other.headers, secret("resend"))


def test_svix_verifies_clerks_deliveries_and_signs_ones_the_receiver_accepts() -> None:
    now = time.time()
    delivery = deliver("clerk", now=now)
    Webhook(secret("clerk")).verify(delivery.body, delivery.headers)  # raises when it refuses
    with pytest.raises(WebhookVerificationError):
        Webhook(secret("clerk", "other")).verify(delivery.body, delivery.headers)
    # The other way round: Svix signs, the receiver verifies.
    at = datetime.fromtimestamp(int(now), UTC)
    signature = Webhook(secret("clerk")).sign(
        "msg_2ZKX6oWUN9wP7lbgF5kQ", at, delivery.body.decode()
    )
    headers = {
        "svix-id": "msg_2ZKX6oWUN9wP7lbgF5kQ",
        "svix-timestamp": str(int(now)),
        "svix-signature": signature,
        "content-type": "application/json",
    }
    request = SignedRequest("POST", delivery.url, headers, delivery.body)
    verified = verify(source("clerk"), request, now=now)
    assert (verified.sender_id, verified.event_type) == ("msg_2ZKX6oWUN9wP7lbgF5kQ", "user.created")
