"""The catalogue's senders that publish a Python SDK with a verification helper: the SDK (written
by the sender, independent of ours) accepts what our simulator signs for that sender, and our
verifier accepts what the SDK's rule produces, with the sample bodies (non-ASCII, full size)."""

from __future__ import annotations

import time
import tomllib
from typing import Any

import pytest
from hubspot.utils.signature import Signature
from mailgun.security import SecurityGuard
from paddle_billing.Notifications import Secret, Verifier
from sendgrid.helpers.eventwebhook import EventWebhook
from square.utils.webhooks_helper import verify_signature as square_verify

from handler.receive.signatures import SignatureError, SignedRequest
from handler.receive.sources import Source
from infra import SENDERS_SAMPLE
from webhook_sim.senders import SignedDelivery, configured_source, simulate

with SENDERS_SAMPLE.open("rb") as handle:
    SAMPLE: dict[str, dict[str, Any]] = tomllib.load(handle)["sources"]

# The receiver's own view of the URL (API Gateway, a proxy): not what the sender signed.
INTERNAL = "http://10.0.3.7:3000"


def source(name: str, **changes: Any) -> Source:
    return configured_source(name, {**SAMPLE[name], **changes})


def request(delivery: SignedDelivery, **headers: str) -> SignedRequest:
    return SignedRequest("POST", delivery.url, {**delivery.headers, **headers}, delivery.body)


def verify(configured: Source, signed: SignedRequest, now: float | None = None) -> Any:
    when = time.time() if now is None else now
    return configured.scheme.verify(signed, configured.secrets, configured.options, when)


# Square: squareup's WebhooksHelper (square.utils.webhooks_helper.verify_signature).
def test_square_sdk_accepts_what_we_sign_for_the_configured_notification_url() -> None:
    square = source("square")
    sent = simulate(square, base_url=INTERNAL, event_type="payment.updated")
    url = SAMPLE["square"]["public_url"]
    key = square.secrets[0]
    body = sent.body.decode()
    header = sent.headers["x-square-hmacsha256-signature"]
    assert square_verify(
        request_body=body, signature_header=header, signature_key=key, notification_url=url
    )
    # The SDK refuses what Square would not have signed: another URL, another body.
    assert not square_verify(
        request_body=body, signature_header=header, signature_key=key, notification_url=INTERNAL
    )
    assert not square_verify(
        request_body=body + " ", signature_header=header, signature_key=key, notification_url=url
    )
    verified = verify(square, request(sent))
    assert (verified.event_type, verified.sender_id) == ("payment.updated", sent.delivery_id)


def test_square_without_public_url_verifies_the_url_as_received() -> None:
    square = source("square", public_url=None)
    sent = simulate(square, base_url="https://hooks.example.com")
    assert square_verify(
        request_body=sent.body.decode(),
        signature_header=sent.headers["x-square-hmacsha256-signature"],
        signature_key=square.secrets[0],
        notification_url=sent.url,
    )
    assert verify(square, request(sent)).sender_id == sent.delivery_id


# Paddle Billing: paddle-python-sdk's Notifications.Verifier.
class PaddleRequest:
    def __init__(self, delivery: SignedDelivery, header: str | None = None) -> None:
        self.headers = {"Paddle-Signature": header or delivery.headers["paddle-signature"]}
        self.body = delivery.body


def test_paddle_sdk_accepts_what_we_sign_and_we_accept_its_rotation_header() -> None:
    paddle = source("paddle")
    sent = simulate(paddle, base_url=INTERNAL)
    assert Verifier().verify(PaddleRequest(sent), Secret(paddle.secrets[0]))
    # While a secret rotates Paddle sends one h1 per secret; the SDK takes the list, so do we.
    timestamp, signature = sent.headers["paddle-signature"].split(";")
    other = simulate(source("paddle", secrets=["pdl_ntfset_old_secret"]), base_url=INTERNAL)
    stale_h1 = other.headers["paddle-signature"].split(";")[1]
    rotating = f"{timestamp};{stale_h1};{signature}"
    assert Verifier().verify(
        PaddleRequest(sent, rotating), [Secret("x"), Secret(paddle.secrets[0])]
    )
    verified = verify(paddle, request(sent, **{"paddle-signature": rotating}))
    assert (verified.event_type, verified.sender_id) == ("transaction.completed", sent.delivery_id)


def test_paddle_refuses_after_its_sdks_five_seconds() -> None:
    paddle = source("paddle")
    sent = simulate(paddle, base_url=INTERNAL, now=time.time() - 30)
    assert not Verifier().verify(PaddleRequest(sent), Secret(paddle.secrets[0]))
    with pytest.raises(SignatureError) as refused:
        verify(paddle, request(sent))
    assert refused.value.reason == "stale_timestamp"


