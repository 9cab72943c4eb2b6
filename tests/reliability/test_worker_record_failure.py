"""Found by `make reliability` (cell dynamodb:500): one effect became two.

The processor ran, then recording "processed" failed once (DynamoDB 500/throttling twice in a
row, past botocore's own retry). The record was reported failed, SQS redelivered it after the
processing lease ran out, and the processor ran a second time. Recording the outcome is a
conditional write on our own token, so retrying it is safe: it must be retried before the
record is given up.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from handler.aws import AwsClients
from handler.process.processors import Event
from handler.process.worker import Worker, handle_batch
from handler.store.dedup import dedup_key
from infra.local_worker import sqs_event
from infra.resources import Resources
from support import sign
from webhook_sim.pytest_plugin import Processors

EFFECTS: list[str] = []


@pytest.fixture
def counting_processor(processors: Processors) -> Iterator[list[str]]:
    EFFECTS.clear()

    @processors("github", "reliability.count")
    def count(event: Event) -> dict[str, Any]:
        EFFECTS.append(event.id)
        return {"n": len(EFFECTS)}

    yield EFFECTS


class FlakyDynamoDB:
    """Passes everything through, but the first `failures` outcome writes are throttled."""

    def __init__(self, real: Any, failures: int) -> None:
        self.real = real
        self.failures = failures

    def update_item(self, **kwargs: Any) -> Any:
        if ":outcome" in kwargs.get("ExpressionAttributeValues", {}) and self.failures > 0:
            self.failures -= 1
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "UpdateItem"
            )
        return self.real.update_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_failed_outcome_write_does_not_run_the_processor_twice(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    counting_processor: list[str],
) -> None:
    body = b'{"n": 1}'
    url, headers = sign(
        "github", body, delivery_id="record-fails-once", event_type="reliability.count"
    )
    assert client.post(url, content=body, headers=headers).status_code == 202
    messages = clients.sqs.receive_message(QueueUrl=resources.queue_url)["Messages"]
    event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:webhook-work")

    flaky = dataclasses.replace(
        worker.dedup, dynamodb=FlakyDynamoDB(worker.dedup.dynamodb, failures=1)
    )
    flaky_worker = dataclasses.replace(worker, dedup=flaky)
    with contextlib.suppress(TypeError):  # a Worker without a sleep hook: it really sleeps
        flaky_worker = dataclasses.replace(flaky_worker, sleep=lambda seconds: None)
    first = handle_batch(flaky_worker, event)
    # Later deliveries of the same message find the lease expired (as after 300 s).
    later = dataclasses.replace(worker, clock=lambda: worker.clock() + 10_000)
    for _ in range(3):
        if not handle_batch(later, event)["batchItemFailures"]:
            break

    assert counting_processor == ["record-fails-once"], (first, counting_processor)
    state = worker.dedup.get(dedup_key("github", "record-fails-once"))
    assert state is not None and state["status"] == "processed"


def test_an_outcome_that_cannot_be_recorded_is_not_retried(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    counting_processor: list[str],
) -> None:
    """DynamoDB down for every retry after the effect: SQS must not redeliver (second effect)."""
    body = b'{"n": 2}'
    url, headers = sign("github", body, delivery_id="record-never", event_type="reliability.count")
    assert client.post(url, content=body, headers=headers).status_code == 202
    messages = clients.sqs.receive_message(QueueUrl=resources.queue_url)["Messages"]
    event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:webhook-work")
    down = dataclasses.replace(
        worker.dedup, dynamodb=FlakyDynamoDB(worker.dedup.dynamodb, failures=1_000)
    )
    result = handle_batch(dataclasses.replace(worker, dedup=down, sleep=lambda _: None), event)
    assert result["batchItemFailures"] == []
    assert counting_processor == ["record-never"]
    state = worker.dedup.get(dedup_key("github", "record-never"))
    assert state is not None and state["status"] == "processing"
