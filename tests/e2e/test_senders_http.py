"""The catalogue over real HTTP (uvicorn + moto server, as `make run`): handshakes answered the
way each sender requires and never queued, and deliveries from the senders' SDK rules accepted,
deduplicated on the sender's id and archived byte for byte."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import tomllib
import uuid
from typing import Any

import pytest
from hubspot.utils.signature import Signature

from infra import SENDERS_SAMPLE
from support import RunningStack
from webhook_sim.senders import configured_source, simulate

pytestmark = pytest.mark.e2e

with SENDERS_SAMPLE.open("rb") as handle:
    SAMPLE: dict[str, dict[str, Any]] = tomllib.load(handle)["sources"]


def queued(stack: RunningStack) -> int:
    sqs = stack.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.resources.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_get_and_head_handshakes_over_http(stack: RunningStack) -> None:
    before = queued(stack)
    okta_secret = SAMPLE["okta"]["secrets"][0]
    with stack.http() as http:
        meta = http.get(
            "/webhooks/meta",
            params={
                "hub.mode": "subscribe",
                "hub.challenge": "1158201444",
                "hub.verify_token": "demo-meta-verify-token",
            },
        )
        assert (meta.status_code, meta.text) == (200, "1158201444")
        assert meta.headers["content-type"].startswith("text/plain")
        wrong = http.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.challenge": "1"})
        assert wrong.status_code == 403 and "demo-meta-verify-token" not in wrong.text
        dropbox = http.get("/webhooks/dropbox", params={"challenge": "a1b2c3"})
        assert (dropbox.status_code, dropbox.text) == (200, "a1b2c3")
        assert dropbox.headers["x-content-type-options"] == "nosniff"
        okta = http.get(
            "/webhooks/okta",
            headers={"x-okta-verification-challenge": "4z-4RM3K", "authorization": okta_secret},
        )
        assert okta.json() == {"verification": "4z-4RM3K"}
        assert http.head("/webhooks/trello").status_code == 200
        asana = http.post("/webhooks/asana", headers={"X-Hook-Secret": "b537207f20cbfa02"})
        assert (asana.status_code, asana.headers["x-hook-secret"]) == (200, "b537207f20cbfa02")
        none = http.get("/webhooks/github")
        assert (none.status_code, none.json()["error"]) == (405, "method_not_allowed")
    assert queued(stack) == before
    assert "b537207f20cbfa02" not in stack.log.read_text()  # Asana's secret is never logged


def test_zoom_url_validation_signed_by_the_documented_rule(stack: RunningStack) -> None:
    secret = SAMPLE["zoom"]["secrets"][0]
    body = json.dumps(
        {"payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "event": "endpoint.url_validation"}
    ).encode()
    ts = str(int(time.time()))
    signature = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    headers = {"x-zm-signature": "v0=" + signature.hexdigest(), "x-zm-request-timestamp": ts}
    with stack.http() as http:
        answer = http.post("/webhooks/zoom", content=body, headers=headers)
    token = hmac.new(secret.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert answer.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": token}


def test_hubspot_signed_by_its_sdk_is_accepted_once_and_archived(stack: RunningStack) -> None:
    body = json.dumps(
        [
            {
                "eventId": uuid.uuid4().int % 10**9,
                "subscriptionType": "contact.creation",
                "propertyValue": "Zoë",
            }
        ],
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(time.time() * 1000))
    uri = SAMPLE["hubspot"]["public_url"]  # what HubSpot signed; uvicorn sees 127.0.0.1
    signature = Signature.get_signature(
        SAMPLE["hubspot"]["secrets"][0], body.decode(), "v3", uri, "POST", timestamp
    )
    headers = {
        "content-type": "application/json",
        "x-hubspot-signature-v3": signature,
        "x-hubspot-request-timestamp": timestamp,
    }
    with stack.http() as http:
        first = http.post("/webhooks/hubspot", content=body, headers=headers)
        again = http.post("/webhooks/hubspot", content=body, headers=headers)
    assert first.status_code == 202, first.text
    assert again.json()["status"] == "duplicate"
    assert first.json()["id"] == "sha256-" + hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("name", ["square", "twitch", "paddle", "sendgrid", "linear", "trello"])
def test_simulated_senders_are_accepted_with_their_own_ids(stack: RunningStack, name: str) -> None:
    source = configured_source(name, SAMPLE[name])
    delivery = simulate(source, base_url=stack.base_url)
    with stack.http() as http:
        first = http.post(delivery.path, content=delivery.body, headers=delivery.headers)
        again = http.post(delivery.path, content=delivery.body, headers=delivery.headers)
    assert first.status_code == 202, first.text
    assert first.json()["id"] == delivery.delivery_id
    assert again.json()["status"] == "duplicate"
