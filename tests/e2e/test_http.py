"""End to end over real HTTP: uvicorn + moto server, deliveries signed by the senders' own SDKs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import stripe
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook
from twilio.request_validator import RequestValidator

from handler.process.worker import Worker
from handler.receive.signatures.twilio import signed_url
from handler.store.archive import Archive, StoredDelivery
from handler.store.dedup import DedupTable
from handler.store.queue import Envelope
from infra.local_worker import poll_once
from infra.processes import free_port, start_receiver, stop
from support import DISCORD_KEY, SOURCES, RunningStack, sign

pytestmark = pytest.mark.e2e


SCHEME_SOURCES = [
    "github",
    "stripe",
    "slack",
    "shopify",
    "standard",
    "twilio",
    "gitlab",
    "discord",
    "internal",
]


def secret(source: str) -> str:
    return SOURCES[source].secrets[0]


def official_delivery(source: str, base_url: str) -> tuple[str, dict[str, str], bytes, str]:
    """(url, headers, body, expected id) signed by the sender's official library or published
    algorithm, never by our own signer."""
    now = int(time.time())
    url = f"{base_url}/webhooks/{source}"
    unique = uuid.uuid4().hex
    if source == "stripe":
        body = json.dumps({"id": f"evt_{unique}", "type": "invoice.paid"}).encode()
        header = stripe.WebhookSignature.generate_signature_header(
            body.decode(), secret(source), timestamp=now
        )
        return url, {"Stripe-Signature": header}, body, f"evt_{unique}"
    if source == "slack":
        body = json.dumps(
            {"type": "event_callback", "event_id": f"Ev{unique}", "event": {"type": "message"}}
        ).encode()
        signature = SignatureVerifier(secret(source)).generate_signature(
            timestamp=str(now), body=body
        )
        headers = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": signature}
        return url, headers, body, f"Ev{unique}"
    if source == "standard":
        body = json.dumps({"type": "user.created", "data": {"id": 1}}).encode()
        msg_id = f"msg_{unique}"
        signature = Webhook(secret(source)).sign(
            msg_id, datetime.fromtimestamp(now, UTC), body.decode()
        )
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(now),
            "webhook-signature": signature,
        }
        return url, headers, body, msg_id
    if source == "twilio":
        params = {"MessageSid": f"SM{unique}", "MessageStatus": "delivered", "To": "+15550001"}
        body = urlencode(params).encode()
        signature = RequestValidator(secret(source)).compute_signature(url, params)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
            "I-Twilio-Idempotency-Token": f"tok-{unique}",
        }
        return url, headers, body, f"tok-{unique}"
    if source == "discord":
        body = json.dumps(
            {"version": 1, "type": 1, "event": {"type": "ENTITLEMENT_CREATE"}}
        ).encode()
        signature = DISCORD_KEY.sign(str(now).encode() + body).signature.hex()
        headers = {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": str(now)}
        return url, headers, body, "sha256-" + hashlib.sha256(body).hexdigest()
    body = json.dumps({"n": unique}).encode()
    digest = hmac.new(secret(source).encode(), body, hashlib.sha256)
    if source == "github":  # GitHub's published algorithm
        headers = {
            "X-Hub-Signature-256": "sha256=" + digest.hexdigest(),
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": unique,
        }
    elif source == "shopify":
        headers = {
            "X-Shopify-Hmac-Sha256": base64.b64encode(digest.digest()).decode(),
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": unique,
        }
    elif source == "gitlab":
        headers = {
            "X-Gitlab-Token": secret(source),
            "X-Gitlab-Event": "Push Hook",
            "Idempotency-Key": unique,
        }
    else:
        headers = {"X-Signature": "sha256=" + digest.hexdigest(), "X-Delivery-Id": unique}
    return url, headers, body, unique


def envelopes(stack: RunningStack, wait: float = 0) -> list[Envelope]:
    sqs = stack.client("sqs")
    found: list[Envelope] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=stack.resources.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=int(wait)
        ).get("Messages", [])
        if not messages:
            return found
        found += [Envelope.model_validate_json(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=stack.resources.queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )


def archived(stack: RunningStack, key: str) -> StoredDelivery:
    """An archived delivery, read through the product's reader once the worker (which writes
    the archive from the message) has run over the queue."""
    worker = Worker(
        DedupTable(stack.client("dynamodb"), stack.resources.table, 3600, 30, 5),
        Archive(stack.client("s3"), stack.resources.bucket),
    )
    sqs, url = stack.client("sqs"), stack.resources.queue_url
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    while sum(poll_once(worker, sqs, url, arn["QueueArn"], wait_seconds=0)):
        pass
    return worker.archive.read(key)


@pytest.mark.parametrize("source", SCHEME_SOURCES)
def test_official_signatures_are_accepted_and_archived(stack: RunningStack, source: str) -> None:
    url, headers, body, expected_id = official_delivery(source, stack.base_url)
    with stack.http() as http:
        response = http.post(url, content=body, headers=headers)
        again = http.post(url, content=body, headers=headers)
    assert response.headers["x-delivery-id"] == again.headers["x-delivery-id"] == expected_id
    if source == "twilio":  # a form webhook: Twilio parses the answer as TwiML
        for answer in (response, again):
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"].startswith("text/xml")
            assert answer.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    else:
        assert response.status_code == 202, response.text
        assert response.json() == {"id": expected_id, "source": source, "status": "accepted"}
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
    day = datetime.now(UTC).strftime("%Y/%m/%d")
    assert archived(stack, f"archive/{source}/{day}/{expected_id}.delivery").body == body


# GitLab's token is a shared secret, not a signature of the body: nothing to tamper with.
@pytest.mark.parametrize("source", [s for s in SCHEME_SOURCES if s != "gitlab"])
def test_tampered_bodies_are_refused(stack: RunningStack, source: str) -> None:
    url, headers, body, _ = official_delivery(source, stack.base_url)
    with stack.http() as http:
        response = http.post(url, content=body + b" ", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    for value in SOURCES[source].secrets:
        assert value not in response.text


def test_wrong_gitlab_token_is_refused(stack: RunningStack) -> None:
    url, headers, body, _ = official_delivery("gitlab", stack.base_url)
    headers["X-Gitlab-Token"] = "not-the-token"
    with stack.http() as http:
        response = http.post(url, content=body, headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"


@pytest.mark.parametrize("source", ["stripe", "slack", "standard", "discord"])
def test_stale_signatures_are_refused(stack: RunningStack, source: str) -> None:
    body = json.dumps({"id": "evt_stale", "type": "x", "event_id": "Ev1"}).encode()
    url, headers = sign(source, body, base_url=stack.base_url, now=time.time() - 3600)
    with stack.http() as http:
        response = http.post(url, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "stale_timestamp"


def test_rotation_accepts_old_and_new_secret_and_nothing_else(stack: RunningStack) -> None:
    body = b'{"rotation": true}'
    with stack.http() as http:
        for secret_value, status in (
            ("new-rotating-secret", 202),
            ("old-rotating-secret", 202),
            ("wrong", 401),
        ):
            signature = (
                "sha256=" + hmac.new(secret_value.encode(), body, hashlib.sha256).hexdigest()
            )
            headers = {"X-Hub-Signature-256": signature, "X-GitHub-Delivery": uuid.uuid4().hex}
            response = http.post("/webhooks/rotating", content=body, headers=headers)
            assert response.status_code == status, (secret_value, response.text)


def test_twilio_json_body_with_body_sha256(stack: RunningStack) -> None:
    body = json.dumps({"event": "call.completed"}).encode()
    url = signed_url(f"{stack.base_url}/webhooks/twilio", body)
    signature = RequestValidator(secret("twilio")).compute_signature(url, {})
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": signature}
    with stack.http() as http:
        response = http.post(url, content=body, headers=headers)
    assert response.status_code == 202, response.text


def test_byte_exact_archive_of_a_one_megabyte_non_utf8_crlf_body(stack: RunningStack) -> None:
    body = (b"\xff\xfe\x00line\r\n" * 120_000)[:1_000_000]  # over CLAIM_CHECK_BYTES: claim-checked
    url, headers = sign(
        "github", body, base_url=stack.base_url, content_type="application/octet-stream"
    )
    with stack.http() as http:
        response = http.post(url, content=body, headers=headers)
    assert response.status_code == 202
    delivery_id = response.json()["id"]
    day = datetime.now(UTC).strftime("%Y/%m/%d")
    stored = archived(stack, f"archive/github/{day}/{delivery_id}.delivery")
    assert stored.body == body
    meta = stored.meta
    assert meta["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert meta["body_size"] == 1_000_000


def test_concurrent_copies_of_one_delivery_are_acked_once_and_never_refused(
    stack: RunningStack,
) -> None:
    """Before a worker holds it, a copy that finds the live claim sends its own message (README,
    "How one delivery flows"): one 202, every other copy a 200 duplicate, no 409; the worker's
    hold gives the messages one effect (tests/functional/test_receiver.py)."""
    stack.client("sqs").purge_queue(QueueUrl=stack.resources.queue_url)
    body = json.dumps({"id": "evt_storm", "type": "invoice.paid"}).encode()
    url, headers = sign("stripe", body, base_url=stack.base_url)

    def send(_: int) -> int:
        with stack.http() as http:
            return http.post(url, content=body, headers=headers).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, range(32)))
    assert statuses.count(202) == 1
    assert set(statuses) == {200, 202}
    found = envelopes(stack)
    assert found and {e.id for e in found} == {"evt_storm"}


def test_sqs_unreachable_is_503_and_the_sender_retry_succeeds(stack: RunningStack) -> None:
    closed_port = free_port()  # nothing listens here
    port = free_port()
    env = {**stack.env, "AWS_ENDPOINT_URL_SQS": f"http://127.0.0.1:{closed_port}"}
    with stack.log.open("ab") as output:
        broken = start_receiver("127.0.0.1", port, env, stdout=output, stderr=output)
    try:
        body = json.dumps({"id": "evt_sqs_down", "type": "x"}).encode()
        url, headers = sign("stripe", body, base_url=f"http://127.0.0.1:{port}")
        with httpx.Client(timeout=30) as http:
            response = http.post(url, content=body, headers=headers)
        assert response.status_code == 503
        assert response.headers["retry-after"].isdigit()
        assert response.json()["error"] == "handoff_failed"
    finally:
        stop([broken])
    # The claim was released: the sender's retry, to a healthy receiver, is accepted.
    url, headers = sign("stripe", body, base_url=stack.base_url)
    with stack.http() as http:
        assert http.post(url, content=body, headers=headers).status_code == 202


def test_worker_processes_a_delivery_exactly_once(
    stack: RunningStack, worker_process: subprocess.Popen[bytes]
) -> None:
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "invoice.paid"}).encode()
    url, headers = sign("stripe", body, base_url=stack.base_url)
    with stack.http() as http:
        delivery_id = http.post(url, content=body, headers=headers).json()["id"]
        assert http.post(url, content=body, headers=headers).json()["status"] == "duplicate"
    dynamodb = stack.client("dynamodb")
    deadline = time.monotonic() + 20
    item: dict[str, Any] = {}
    while time.monotonic() < deadline:
        item = dynamodb.get_item(
            TableName=stack.resources.table, Key={"pk": {"S": f"stripe#{delivery_id}"}}
        ).get("Item", {})
        if item.get("status", {}).get("S") == "processed":
            break
        time.sleep(0.1)
    assert item["status"]["S"] == "processed"
    assert item["attempts"]["N"] == "1"
