"""A failed delivery explains itself to an operator: `webhooks show` and `list` display its last
error, and `webhooks redrive --dry-run` says why each DLQ message is there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cli_stack_helpers import CliStack

from handler.process.processors import Event
from handler.process.worker import handle_batch
from infra.local_worker import sqs_event
from webhook_sim.pytest_plugin import Processors

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich folds table columns to the terminal (80 columns under the test runner). Through
    COLUMNS, which Rich reads on each print: setting the console's width would outlive the test
    (undoing it pins the console to the 80 it measured)."""
    monkeypatch.setenv("COLUMNS", "240")


@pytest.fixture
def failing(processors: Processors) -> Iterator[None]:
    @processors("github", "cli.fails")
    def fails(event: Event) -> dict[str, Any]:
        raise RuntimeError("the billing API answered 502")

    yield


def test_last_error_in_show_list_and_the_dlq(
    cli_stack: CliStack, failing: None, processors: Processors
) -> None:
    cli_stack.drain()  # what earlier tests left in the queue
    sent = cli_stack.cli_json("send", "github", "--url", cli_stack.base_url, "-e", "cli.fails")
    delivery_id = str(sent["delivery_id"])
    sqs, queue, dlq = (
        cli_stack.client("sqs"),
        cli_stack.resources.queue_url,
        cli_stack.resources.dlq_url,
    )
    [message] = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"])["Messages"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    result = handle_batch(cli_stack.worker(), sqs_event([message], arn["QueueArn"]))
    assert result["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
    # What SQS does after maxReceiveCount: the same message, now in the DLQ.
    sqs.send_message(QueueUrl=dlq, MessageBody=message["Body"])
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    sqs.send_message(QueueUrl=dlq, MessageBody="not an envelope")
    reason = "RuntimeError: the billing API answered 502"

    shown = cli_stack.cli_json("show", delivery_id)
    assert shown["last_error"] == reason and shown["status"] == "enqueued"
    table = cli_stack.cli("show", delivery_id)
    assert table.exit_code == 0 and "last_error" in table.stdout and reason in table.stdout

    [row] = [r for r in cli_stack.cli_json("list", "--source", "github") if r["id"] == delivery_id]
    assert row["last_error"] == reason
    listed = cli_stack.cli("list", "--source", "github").stdout
    assert "last_error" in listed and reason in listed

    dry = cli_stack.cli_json("redrive", "--dry-run")
    assert dry["waiting"] == 2 and dry["moved"] == 0
    why = {m["id"]: m for m in dry["messages"]}
    assert why[delivery_id]["last_error"] == reason
    assert (why[delivery_id]["source"], why[delivery_id]["event_type"]) == ("github", "cli.fails")
    assert why[delivery_id]["failures"] == 1
    assert why[None]["last_error"].startswith("not an envelope")
    plain = cli_stack.cli("redrive", "--dry-run")
    assert plain.exit_code == 0 and reason in plain.stdout
    assert "2 message(s)" in plain.stdout
    # Looking changed nothing: both are still there, and visible.
    assert cli_stack.cli_json("redrive", "--dry-run")["waiting"] == 2

    # Leave the DLQ empty for the other tests: the envelope goes back, the junk is dropped.
    assert cli_stack.cli_json("redrive")["moved"] == 2
    processors.remove("github", "cli.fails")
    cli_stack.drain()
    junk = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    for leftover in junk:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=leftover["ReceiptHandle"])
    assert cli_stack.record("github", delivery_id)["status"] == "processed"
    assert json.loads(cli_stack.record("github", delivery_id)["outcome"])["processor"] == "default"
