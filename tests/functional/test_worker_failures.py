"""Every failed record explains itself: one log line, its reason kept on the dedup record; a
busy delivery comes back when the lease holding it ends, instead of burning its receives."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handler.aws import AwsClients
from handler.process.processors import Event
from handler.process.worker import CLOCK_SKEW_SECONDS, Worker, check_queue_timing, handle_batch
from handler.settings import Settings
from handler.store.dedup import dedup_key
from handler.store.leases import LeaseRuleError
from handler.store.queue import WorkQueue
from infra.local_worker import sqs_event
from infra.resources import Resources
from support import sign
from webhook_sim.pytest_plugin import Processors

ARN = "arn:aws:sqs:us-east-1:123456789012:webhook-work"
SECRET_IN_BODY = "body-marker-never-logged"


@pytest.fixture
def failing_processors(processors: Processors) -> Iterator[None]:
    @processors("github", "fails.test")
    def fails(event: Event) -> dict[str, Any]:
        raise RuntimeError("the downstream said no")

    @processors("github", "reads.test")
    def reads(event: Event) -> dict[str, Any]:
        return {"payload": event.payload()}

    yield


def deliver(
    client: TestClient,
    delivery_id: str,
    event_type: str,
    body: bytes,
    content_type: str = "application/json",
) -> None:
    url, headers = sign(
        "github", body, delivery_id=delivery_id, event_type=event_type, content_type=content_type
    )
    assert client.post(url, content=body, headers=headers).status_code == 202


def receive_all(clients: AwsClients, resources: Resources) -> list[dict[str, Any]]:
    return list(
        clients.sqs.receive_message(
            QueueUrl=resources.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
        ).get("Messages", [])
    )


FIELDS = ("delivery_id", "source", "event_type", "message_id", "receive_count", "error_type")


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The worker's "record failed" lines, with the fields Powertools puts in the JSON."""
    return [
        {"message": r.getMessage(), "error": getattr(r, "error", None)}
        | {name: getattr(r, name, None) for name in FIELDS}
        | {"exc_info": r.exc_info}
        for r in caplog.records
        if r.getMessage() == "record failed"
    ]


def test_every_failure_path_logs_one_line_and_keeps_its_reason(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    failing_processors: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = json.dumps({"secret": SECRET_IN_BODY}).encode()
    deliver(client, "d-processor", "fails.test", body)
    deliver(client, "d-unreadable", "reads.test", b"\xff" + SECRET_IN_BODY.encode(), "text/plain")
    deliver(client, "d-tampered", "push", body)
    deliver(client, "d-busy", "push", body)
    worker.dedup.hold_for_processing(dedup_key("github", "d-busy"), worker.clock())
    messages = receive_all(clients, resources)
    by_id = {json.loads(m["Body"])["id"]: m for m in messages}
    tampered = json.loads(by_id["d-tampered"]["Body"])
    tampered["body_b64"] = "e30="
    by_id["d-tampered"]["Body"] = json.dumps(tampered)
    poison = {**messages[0], "MessageId": "poison", "Body": '{"id": "' + SECRET_IN_BODY + '"'}
    caplog.clear()

    result = handle_batch(worker, sqs_event([*by_id.values(), poison], ARN))

    assert len(result["batchItemFailures"]) == 5
    found = failure_lines(caplog)
    assert len(found) == 5  # one line per failed record
    # Neither the body nor a quoted piece of it, on any line.
    assert SECRET_IN_BODY not in caplog.text and SECRET_IN_BODY not in repr(found)
    lines = {line["delivery_id"] or line["message_id"]: line for line in found}
    expected = {
        "d-processor": ("RuntimeError", "the downstream said no"),
        "d-unreadable": ("UnreadablePayload", "neither JSON nor a form"),
        "d-tampered": ("BodyMismatch", "does not match its sha256"),
        "d-busy": ("DeliveryBusy", "another worker holds its processing lease until"),
        "poison": ("ValidationError", "not an envelope"),
    }
    for key, (error_type, says) in expected.items():
        line = lines[key]
        assert line["error_type"] == error_type and says in line["error"], line
        assert line["receive_count"] == "1"
        assert line["exc_info"] is None  # a reason, not a trace
        if key != "poison":
            assert (line["source"], line["delivery_id"]) == ("github", key)
            assert line["event_type"] == json.loads(by_id[key]["Body"])["event_type"]
            record = worker.dedup.get(dedup_key("github", key))
            assert record is not None and says in record["last_error"], record
            assert record["last_error"].startswith(error_type)
            assert record["failures"] == "1"


def test_a_busy_delivery_is_sent_back_for_the_rest_of_the_lease(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    calls: list[dict[str, Any]] = []

    class Spy:
        def change_message_visibility(self, **kwargs: Any) -> Any:
            calls.append(kwargs)
            return clients.sqs.change_message_visibility(**kwargs)

    now = 1_900_000_000.0
    deferring = dataclasses.replace(
        worker, queue=WorkQueue(Spy(), resources.queue_url), clock=lambda: now
    )
    deliver(client, "held", "push", b"{}")
    key = dedup_key("github", "held")
    worker.dedup.hold_for_processing(key, now - 20)  # another worker, 20 s into its lease
    lease_until = worker.dedup.lease_until(key)
    assert lease_until == int(now - 20) + worker.dedup.processing_lease_seconds

    [message] = receive_all(clients, resources)
    result = handle_batch(deferring, sqs_event([message], ARN))

    assert result["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
    # Back one second after the lease ends (whole-second stamps) and one for the skew between
    # the two workers' clocks, not after every visibility timeout until maxReceiveCount sends
    # it to the DLQ.
    assert calls == [
        {
            "QueueUrl": resources.queue_url,
            "ReceiptHandle": message["ReceiptHandle"],
            "VisibilityTimeout": lease_until + 1 + CLOCK_SKEW_SECONDS - int(now),
        }
    ]
    assert receive_all(clients, resources) == []  # hidden until then


def test_the_worker_refuses_a_lease_its_queue_would_dead_letter(
    settings: Settings, clients: AwsClients, resources: Resources
) -> None:
    queue = WorkQueue(clients.sqs, resources.queue_url)  # 30 s x 5 receives
    with pytest.raises(LeaseRuleError, match="maxReceiveCount 5"):
        check_queue_timing(settings.model_copy(update={"processing_lease_seconds": 300}), queue)
    check_queue_timing(settings, queue)  # the default 60 s lease fits
