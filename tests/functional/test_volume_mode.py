"""ARCHIVE_MODE=batch over in-process AWS: one archive object per SQS batch, each delivery's
place on its dedup record (kept by the hold), and every reader finding it there, or through the
object's index once the record is gone."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handler.aws import AwsClients
from handler.process.worker import Worker
from handler.settings import Settings
from handler.store.archive import parse_reference
from handler.store.batches import BATCH_PREFIX
from handler.store.dedup import dedup_key
from infra.local_worker import poll_once
from infra.resources import Resources
from support import sign
from webhooks_cli.operations import Operations

ARN = "arn:aws:sqs:us-east-1:123456789012:webhook-work"


@pytest.fixture
def batch_worker(worker: Worker) -> Worker:
    return replace(worker, archive_mode="batch")


def deliver(client: TestClient, delivery_id: str, body: bytes) -> None:
    url, headers = sign("github", body, delivery_id=delivery_id, event_type="push")
    assert client.post(url, content=body, headers=headers).status_code == 202


def count_calls(clients: AwsClients) -> Counter[str]:
    calls: Counter[str] = Counter()
    for name in ("s3", "dynamodb"):
        getattr(clients, name).meta.events.register(
            "before-call",
            lambda model, _name=name, **_: calls.update([f"{_name}.{model.name}"]),
        )
    return calls


def test_one_object_per_batch_with_each_place_on_its_record(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    batch_worker: Worker,
    settings: Settings,
) -> None:
    bodies = {f"vol-{n}": json.dumps({"n": n, "name": "Zoë"}).encode() for n in range(8)}
    for delivery_id, body in bodies.items():
        deliver(client, delivery_id, body)
    calls = count_calls(clients)
    assert poll_once(batch_worker, clients.sqs, resources.queue_url, ARN, 0) == (8, 0)
    assert calls["s3.PutObject"] == 1  # the whole batch: 1/8 of a PUT per delivery
    assert calls["s3.HeadObject"] == 0
    assert calls["dynamodb.UpdateItem"] == 16  # hold (with the place) + processed, no more
    listing = clients.s3.list_objects_v2(Bucket=resources.bucket)
    [key] = [item["Key"] for item in listing["Contents"] if not item["Key"].startswith("eff")]
    assert key.startswith(f"{BATCH_PREFIX}/")
    operations = Operations(settings)
    for delivery_id, body in bodies.items():
        record = batch_worker.dedup.get(dedup_key("github", delivery_id))
        assert record is not None and record["status"] == "processed"
        located = parse_reference(record["archive_ref"])
        assert located is not None and located[0] == key
        stored = batch_worker.archive.read(record["archive_ref"])
        assert stored.body == body and stored.meta["id"] == delivery_id
        assert stored.meta["ack_ms"] >= 0
        found = operations.locate(delivery_id, "github")  # webhooks show, the console
        assert found.key == record["archive_ref"] and operations.body(found) == body


def test_list_replay_and_show_work_after_the_record_expired(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    batch_worker: Worker,
    settings: Settings,
) -> None:
    deliver(client, "old-1", b'{"old": 1}')
    deliver(client, "old-2", b'{"old": 2}')
    assert poll_once(batch_worker, clients.sqs, resources.queue_url, ARN, 0) == (2, 0)
    operations = Operations(settings)
    since = datetime.now(UTC) - timedelta(hours=1)
    listed = operations.deliveries("github", since)
    assert sorted(d.id for d in listed) == ["old-1", "old-2"]
    assert all(d.status == "processed" for d in listed)
    clients.dynamodb.delete_item(  # DynamoDB's TTL sweep
        TableName=resources.table, Key={"pk": {"S": dedup_key("github", "old-1")}}
    )
    later = Operations(settings)  # another process: nothing cached
    found = later.locate("old-1", "github")
    assert found.record is None and later.body(found) == b'{"old": 1}'
    assert {d.id: d.status for d in later.deliveries("github", since)} == {
        "old-1": "unknown",
        "old-2": "processed",
    }
    outcome = later.replay(found, force=True)
    assert outcome.result == "replayed"
    calls = count_calls(clients)
    assert poll_once(batch_worker, clients.sqs, resources.queue_url, ARN, 0) == (1, 0)
    assert calls["s3.PutObject"] == 0  # a replay is read from the archive, never re-written


def test_a_failed_batch_write_fails_its_records_and_loses_nothing(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    batch_worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deliver(client, "s3-down", b"{}")
    from botocore.exceptions import EndpointConnectionError

    from handler.store.archive import Archive

    def unreachable(*args: Any, **kwargs: Any) -> bool:
        raise EndpointConnectionError(endpoint_url="http://s3")

    with monkeypatch.context() as patch:
        patch.setattr(Archive, "put_new", unreachable)
        assert poll_once(batch_worker, clients.sqs, resources.queue_url, ARN, 0) == (0, 1)
    record = batch_worker.dedup.get(dedup_key("github", "s3-down"))
    assert record is not None and record["status"] == "claimed"  # never held: no effect ran
    clients.sqs.purge_queue(QueueUrl=resources.queue_url)