# HubSpot: hubspot-api-client's Signature (v3).
def test_hubspot_sdk_accepts_what_we_sign_and_we_accept_what_it_computes() -> None:
    hubspot = source("hubspot")
    uri = SAMPLE["hubspot"]["public_url"]
    sent = simulate(hubspot, base_url=INTERNAL)
    headers = sent.headers
    assert Signature.is_valid(
        signature=headers["x-hubspot-signature-v3"],
        client_secret=hubspot.secrets[0],
        request_body=sent.body.decode(),
        http_uri=uri,
        http_method="POST",
        signature_version="v3",
        timestamp=headers["x-hubspot-request-timestamp"],
    )
    timestamp = str(int(time.time() * 1000))
    computed = Signature.get_signature(
        hubspot.secrets[0], sent.body.decode(), "v3", uri, "POST", timestamp
    )
    theirs = request(
        sent, **{"x-hubspot-signature-v3": computed, "x-hubspot-request-timestamp": timestamp}
    )
    assert verify(hubspot, theirs).event_type == "contact.propertyChange"
    # v3 signs the method: the same signature on a PUT is refused.
    with pytest.raises(SignatureError):
        verify(hubspot, SignedRequest("PUT", sent.url, theirs.headers, sent.body))


# SendGrid: sendgrid's EventWebhook, and the vector SendGrid's own tests publish.
def test_sendgrid_sdk_accepts_what_we_sign() -> None:
    sendgrid = source("sendgrid")
    sent = simulate(sendgrid, base_url=INTERNAL)
    webhook = EventWebhook()
    key = webhook.convert_public_key_to_ecdsa(sendgrid.secrets[0])
    signature = sent.headers["x-twilio-email-event-webhook-signature"]
    timestamp = sent.headers["x-twilio-email-event-webhook-timestamp"]
    assert webhook.verify_signature(sent.body.decode(), signature, timestamp, key)
    assert not webhook.verify_signature(sent.body.decode() + " ", signature, timestamp, key)
    assert verify(sendgrid, request(sent)).event_type == "delivered"


# sendgrid-python's test/unit/test_eventwebhook.py (and SendGrid's docs) use this signed vector.
SENDGRID_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+"
    "2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SENDGRID_SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM"
    "="
)
SENDGRID_TIMESTAMP = "1600112502"
SENDGRID_PAYLOAD = (
    b'[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":'
    b'"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":'
    b'"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":'
    b'"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n'
)


def test_sendgrids_published_vector_verifies_and_is_refused_when_stale() -> None:
    sendgrid = source("sendgrid", secrets=[SENDGRID_KEY])
    webhook = EventWebhook()
    key = webhook.convert_public_key_to_ecdsa(SENDGRID_KEY)
    assert webhook.verify_signature(
        SENDGRID_PAYLOAD.decode(), SENDGRID_SIGNATURE, SENDGRID_TIMESTAMP, key
    )
    headers = {
        "content-type": "application/json",
        "x-twilio-email-event-webhook-signature": SENDGRID_SIGNATURE,
        "x-twilio-email-event-webhook-timestamp": SENDGRID_TIMESTAMP,
    }
    signed = SignedRequest("POST", INTERNAL, headers, SENDGRID_PAYLOAD)
    assert verify(sendgrid, signed, now=1600112502.0).event_type == "dropped"
    with pytest.raises(SignatureError) as refused:
        verify(sendgrid, signed)  # today: years after it was signed
    assert refused.value.reason == "stale_timestamp"


# Mailgun: the mailgun SDK's SecurityGuard.verify_webhook (timestamp + token, 15 min).
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_mailgun_sdk_accepts_the_signature_we_put_in_the_body(encoding: Any) -> None:
    import json
    from urllib.parse import parse_qs

    mailgun = source("mailgun")
    sent = simulate(mailgun, base_url=INTERNAL, encoding=encoding)
    if encoding == "json":
        block = json.loads(sent.body)["signature"]
    else:
        block = {k: v[0] for k, v in parse_qs(sent.body.decode()).items()}
    assert SecurityGuard.verify_webhook(
        mailgun.secrets[0], block["token"], block["timestamp"], block["signature"]
    )
    assert not SecurityGuard.verify_webhook(
        "another-key", block["token"], block["timestamp"], block["signature"]
    )
    verified = verify(mailgun, request(sent))
    assert (verified.event_type, verified.sender_id) == ("delivered", sent.delivery_id)
