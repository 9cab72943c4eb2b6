"""The app over in-process AWS (mock_aws): the HTTP contract and what each answer promises."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import EndpointConnectionError
from fastapi.testclient import TestClient

from handler.aws import AwsClients
from handler.process.worker import Worker
from handler.receive.ingest import Receiver
from handler.settings import Settings
from handler.store.archive import Archive, delivery_key
from handler.store.dedup import dedup_key
from handler.store.queue import Envelope
from infra.resources import Resources
from support import SOURCES, body_for, object_body, sign


def post(client: TestClient, source: str, body: bytes, **kwargs: Any) -> Any:
    url, headers = sign(source, body, **kwargs)
    return client.post(url, content=body, headers=headers)


def queued(clients: AwsClients, resources: Resources) -> list[Envelope]:
    messages = clients.sqs.receive_message(
        QueueUrl=resources.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", [])
    return [Envelope.model_validate_json(m["Body"]) for m in messages]


def archived_keys(clients: AwsClients, resources: Resources) -> list[str]:
    listed = clients.s3.list_objects_v2(Bucket=resources.bucket, Prefix="archive/")
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.mark.parametrize("source", [name for name in SOURCES])
def test_every_scheme_is_accepted_queued_and_archived(
    source: str, client: TestClient, clients: AwsClients, resources: Resources
) -> None:
    body = body_for(SOURCES[source].scheme.name, "push")
    response = post(client, source, body)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status"] == "accepted" and answer["source"] == source
    [envelope] = queued(clients, resources)
    assert envelope.id == answer["id"] and envelope.source == source
    assert envelope.inline_body() == body
    # Nothing after the ack: the worker archives it from the message (test_worker.py).
    assert archived_keys(clients, resources) == []


def test_archive_is_byte_exact_with_headers_but_no_credentials(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    body = b'{"a": "\xff\xfe not utf-8"}\r\n\r\nline two\r\n\x00'
    url, headers = sign("github", body, delivery_id="byte-exact-1")
    headers |= {"Authorization": "Bearer sekrit", "Cookie": "session=abc"}
    response = client.post(url, content=body, headers=headers)
    assert response.status_code == 202
    [envelope] = queued(clients, resources)
    worker.handle(envelope)
    stored = worker.archive.read(delivery_key("github", "byte-exact-1", envelope.received_at))
    assert stored.body == body
    meta = stored.meta
    assert meta["headers"]["x-github-delivery"] == "byte-exact-1"
    assert "authorization" not in meta["headers"] and "cookie" not in meta["headers"]
    assert "authorization" not in envelope.headers
    assert meta["body_size"] == len(body) and meta["event_type"] == "push"


def test_retry_of_an_accepted_delivery_is_a_duplicate_with_one_effect(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    """Before a worker holds it, a retry cannot know the first copy's message was sent (no
    write marks it): it is enqueued too and answered as a duplicate. Once the worker has it, a
    retry is a duplicate with no message (README, "How one delivery flows")."""
    body = body_for("stripe", "invoice.paid", "evt_dup_1")
    first = post(client, "stripe", body)
    early = post(client, "stripe", body)  # signed again, as Stripe's retry is
    assert first.status_code == 202
    assert early.status_code == 200
    assert early.json() == {"id": "evt_dup_1", "source": "stripe", "status": "duplicate"}
    copies = queued(clients, resources)
    assert [e.id for e in copies] == ["evt_dup_1", "evt_dup_1"]
    outcomes = [worker.handle(envelope) for envelope in copies]
    assert outcomes[0] is not None and outcomes[1] is None  # the hold: one effect
    late = post(client, "stripe", body)
    assert late.status_code == 200 and late.json()["status"] == "duplicate"
    assert queued(clients, resources) == []


def test_body_hash_is_the_id_when_the_sender_has_none(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    body = b'{"event": "no id here"}'
    url, headers = sign("internal", body)
    del headers["x-delivery-id"]
    first = client.post(url, content=body, headers=headers)
    [envelope] = queued(clients, resources)
    worker.handle(envelope)
    second = client.post(url, content=body, headers=headers)
    assert first.status_code == 202 and first.json()["id"].startswith("sha256-")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]


def test_large_body_goes_to_its_final_archive_object_before_the_ack(
    client: TestClient, clients: AwsClients, resources: Resources, settings: Settings
) -> None:
    body = b'{"blob": "' + "é".encode() * (settings.claim_check_bytes // 2 + 10) + b'"}'
    response = post(client, "github", body)
    assert response.status_code == 202
    [envelope] = queued(clients, resources)
    assert envelope.body_b64 is None
    assert envelope.body_key == delivery_key("github", envelope.id, envelope.received_at)
    assert archived_keys(clients, resources) == [envelope.body_key]  # one object, final
    stored = Archive(clients.s3, resources.bucket).read(envelope.body_key)
    assert stored.body == body and stored.meta["id"] == envelope.id


def test_a_retried_hand_off_finds_its_claim_check_and_keeps_it(
    client: TestClient, clients: AwsClients, resources: Resources, settings: Settings
) -> None:
    """The first copy's message failed after its claim-check was written (503, claim given
    back): the sender's retry finds the object, the same bytes, and is accepted."""
    body = b'{"blob": "' + b"y" * (settings.claim_check_bytes + 10) + b'"}'
    url, headers = sign("github", body, delivery_id="retried-big")
    queue_url = resources.queue_url
    clients.sqs.delete_queue(QueueUrl=queue_url)
    assert client.post(url, content=body, headers=headers).status_code == 503
    [key] = archived_keys(clients, resources)
    written = object_body(clients.s3, resources.bucket, key)
    clients.sqs.create_queue(QueueName=queue_url.rsplit("/", 1)[-1])
    assert client.post(url, content=body, headers=headers).status_code == 202
    assert object_body(clients.s3, resources.bucket, key) == written
    [envelope] = queued(clients, resources)
    assert envelope.body_key == key


