"""The ledger's evidence for a lost or doubled delivery: the SQS journal the harness's moto server
keeps, what is read back for the delivery, and the verdict that tells the product's faults from
the emulator's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import boto3
import pytest
from moto import mock_aws

from infra.moto_server import SqsJournal
from infra.reliability.evidence import Trail, read_journal, verdict
from infra.reliability.ledger import Effects, gather_evidence
from infra.reliability.senders import Delivery
from infra.resources import Resources, create_resources


def envelope(source: str, delivery_id: str) -> str:
    return json.dumps({"version": 1, "source": source, "id": delivery_id})


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    path = tmp_path / "sqs-journal.log"
    for owner, name, replacement in SqsJournal(str(path)).patches():
        monkeypatch.setattr(owner, name, replacement)
    with mock_aws():
        yield path


def test_the_journal_follows_each_message_by_delivery(journal: Path) -> None:
    resources = create_resources(visibility_timeout=0, max_receive_count=2)
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.send_message(QueueUrl=resources.queue_url, MessageBody=envelope("github", "done"))
    sqs.send_message(QueueUrl=resources.queue_url, MessageBody=envelope("stripe", "parked"))
    sqs.send_message(QueueUrl=resources.queue_url, MessageBody="not an envelope")
    for _ in range(3):  # visibility 0: each receive hands out every message still queued
        time.sleep(0.01)  # moto: visible again only once its clock (ms) has moved on
        received = sqs.receive_message(QueueUrl=resources.queue_url, MaxNumberOfMessages=10)
        for message in received.get("Messages", []):
            if "done" in message["Body"]:
                handle = message["ReceiptHandle"]
                sqs.delete_message(QueueUrl=resources.queue_url, ReceiptHandle=handle)

    trails = read_journal(journal)
    done, parked = trails["github#done"], trails["stripe#parked"]
    assert (dict(done.sent), done.received, done.deleted) == ({"work": 1}, 1, 1)
    # Received twice (maxReceiveCount 2), then moved to the DLQ by moto.
    assert dict(parked.sent) == {"work": 1, "dlq": 1} and parked.deleted == 0
    assert trails["-"].sent["work"] == 1
    assert trails["github#never-sent"].received == 0


def test_a_message_the_queue_dropped_is_the_emulators_fault() -> None:
    dropped = Trail()
    dropped.sent["work"] = 1
    lost = verdict("lost", dropped, {"status": "enqueued"}, 0, drained=True, journal=True)
    assert lost.startswith("emulator:")


def test_an_ack_without_a_message_is_the_products_fault() -> None:
    lost = verdict("lost", Trail(), {"status": "enqueued"}, 0, drained=True, journal=True)
    assert lost.startswith("product:") and "no message" in lost


def test_a_message_deleted_without_an_effect_is_the_products_fault() -> None:
    deleted = Trail(received=1, deleted=1)
    deleted.sent["work"] = 1
    lost = verdict("lost", deleted, {"status": "processed"}, 0, drained=True, journal=True)
    assert lost.startswith("product:") and "deleted" in lost


def test_a_processed_delivery_counted_lost_is_an_archive_fault() -> None:
    lost = verdict("lost", Trail(received=1, deleted=1), None, 1, drained=True, journal=False)
    assert lost.startswith("product:") and "archive" in lost


def test_without_a_journal_nothing_is_blamed() -> None:
    assert verdict("lost", Trail(), None, 0, drained=True, journal=False).startswith("unknown")


class InProcessStack:
    """The parts of infra.reliability.stack.Stack that the evidence reads."""

    def __init__(self, workdir: Path, resources: Resources) -> None:
        self.workdir, self.resources = workdir, resources

    @property
    def journal_file(self) -> Path:
        return self.workdir / "sqs-journal.log"

    def client(self, service: Literal["s3", "sqs", "dynamodb"]) -> Any:
        return boto3.client(service, region_name="us-east-1")

    def log_paths(self) -> list[Path]:
        return [self.workdir / "receiver.log", self.workdir / "worker.log"]


def test_a_lost_delivery_is_reported_with_its_record_archive_messages_and_logs(
    journal: Path,
) -> None:
    resources = create_resources()
    stack = InProcessStack(journal.parent, resources)
    delivery = Delivery("github", "evt_lost", b"{}", "push", "application/json", "load")
    delivery.statuses, delivery.acked = [202], True
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName=resources.table,
        Item={"pk": {"S": delivery.key}, "status": {"S": "enqueued"}, "claimed_at": {"N": "1"}},
    )
    boto3.client("sqs", region_name="us-east-1").send_message(
        QueueUrl=resources.queue_url, MessageBody=envelope("github", "evt_lost")
    )
    moto_log = '{"level":"INFO","message":"accepted","delivery_id":"evt_lost"}\n'
    (journal.parent / "receiver.log").write_text(moto_log + '{"message":"accepted"}\n')
    index = {delivery.key: {"body_key": "archive/github/x/evt_lost.body"}}

    # The queue "lost" the message: it was sent, never received or deleted, and is gone.
    (found,) = gather_evidence(
        stack,  # type: ignore[arg-type]
        [(delivery, "lost", "acked, never processed")],
        index,
        Effects(),
        drained=True,
    )
    assert found["verdict"].startswith("emulator:")
    assert found["dedup"] == {"claimed_at": "1", "pk": delivery.key, "status": "enqueued"}
    assert found["archive"] == ["archive/github/x/evt_lost.body"]
    assert found["messages"]["sent"] == {"work": 1} and found["messages"]["received"] == 0
    assert found["logs"] == {"receiver: accepted": 1}
    assert found["effects"] == [] and found["statuses"] == [202]
