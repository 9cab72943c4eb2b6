"""ACK_POLICY: same HTTP contract; under `instant` the hand-off happens after the response."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient
from moto import mock_aws

from handler import wiring
from handler.aws import AwsClients
from handler.receive.api import create_app
from handler.receive.ingest import Receiver
from handler.retries import Backoff
from handler.settings import Settings
from infra.processes import EMULATOR_CREDENTIALS
from infra.resources import Resources, create_resources
from webhook_sim.senders import configured_source, sign, simulate

SECRET = "policy-secret"
SOURCES = {
    "gh": {"scheme": "github", "secrets": [SECRET]},
    "slack": {"scheme": "slack", "secrets": [SECRET]},
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    for name, value in EMULATOR_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield create_resources()


def make_receiver(resources: Resources, policy: str) -> Receiver:
    settings = Settings(
        ack_policy=policy,  # type: ignore[arg-type]
        webhook_sources=json.dumps({"sources": SOURCES}),
        archive_bucket=resources.bucket,
        work_queue_url=resources.queue_url,
        idempotency_table=resources.table,
    )
    clients = AwsClients.create(settings)
    receiver = wiring.receiver(settings, clients, wiring.sources(settings))
    receiver.sleep = lambda seconds: None
    return receiver


def post(client: TestClient, body: bytes, delivery: str, secret: str = SECRET) -> Any:
    signed = sign(
        configured_source("gh", SOURCES["gh"]),
        body,
        base_url=str(client.base_url),
        event_type="push",
        sender_id=delivery,
        secret=secret,
    )
    return client.post(signed.path, content=body, headers=signed.headers)


def queued(resources: Resources) -> list[str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=resources.queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"])["id"] for m in messages.get("Messages", [])]


def test_instant_acks_then_hands_off_once(aws: Resources) -> None:
    client = TestClient(create_app(make_receiver(aws, "instant")))
    delivery = str(uuid.uuid4())
    first = post(client, b'{"a": 1}', delivery)
    again = post(client, b'{"a": 1}', delivery)
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    # A retry cannot be told apart before the ack under `instant`: it gets 202 too ...
    assert again.status_code == 202
    # ... and, its claim finding the first copy's still live (no worker has held it), it is
    # enqueued too, counted as a duplicate: the worker's hold gives the two one effect.
    assert queued(aws) == [delivery, delivery]
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    key = {"pk": {"S": f"gh#{delivery}"}}
    assert dynamodb.get_item(TableName=aws.table, Key=key)["Item"]["duplicates"] == {"N": "1"}


@pytest.mark.parametrize("policy", ["durable", "instant"])
def test_a_sender_shaped_ack_is_the_same_under_both_policies(aws: Resources, policy: str) -> None:
    client = TestClient(create_app(make_receiver(aws, policy)))
    slash_command = simulate(
        configured_source("slack", SOURCES["slack"]),
        base_url=str(client.base_url),
        body=b"command=%2Fdeploy&text=prod&trigger_id=1.2",
        content_type="application/x-www-form-urlencoded",
        event_type="slash_command",
    )
    response = client.post(
        slash_command.path, content=slash_command.body, headers=slash_command.headers
    )
    assert response.status_code == 200 and response.content == b""  # Slack's empty ack
    assert queued(aws) == [response.headers["x-delivery-id"]]


def test_instant_still_refuses_bad_signatures_and_unknown_sources(aws: Resources) -> None:
    client = TestClient(create_app(make_receiver(aws, "instant")))
    assert post(client, b"{}", "d1", secret="wrong").status_code == 401
    assert client.post("/webhooks/nope", content=b"{}").status_code == 404
    assert queued(aws) == []


def test_durable_answers_duplicate_with_200(aws: Resources) -> None:
    client = TestClient(create_app(make_receiver(aws, "durable")))
    delivery = str(uuid.uuid4())
    assert post(client, b"{}", delivery).status_code == 202
    assert post(client, b"{}", delivery).json()["status"] == "duplicate"


def test_instant_retries_the_hand_off_then_reports_the_loss(
    aws: Resources, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver = make_receiver(aws, "instant")
    receiver.backoff = Backoff(attempts=3, first_delay=0.0)
    attempts: list[int] = []

    def refuse(envelope: Any, **_: Any) -> str:
        attempts.append(1)
        raise ClientError({"Error": {"Code": "ServiceUnavailable"}}, "SendMessage")

    object.__setattr__(receiver.queue, "send", refuse)
    response = post(TestClient(create_app(receiver)), b"{}", "lost-1")
    assert response.status_code == 202
    assert len(attempts) == 3
    assert any(
        r.getMessage() == "acknowledged delivery lost: hand-off failed after retries"
        for r in caplog.records
    )
    assert '"AcknowledgedDeliveryLost":[1.0]' in capsys.readouterr().out
    # The claim was released: the sender's own retry (if it makes one) is accepted again.
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    assert "Item" not in dynamodb.get_item(TableName=aws.table, Key={"pk": {"S": "gh#lost-1"}})


def test_durable_leaves_no_work_after_the_ack(aws: Resources) -> None:
    """The worker archives from the message: the ack's response carries no background task
    (on Lambda, no after-response wait either)."""
    receiver = make_receiver(aws, "durable")
    app = create_app(receiver)
    after: list[object] = []
    object.__setattr__(receiver, "after_ack", lambda accepted: after.append(accepted))
    assert post(TestClient(app), b"{}", "arch-1").status_code == 202
    assert after == [] and queued(aws) == ["arch-1"]
    s3 = boto3.client("s3", region_name="us-east-1")
    assert s3.list_objects_v2(Bucket=aws.bucket).get("Contents", []) == []