def test_another_body_under_an_archived_id_is_refused_not_overwritten(
    client: TestClient, clients: AwsClients, resources: Resources, settings: Settings
) -> None:
    big = b"z" * (settings.claim_check_bytes + 10)
    url, headers = sign("github", big, delivery_id="same-id")
    clients.sqs.delete_queue(QueueUrl=resources.queue_url)
    assert client.post(url, content=big, headers=headers).status_code == 503
    [key] = archived_keys(clients, resources)
    written = object_body(clients.s3, resources.bucket, key)
    clients.sqs.create_queue(QueueName=resources.queue_url.rsplit("/", 1)[-1])
    other = b"w" * (settings.claim_check_bytes + 10)
    url, headers = sign("github", other, delivery_id="same-id")
    assert client.post(url, content=other, headers=headers).status_code == 503
    assert object_body(clients.s3, resources.bucket, key) == written
    assert queued(clients, resources) == []


def test_unknown_source_is_404_json(client: TestClient) -> None:
    response = client.post("/webhooks/nobody", content=b"{}")
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_source"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: h.pop("x-hub-signature-256"), "missing_signature"),
        (lambda h: h.update({"x-hub-signature-256": "sha256=" + "0" * 64}), "bad_signature"),
        (lambda h: h.update({"x-hub-signature-256": "md5=abc"}), "malformed_signature"),
    ],
)
def test_bad_signatures_are_401_and_not_queued(
    mutate: Any, reason: str, client: TestClient, clients: AwsClients, resources: Resources
) -> None:
    body = b'{"a": 1}'
    url, headers = sign("github", body)
    mutate(headers)
    response = client.post(url, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == reason
    assert "demo-github-secret" not in response.text
    assert queued(clients, resources) == []


def test_stale_and_future_timestamps_are_401(client: TestClient) -> None:
    body = body_for("stripe", "x")
    for skew in (-3600, 3600):
        response = post(client, "stripe", body, now=time.time() + skew)
        assert response.status_code == 401
        assert response.json()["error"] == "stale_timestamp"


def test_oversized_body_is_413_before_reading_it(client: TestClient, settings: Settings) -> None:
    body = b"x" * (settings.max_body_bytes + 1)
    url, headers = sign("github", body)
    response = client.post(url, content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_oversized_chunked_body_is_413(client: TestClient, settings: Settings) -> None:
    def chunks() -> Any:
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536

    response = client.post("/webhooks/github", content=chunks())
    assert response.status_code == 413


def test_bad_content_length_wrong_method_and_path_are_json_4xx(client: TestClient) -> None:
    bad_length = client.post("/webhooks/github", content=b"{}", headers={"content-length": "abc"})
    assert bad_length.status_code == 400 and bad_length.json()["error"] == "bad_request"
    wrong_method = client.get("/webhooks/github")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"
    no_route = client.post("/nowhere")
    assert no_route.status_code == 404 and no_route.json()["error"] == "not_found"


def test_signed_but_malformed_payload_is_422(client: TestClient) -> None:
    response = post(client, "stripe", b"not json at all")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_json"


def test_slack_url_verification_answers_the_challenge_without_queueing(
    client: TestClient, clients: AwsClients, resources: Resources
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"}).encode()
    response = post(client, "slack", body)
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}
    assert queued(clients, resources) == []


def test_discord_ping_gets_pong(client: TestClient) -> None:
    body = json.dumps({"id": "1", "type": 1, "application_id": "2"}).encode()
    response = post(client, "discord", body)
    assert response.status_code == 200
    assert response.json() == {"type": 1}


def test_slack_slash_command_is_queued_and_acked_with_an_empty_200(
    client: TestClient, clients: AwsClients, resources: Resources
) -> None:
    body = b"command=%2Fdeploy&text=prod&trigger_id=13345224609.738&response_url=https%3A%2F%2Fx"
    response = post(client, "slack", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.content == b""
    [envelope] = queued(clients, resources)
    assert envelope.event_type == "slash_command"
    assert response.headers["x-delivery-id"] == envelope.id
    assert envelope.inline_body() == body


def test_slack_options_request_gets_no_options_and_is_not_queued(
    client: TestClient, clients: AwsClients, resources: Resources
) -> None:
    form = "payload=" + quote(json.dumps({"type": "block_suggestion", "value": "ab"}))
    response = post(
        client, "slack", form.encode(), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and response.json() == {"options": []}
    assert queued(clients, resources) == []


def test_discord_interaction_is_queued_and_acked_with_a_deferred_response(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    body = json.dumps({"id": "1000", "type": 2, "token": "t", "data": {"name": "deploy"}}).encode()
    first = post(client, "discord", body)
    assert first.status_code == 200 and first.json() == {"type": 5}
    assert first.headers["x-delivery-id"] == "1000"
    [envelope] = queued(clients, resources)
    assert envelope.id == "1000" and envelope.event_type == "interaction.2"
    worker.handle(envelope)
    again = post(client, "discord", body)  # a copy is still answered the way Discord expects
    assert again.status_code == 200 and again.json() == {"type": 5}
    assert queued(clients, resources) == []


def test_discord_autocomplete_gets_no_choices_and_is_not_queued(
    client: TestClient, clients: AwsClients, resources: Resources
) -> None:
    body = json.dumps({"id": "1001", "type": 4, "token": "t"}).encode()
    response = post(client, "discord", body)
    assert response.status_code == 200
    assert response.json() == {"type": 8, "data": {"choices": []}}
    assert queued(clients, resources) == []


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "sources": len(SOURCES)}


def test_sqs_failure_is_503_with_retry_after_and_releases_the_claim(
    client: TestClient, clients: AwsClients, resources: Resources, receiver: Receiver
) -> None:
    body = body_for("stripe", "x", "evt_503")
    clients.sqs.delete_queue(QueueUrl=resources.queue_url)
    response = post(client, "stripe", body)
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(receiver.settings.retry_after_seconds)
    assert response.json()["error"] == "handoff_failed"
    assert receiver.dedup.get(dedup_key("stripe", "evt_503")) is None
    clients.sqs.create_queue(QueueName=resources.queue_url.rsplit("/", 1)[1])
    retry = post(client, "stripe", body)
    assert retry.status_code == 202


def test_dynamodb_failure_is_503(
    client: TestClient, clients: AwsClients, resources: Resources
) -> None:
    clients.dynamodb.delete_table(TableName=resources.table)
    response = post(client, "github", b"{}")
    assert response.status_code == 503
    assert queued(clients, resources) == []


def test_a_copy_during_a_live_claim_is_enqueued_itself_so_a_dead_owner_loses_nothing(
    client: TestClient, clients: AwsClients, resources: Resources, receiver: Receiver
) -> None:
    key = dedup_key("stripe", "evt_inflight")
    outcome, _, _ = receiver.dedup.claim(key, time.time())  # its owner died before its message
    assert outcome.value == "claimed"
    body = body_for("stripe", "x", "evt_inflight")
    response = post(client, "stripe", body)
    assert response.status_code == 200 and response.json()["status"] == "duplicate"
    assert [e.id for e in queued(clients, resources)] == ["evt_inflight"]
    # Once its lease has run out, a retry claims it again: accepted, enqueued.
    receiver.clock = lambda: time.time() + receiver.settings.claim_lease_seconds + 1
    assert post(client, "stripe", body).status_code == 202


def test_copies_straddling_midnight_are_archived_once_under_the_first_copys_day(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    receiver: Receiver,
    worker: Worker,
) -> None:
    """A retry during the first copy's live claim is enqueued too; dated by its own arrival it
    would be archived under the next day's key, a second object for one delivery."""
    before_midnight = datetime(2026, 12, 7, 23, 59, 50, tzinfo=UTC).timestamp()
    body = body_for("github", "x", "straddle")
    for at in (before_midnight, before_midnight + 20):
        receiver.clock = lambda at=at: at
        assert post(client, "github", body, delivery_id="straddle", now=at).status_code in (
            200,
            202,
        )
    copies = queued(clients, resources)
    assert [copy.id for copy in copies] == ["straddle", "straddle"]
    assert {copy.received_at for copy in copies} == {datetime.fromtimestamp(before_midnight, UTC)}
    for copy in copies:
        worker.handle(copy)
    assert archived_keys(clients, resources) == [
        delivery_key("github", "straddle", datetime.fromtimestamp(before_midnight, UTC))
    ]


def test_a_failed_archive_write_loses_nothing(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """S3 down when the worker archives: the record fails before any effect, the message comes
    back, and the next attempt archives and processes it."""
    response = post(client, "github", b'{"x": 1}', delivery_id="archive-fails")
    assert response.status_code == 202
    [envelope] = queued(clients, resources)

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://s3")

    with monkeypatch.context() as patch:
        patch.setattr(Archive, "put_new", unreachable)
        with pytest.raises(EndpointConnectionError):
            worker.handle(envelope)
    record = worker.dedup.get(dedup_key("github", "archive-fails"))
    assert record is not None and record["status"] == "claimed"  # not held: no effect ran
    worker.handle(envelope)
    key = delivery_key("github", "archive-fails", envelope.received_at)
    assert worker.archive.read(key).meta["id"] == "archive-fails"


def test_received_at_is_utc_and_recent(
    client: TestClient, clients: AwsClients, resources: Resources
) -> None:
    post(client, "github", b"{}")
    [envelope] = queued(clients, resources)
    assert abs((datetime.now(UTC) - envelope.received_at).total_seconds()) < 60
    assert base64.b64decode(envelope.body_b64 or "") == b"{}"
