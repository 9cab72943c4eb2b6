"""Senders without a Python SDK that verifies: each sender's documented rule, written out here
again with hashlib/hmac straight from the cited page (independent of the Recipe machinery), signs
the sample body; our verifier must accept it and read the id and type the sender documents.
Handshakes are answered as each sender's page says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from handler.receive.signatures import HandshakeRefused, SignatureError, SignedRequest, Verified
from handler.receive.sources import Source
from infra import SENDERS_SAMPLE
from webhook_sim.samples import sample
from webhook_sim.senders import configured_source

with SENDERS_SAMPLE.open("rb") as handle:
    SAMPLE: dict[str, dict[str, Any]] = tomllib.load(handle)["sources"]

NOW = 1_765_000_000.0
URL = "https://hooks.example.com/webhooks/"


def source(name: str, **changes: Any) -> Source:
    return configured_source(name, {**SAMPLE[name], **changes})


def hex_hmac(key: str, message: bytes, digest: Any = hashlib.sha256) -> str:
    return hmac.new(key.encode(), message, digest).hexdigest()


def b64_hmac(key: str, message: bytes, digest: Any = hashlib.sha256) -> str:
    return base64.b64encode(hmac.new(key.encode(), message, digest).digest()).decode()


def body_of(name: str, event: str | None = None, delivery_id: str = "id-1") -> bytes:
    return sample(SAMPLE[name]["scheme"], event, delivery_id=delivery_id, now=NOW).body


def check(
    name: str, headers: dict[str, str], body: bytes, method: str = "POST", url: str | None = None
) -> Verified:
    configured = source(name)
    signed = SignedRequest(method, url or URL + name, headers, body)
    return configured.scheme.verify(signed, configured.secrets, configured.options, NOW)


def secret(name: str) -> str:
    return str(SAMPLE[name]["secrets"][0])


# https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
def test_zoom_v0_timestamp_body() -> None:
    body, ts = body_of("zoom", "meeting.started"), str(int(NOW))
    signature = "v0=" + hex_hmac(secret("zoom"), f"v0:{ts}:".encode() + body)
    headers = {"x-zm-signature": signature, "x-zm-request-timestamp": ts, "x-zm-trackingid": "t1"}
    verified = check("zoom", headers, body)
    assert (verified.event_type, verified.sender_id) == ("meeting.started", "t1")


# https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint
def test_zoom_url_validation_answers_the_encrypted_token() -> None:
    body = json.dumps(
        {
            "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
            "event_ts": 1654503849680,
            "event": "endpoint.url_validation",
        }
    ).encode()
    ts = str(int(NOW))
    signature = "v0=" + hex_hmac(secret("zoom"), f"v0:{ts}:".encode() + body)
    verified = check("zoom", {"x-zm-signature": signature, "x-zm-request-timestamp": ts}, body)
    assert verified.reply is not None and verified.reply.status == 200
    assert verified.reply.body == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": hex_hmac(secret("zoom"), b"qgg8vlvZRS6UYooatFL8Aw"),
    }
    with pytest.raises(SignatureError):  # an unsigned validation is not answered
        check("zoom", {"x-zm-request-timestamp": ts}, body)


# https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
def test_meta_subscribe_get_echoes_the_challenge_for_the_right_token_only() -> None:
    meta = source("meta")
    assert meta.scheme.handshake is not None
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
    good = SignedRequest("GET", URL + "meta?" + query + "demo-meta-verify-token", {}, b"")
    reply = meta.scheme.handshake(good, meta.secrets, meta.options, NOW)
    assert reply is not None and (reply.status, reply.body) == (200, "1158201444")
    bad = SignedRequest("GET", URL + "meta?" + query + "guess", {}, b"")
    with pytest.raises(HandshakeRefused) as refused:
        meta.scheme.handshake(bad, meta.secrets, meta.options, NOW)
    assert refused.value.status == 403
    plain = SignedRequest("GET", URL + "meta", {}, b"")
    assert meta.scheme.handshake(plain, meta.secrets, meta.options, NOW) is None
    # The token never reaches a repr (it is a secret reference like `secrets`).
    assert "demo-meta-verify-token" not in repr(meta)


# https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message
def twitch_headers(
    body: bytes, kind: str, message_id: str = "e76c6bd4-55c9-4987-8304-da1588d8988b"
):
    ts = "2025-12-06T05:46:40.123456789Z"  # NOW, with Twitch's nanoseconds
    signature = "sha256=" + hex_hmac(secret("twitch"), message_id.encode() + ts.encode() + body)
    return {
        "twitch-eventsub-message-id": message_id,
        "twitch-eventsub-message-timestamp": ts,
        "twitch-eventsub-message-signature": signature,
        "twitch-eventsub-message-type": kind,
        "twitch-eventsub-subscription-type": "channel.follow",
    }


def test_twitch_id_timestamp_body_with_nanoseconds() -> None:
    body = body_of("twitch", "channel.follow")
    verified = check("twitch", twitch_headers(body, "notification"), body)
    assert verified.event_type == "channel.follow"
    assert verified.sender_id == "e76c6bd4-55c9-4987-8304-da1588d8988b"


def test_twitch_callback_verification_answers_the_challenge_as_text() -> None:
    body = body_of("twitch", "webhook_callback_verification")
    verified = check("twitch", twitch_headers(body, "webhook_callback_verification"), body)
    assert verified.reply is not None
    assert (verified.reply.status, verified.reply.media_type) == (200, "text/plain")
    assert verified.reply.body == json.loads(body)["challenge"]


def test_twitch_refuses_a_message_older_than_ten_minutes() -> None:
    body = body_of("twitch")
    headers = twitch_headers(body, "notification")
    configured = source("twitch")
    signed = SignedRequest("POST", URL + "twitch", headers, body)
    configured.scheme.verify(signed, configured.secrets, configured.options, NOW + 590)
    with pytest.raises(SignatureError) as refused:
        configured.scheme.verify(signed, configured.secrets, configured.options, NOW + 610)
    assert refused.value.reason == "stale_timestamp"


# https://www.dropbox.com/developers/reference/webhooks#notifications
def test_dropbox_signature_and_challenge() -> None:
    body = body_of("dropbox")
    verified = check("dropbox", {"x-dropbox-signature": hex_hmac(secret("dropbox"), body)}, body)
    assert verified.event_type == "list_folder"
    dropbox = source("dropbox")
    assert dropbox.scheme.handshake is not None
    get = SignedRequest("GET", URL + "dropbox?challenge=a1b2c3%20x", {}, b"")
    reply = dropbox.scheme.handshake(get, dropbox.secrets, dropbox.options, NOW)
    assert reply is not None and (reply.body, reply.media_type) == ("a1b2c3 x", "text/plain")
    assert reply.headers == {"X-Content-Type-Options": "nosniff"}


# https://developers.asana.com/docs/webhooks-guide#security
def test_asana_handshake_echo_and_signature() -> None:
    asana = source("asana")
    assert asana.scheme.handshake is not None
    first = SignedRequest("POST", URL + "asana", {"x-hook-secret": "b537207f20cbfa02"}, b"")
    reply = asana.scheme.handshake(first, asana.secrets, asana.options, NOW)
    assert reply is not None and reply.headers == {"X-Hook-Secret": "b537207f20cbfa02"}
    body = body_of("asana")
    verified = check("asana", {"x-hook-signature": hex_hmac(secret("asana"), body)}, body)
    assert verified.event_type == "task.changed"
    heartbeat = b'{"events":[]}'
    signed = {"x-hook-signature": hex_hmac(secret("asana"), heartbeat)}
    assert check("asana", signed, heartbeat).event_type == "heartbeat"


# https://developer.okta.com/docs/concepts/event-hooks/#one-time-verification-request
def test_okta_verification_and_authorization() -> None:
    okta = source("okta")
    auth = {"authorization": secret("okta")}
    challenge = {**auth, "x-okta-verification-challenge": "4z-4RM3KlBZGLBN4JxP7"}
    assert okta.scheme.handshake is not None
    get = SignedRequest("GET", URL + "okta", challenge, b"")
    reply = okta.scheme.handshake(get, okta.secrets, okta.options, NOW)
    assert reply is not None and reply.body == {"verification": "4z-4RM3KlBZGLBN4JxP7"}
    forged = SignedRequest("GET", URL + "okta", {**challenge, "authorization": "Bearer x"}, b"")
    with pytest.raises(HandshakeRefused):
        okta.scheme.handshake(forged, okta.secrets, okta.options, NOW)
    body = body_of("okta", delivery_id="b5a188b9-5ece-4636-b041-482ffda96311")
    verified = check("okta", auth, body)
    assert verified.event_type == "user.session.start"
    assert verified.sender_id == "b5a188b9-5ece-4636-b041-482ffda96311"


# https://linear.app/developers/webhooks#securing-webhooks
def test_linear_signature_and_body_timestamp() -> None:
    body = body_of("linear")
    headers = {
        "linear-signature": hex_hmac(secret("linear"), body),
        "linear-delivery": "234d1a4e-b617-4388-90fe-adc3633d6b72",
        "linear-event": "Issue",
    }
    verified = check("linear", headers, body)
    assert (verified.event_type, verified.sender_id) == (
        "Issue",
        "234d1a4e-b617-4388-90fe-adc3633d6b72",
    )
    configured = source("linear")
    late = SignedRequest("POST", URL + "linear", headers, body)
    with pytest.raises(SignatureError) as refused:  # webhookTimestamp is a minute old
        configured.scheme.verify(late, configured.secrets, configured.options, NOW + 61)
    assert refused.value.reason == "stale_timestamp"


@dataclass(frozen=True)
class Rule:
    """A sender proven by one delivery: the headers its documented rule gives the sample body."""

    sender: str
    headers: Callable[[bytes, str, str], dict[str, str]]  # (body, key, timestamp) -> headers
    expected: tuple[str, str | None]  # the type and id the sender documents (None: no id)
    event: str | None = None
    delivery_id: str = "id-1"


RULES = [
    # https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
    Rule(
        "meta",
        lambda body, key, ts: {"x-hub-signature-256": "sha256=" + hex_hmac(key, body)},
        ("whatsapp_business_account.messages", None),
    ),
    # https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures
    Rule(
        "calendly",
        lambda body, key, ts: {
            "calendly-webhook-signature": f"t={ts},v1={hex_hmac(key, ts.encode() + b'.' + body)}"
        },
        ("invitee.created", None),
    ),
    # https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks
    Rule(
        "bitbucket",
        lambda body, key, ts: {
            "x-hub-signature": "sha256=" + hex_hmac(key, body),
            "x-event-key": "repo:push",
            "x-request-uuid": "4e4e0e7b-4e2a-4c3c-9f83-5a5f3c1d2b10",
        },
        ("repo:push", "4e4e0e7b-4e2a-4c3c-9f83-5a5f3c1d2b10"),
    ),
    # https://docs.sentry.io/integrations/integration-platform/webhooks/#sentry-hook-signature
    Rule(
        "sentry",
        lambda body, key, ts: {
            "sentry-hook-signature": hex_hmac(key, body),
            "sentry-hook-resource": "issue",
            "sentry-hook-timestamp": ts,
            "request-id": "f1b8b4b4-1c5e-4b5e-8f0a-2b7a1c3d4e5f",
        },
        ("issue.created", "f1b8b4b4-1c5e-4b5e-8f0a-2b7a1c3d4e5f"),
        event="issue.created",
    ),
    # https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications
    Rule(
        "intercom",
        lambda body, key, ts: {"x-hub-signature": "sha1=" + hex_hmac(key, body, hashlib.sha1)},
        ("conversation.user.created", "notif_ccd8a4d2-c8a0-4fa6-9c9f-6d2b4e1f0a11"),
        delivery_id="notif_ccd8a4d2-c8a0-4fa6-9c9f-6d2b4e1f0a11",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.sender)
def test_the_receiver_reads_what_the_senders_rule_signs(rule: Rule) -> None:
    body = body_of(rule.sender, rule.event, delivery_id=rule.delivery_id)
    headers = rule.headers(body, secret(rule.sender), str(int(NOW)))
    verified = check(rule.sender, headers, body)
    assert (verified.event_type, verified.sender_id) == rule.expected


# https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures
def test_trello_body_plus_callback_url_and_head_check() -> None:
    callback = SAMPLE["trello"]["public_url"]
    body = body_of("trello", delivery_id="5c4d1e1e1e1e1e1e1e1e1e1e")
    signature = b64_hmac(secret("trello"), body + callback.encode(), hashlib.sha1)
    # Received on an internal URL: the configured callback URL is what Trello signed.
    verified = check("trello", {"x-trello-webhook": signature}, body, url="http://10.0.0.1/x")
    assert (verified.event_type, verified.sender_id) == ("updateCard", "5c4d1e1e1e1e1e1e1e1e1e1e")
    trello = source("trello")
    assert trello.scheme.handshake is not None
    head = SignedRequest("HEAD", callback, {}, b"")
    reply = trello.scheme.handshake(head, trello.secrets, trello.options, NOW)
    assert reply is not None and reply.status == 200
