"""The worker over in-process AWS: partial batch failures, exactly-once effects, claim-checks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handler.aws import AwsClients
from handler.process.processors import Event
from handler.process.worker import Worker, handle_batch
from handler.settings import Settings
from handler.store.archive import body_key, delivery_key
from handler.store.dedup import dedup_key
from handler.store.queue import Envelope
from infra.local_worker import poll_once, sqs_event
from infra.resources import Resources
from support import body_for, sign
from webhook_sim.pytest_plugin import Processors

EFFECTS: list[str] = []


@pytest.fixture
def recording_processor(processors: Processors) -> Iterator[list[str]]:
    """A processor for github/push that records its effect, and fails for ids marked 'fail'."""
    EFFECTS.clear()

    @processors("github", "push")
    def record(event: Event) -> dict[str, Any]:
        if "fail" in event.id:
            raise RuntimeError("processor failed on purpose")
        EFFECTS.append(event.id)
        return {"seen": event.json()}

    yield EFFECTS


def deliver(client: TestClient, delivery_id: str, body: bytes = b'{"n": 1}') -> None:
    url, headers = sign("github", body, delivery_id=delivery_id, event_type="push")
    assert client.post(url, content=body, headers=headers).status_code == 202


def receive(clients: AwsClients, resources: Resources) -> list[dict[str, Any]]:
    return list(
        clients.sqs.receive_message(
            QueueUrl=resources.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
    )


def test_partial_batch_failure_reports_only_the_failed_records(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    recording_processor: list[str],
) -> None:
    deliver(client, "good-1")
    deliver(client, "will-fail-2")
    deliver(client, "good-3")
    messages = receive(clients, resources)
    poison = {**messages[0], "MessageId": "poison", "Body": "{not an envelope"}
    event = sqs_event([*messages, poison], "arn:aws:sqs:us-east-1:123456789012:webhook-work")
    result = handle_batch(worker, event)
    failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
    by_id = {json.loads(m["Body"])["id"]: m["MessageId"] for m in messages}
    assert failed == {by_id["will-fail-2"], "poison"}
    assert sorted(recording_processor) == ["good-1", "good-3"]
    state = worker.dedup.get(dedup_key("github", "will-fail-2"))
    assert state is not None and state["status"] == "enqueued"
    assert "processor failed on purpose" in state["last_error"]


def test_redelivered_message_has_no_second_effect(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    recording_processor: list[str],
) -> None:
    deliver(client, "once-only")
    messages = receive(clients, resources)
    event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:webhook-work")
    assert handle_batch(worker, event) == {"batchItemFailures": []}
    assert handle_batch(worker, event) == {"batchItemFailures": []}  # SQS delivers at least once
    assert recording_processor == ["once-only"]
    state = worker.dedup.get(dedup_key("github", "once-only"))
    assert state is not None and state["status"] == "processed"
    assert json.loads(state["outcome"]) == {"seen": {"n": 1}}


def test_a_live_processing_lease_makes_the_copy_retry(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    deliver(client, "leased")
    hold, _ = worker.dedup.hold_for_processing(dedup_key("github", "leased"), worker.clock())
    assert hold.value == "started"
    event = sqs_event(receive(clients, resources), "arn:aws:sqs:us-east-1:1:q")
    assert len(handle_batch(worker, event)["batchItemFailures"]) == 1


def test_claim_checked_body_is_processed_and_archived(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    settings: Settings,
    recording_processor: list[str],
) -> None:
    body = json.dumps({"blob": "y" * (settings.claim_check_bytes + 1)}).encode()
    deliver(client, "big-one", body)
    [message] = receive(clients, resources)
    envelope = json.loads(message["Body"])
    assert "body_b64" not in envelope and envelope["body_key"].endswith("big-one.delivery")
    written = worker.archive.get(envelope["body_key"])
    handle_batch(worker, sqs_event([message], "arn:aws:sqs:us-east-1:1:q"))
    assert recording_processor == ["big-one"]
    listing = clients.s3.list_objects_v2(Bucket=resources.bucket, Prefix="archive/")
    assert [item["Key"] for item in listing["Contents"]] == [envelope["body_key"]]
    assert worker.archive.get(envelope["body_key"]) == written  # the worker wrote nothing


def test_tampered_body_in_the_message_is_refused(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    deliver(client, "tampered")
    [message] = receive(clients, resources)
    envelope = json.loads(message["Body"])
    envelope["body_b64"] = "e30="  # "{}", not the body that was acknowledged
    message["Body"] = json.dumps(envelope)
    result = handle_batch(worker, sqs_event([message], "arn:aws:sqs:us-east-1:1:q"))
    assert result["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]


def test_local_worker_loop_deletes_done_and_keeps_failed_messages(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    recording_processor: list[str],
) -> None:
    deliver(client, "loop-ok")
    deliver(client, "loop-fail")
    arn = "arn:aws:sqs:us-east-1:123456789012:webhook-work"
    assert poll_once(worker, clients.sqs, resources.queue_url, arn, wait_seconds=0) == (1, 1)
    assert recording_processor == ["loop-ok"]
    listing = clients.s3.list_objects_v2(Bucket=resources.bucket, Prefix="archive/github/")
    assert any(item["Key"].endswith("/loop-ok.delivery") for item in listing["Contents"])
    # The failed one is still in the queue (invisible until its visibility timeout ends).
    attributes = clients.sqs.get_queue_attributes(
        QueueUrl=resources.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_default_processor_handles_unregistered_events(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    body = body_for("stripe", "customer.created", "evt_default")
    url, headers = sign("stripe", body)
    assert client.post(url, content=body, headers=headers).status_code == 202
    handle_batch(worker, sqs_event(receive(clients, resources), "arn:aws:sqs:us-east-1:1:q"))
    state = worker.dedup.get(dedup_key("stripe", "evt_default"))
    assert state is not None and json.loads(state["outcome"])["processor"] == "default"


def archived(clients: AwsClients, resources: Resources) -> list[str]:
    listing = clients.s3.list_objects_v2(Bucket=resources.bucket, Prefix="archive/")
    return [item["Key"] for item in listing.get("Contents", [])]


def test_the_worker_archives_each_delivery_once_and_a_redelivery_finds_it(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    recording_processor: list[str],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = '{"name": "Zoë"}'.encode()
    deliver(client, "archived-once", body)
    messages = receive(clients, resources)
    event = sqs_event(messages, "arn:aws:sqs:us-east-1:1:q")
    assert handle_batch(worker, event) == {"batchItemFailures": []}
    [key] = archived(clients, resources)
    assert key.endswith("/archived-once.delivery")
    first = worker.archive.get(key)
    stored = worker.archive.read(key)
    assert stored.body == body
    sent = int(messages[0]["Attributes"]["SentTimestamp"]) / 1000
    received = datetime.fromisoformat(stored.meta["received_at"]).timestamp()
    assert stored.meta["ack_ms"] == pytest.approx(max(0.0, (sent - received) * 1000), abs=0.01)
    capsys.readouterr()
    assert handle_batch(worker, event) == {"batchItemFailures": []}  # SQS redelivers it
    out = capsys.readouterr().out
    assert worker.archive.get(key) == first and archived(clients, resources) == [key]
    assert '"ArchiveFound":[1.0]' in out and "ArchiveRecreated" not in out
    logged = [record.getMessage() for record in caplog.records]
    assert "archive found; not written again" in logged
    assert "re-creating the archive" not in logged
    assert recording_processor == ["archived-once"]


def test_a_replay_is_read_from_the_archive_and_never_written_again(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    deliver(client, "replayed")
    [message] = receive(clients, resources)
    handle_batch(worker, sqs_event([message], "arn:aws:sqs:us-east-1:1:q"))
    puts: list[str] = []
    clients.s3.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: puts.append(params["Key"])
    )
    message["MessageAttributes"] = {
        "replayed_by": {"DataType": "String", "StringValue": "webhooks-cli"}
    }
    worker.dedup.reset_for_replay(dedup_key("github", "replayed"), worker.clock())
    assert handle_batch(worker, sqs_event([message], "arn:aws:sqs:us-east-1:1:q")) == {
        "batchItemFailures": []
    }
    assert not [key for key in puts if key.startswith("archive/")]


def test_a_message_from_before_the_delivery_layout_is_archived_with_a_reason(
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In flight at the deploy: a raw `.body` claim-check, its meta maybe never written."""
    body = b"x" * 1000
    received = datetime.now(UTC)
    legacy_key = body_key("github", "old-big", received)
    clients.s3.put_object(Bucket=resources.bucket, Key=legacy_key, Body=body)
    envelope = Envelope(
        id="old-big",
        source="github",
        event_type="push",
        received_at=received,
        url="https://hooks.example.com/webhooks/github",
        headers={"x-github-event": "push"},
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_size=len(body),
        body_key=legacy_key,
    )
    clients.sqs.send_message(QueueUrl=resources.queue_url, MessageBody=envelope.model_dump_json())
    capsys.readouterr()
    handle_batch(worker, sqs_event(receive(clients, resources), "arn:aws:sqs:us-east-1:1:q"))
    out = capsys.readouterr().out
    [line] = [r for r in caplog.records if r.getMessage() == "re-creating the archive"]
    assert line.levelname == "WARNING" and "before .delivery" in vars(line)["reason"]
    assert '"ArchiveRecreated":[1.0]' in out
    assert worker.archive.read(delivery_key("github", "old-big", received)).body == body
