"""SnapStart without AWS: the real awslambdaric with AWS_LAMBDA_INITIALIZATION_TYPE=snap-start,
against the fake Runtime API's snapshot, which drops every connection open when it is taken
(the extension's long poll, the AWS clients' pooled connections through a proxy).

After a restore the receiver must: post the 202 before its work after the ack (ACK_POLICY=instant
here: the claim and the message; under durable nothing follows the ack), do it, let the
environment go (the extension's `next`) only after that, and never hang past the deadline;
use no connection made before the snapshot; report the restore, not a cold start. Two
environments restored from one snapshot (infra/snapfork.py forks one per restore) must draw
different claim tokens and different retry jitter.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from aws_proxy import AwsProxy

from infra.events import signed_event
from infra.processes import EMULATOR_CREDENTIALS
from infra.resources import Resources, create_resources
from infra.runtime_api import FakeRuntimeAPI, Invocation
from webhook_sim.senders import configured_source

StartFunction = Callable[..., FakeRuntimeAPI]
GITHUB_CONFIG = {"scheme": "github", "secrets": ["snapstart-secret"]}
GITHUB = configured_source("github", GITHUB_CONFIG)
TIMEOUT = 6.0  # the function's timeout: every invocation must settle before it


@dataclass
class Stack:
    moto: str
    proxy: AwsProxy
    resources: Resources

    def client(self, service: str) -> Any:
        new_client: Any = boto3.client
        return new_client(service, endpoint_url=self.moto, region_name="us-east-1")

    def queued(self) -> list[str]:
        """The delivery ids of the messages in the work queue (taken off it)."""
        sqs = self.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=self.resources.queue_url, MaxNumberOfMessages=10
        ).get("Messages", [])
        for message in messages:
            sqs.delete_message(
                QueueUrl=self.resources.queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
        return [json.loads(message["Body"])["id"] for message in messages]

    def owner_token(self, delivery: str) -> str:
        items = self.client("dynamodb").scan(TableName=self.resources.table)["Items"]
        (item,) = [i for i in items if delivery in i["pk"]["S"]]
        return str(item["owner"]["S"])


@pytest.fixture
def stack(moto_endpoint: str) -> Iterator[Stack]:
    address = urlsplit(moto_endpoint)
    proxy = AwsProxy((address.hostname or "127.0.0.1", address.port or 0))
    try:
        yield Stack(moto_endpoint, proxy, create_resources(endpoint_url=moto_endpoint))
    finally:
        proxy.close()


def function_env(stack: Stack) -> dict[str, str]:
    sources = {"sources": {"github": GITHUB_CONFIG}}
    queue_name = urlsplit(stack.resources.queue_url).path.rsplit("/", 1)[-1]
    return {
        **EMULATOR_CREDENTIALS,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
        "AWS_ENDPOINT_URL": stack.proxy.url,
        "ARCHIVE_BUCKET": stack.resources.bucket,
        "IDEMPOTENCY_TABLE": stack.resources.table,
        # By name: init looks the URL up, so the SQS client holds a connection made before
        # the snapshot, as a client primed at init would.
        "WORK_QUEUE_URL": "",
        "WORK_QUEUE_NAME": queue_name,
        "WEBHOOK_SOURCES": json.dumps(sources),
        # The hand-off after the ack: work for the extension to hold the environment for.
        "ACK_POLICY": "instant",
        # Longer than the invocation: a stale connection that hangs would show as a hang.
        "AWS_READ_TIMEOUT": "30",
    }


def github_event(delivery: str) -> dict[str, Any]:
    body = json.dumps({"ref": "refs/heads/main", "delivery": delivery}).encode()
    return signed_event(GITHUB, body, event_type="push", sender_id=delivery)


def start(
    lambda_function: StartFunction, stack: Stack, output: Path, **options: Any
) -> FakeRuntimeAPI:
    return lambda_function(
        "snap_probe.handler",
        function_env(stack),
        output=output,
        snap_start=True,
        on_snapshot=stack.proxy.snapshot,
        timeout_seconds=TIMEOUT,
        **options,
    )


def deliver(api: FakeRuntimeAPI, stack: Stack) -> tuple[str, Invocation]:
    delivery = str(uuid.uuid4())
    invocation = api.invoke(github_event(delivery), timeout=TIMEOUT)
    response = invocation.json()
    assert response["statusCode"] == 202, response
    return delivery, invocation


def log_lines(output: Path) -> list[dict[str, Any]]:
    lines = []
    for line in output.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_snapshot_drops_the_extensions_long_poll(
    lambda_function: StartFunction, stack: Stack, tmp_path: Path
) -> None:
    """The harness itself: at the snapshot the extension was waiting on next, and that
    connection was dropped (as were the clients' pooled connections, by the proxy)."""
    api = start(lambda_function, stack, tmp_path / "function.log")
    assert api.snapshot_at > 0 and api.restores == 0
    assert list(api.extensions.values()) == ["webhook-after-response"]
    assert api.polls_at_snapshot == 1
    # Init made AWS calls (the queue URL): through the proxy, before the snapshot.
    assert any("GetQueueUrl" in r.line or "POST /" in r.line for r in stack.proxy.requests)


def test_after_a_restore_the_ack_goes_first_and_the_work_is_done_before_letting_go(
    lambda_function: StartFunction, stack: Stack, tmp_path: Path
) -> None:
    api = start(lambda_function, stack, tmp_path / "function.log")
    api.restore()

    for _ in range(2):  # the first invocation after the restore, and a warm one
        delivery, invocation = deliver(api, stack)
        (extension_next,) = invocation.extensions_next_at.values()
        after = [
            r.at
            for r in stack.proxy.requests
            if r.line.startswith("POST ") and r.at > invocation.responded_at
        ]
        assert len(after) >= 2, stack.proxy.requests  # the claim and the message
        assert max(after) < extension_next  # the environment was held until the hand-off
        assert extension_next - invocation.dispatched_at < TIMEOUT
        assert delivery in stack.queued()
    assert api.restore_error is None
    assert stack.proxy.stale_requests == 0, [r.line for r in stack.proxy.requests if r.stale]


def test_a_restore_is_logged_and_counted_as_a_restore_not_a_cold_start(
    lambda_function: StartFunction, stack: Stack, tmp_path: Path
) -> None:
    output = tmp_path / "function.log"
    api = start(lambda_function, stack, output)
    api.restore()
    first, _ = deliver(api, stack)
    second, _ = deliver(api, stack)

    lines = log_lines(output)
    by_delivery = {
        d: [line for line in lines if line.get("delivery_id") == d] for d in (first, second)
    }
    assert by_delivery[first] and by_delivery[second]
    assert all(line["cold_start"] is False for line in by_delivery[first] + by_delivery[second])
    assert all(line.get("restored") is True for line in by_delivery[first])
    assert not any("restored" in line for line in by_delivery[second])
    emf = [line for line in lines if "_aws" in line]
    assert sum(1 for line in emf if "Restore" in line) == 1
    assert not any("ColdStart" in line for line in emf)


def test_without_snapstart_the_first_invocation_is_a_cold_start(
    lambda_function: StartFunction, stack: Stack, tmp_path: Path
) -> None:
    output = tmp_path / "function.log"
    env = {**function_env(stack), "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}
    api = lambda_function("snap_probe.handler", env, output=output, timeout_seconds=TIMEOUT)
    first, invocation = deliver(api, stack)
    second, _ = deliver(api, stack)

    lines = log_lines(output)
    first_lines = [line for line in lines if line.get("delivery_id") == first]
    assert first_lines and all(line["cold_start"] is True for line in first_lines)
    # Powertools' Lambda context keys, as its inject_lambda_context set them.
    assert {line["function_request_id"] for line in first_lines} == {invocation.request_id}
    assert {line["function_name"] for line in first_lines} == {"receiver"}
    assert all(line["cold_start"] is False for line in lines if line.get("delivery_id") == second)
    emf = [line for line in lines if "_aws" in line]
    assert sum(1 for line in emf if "ColdStart" in line) == 1
    assert not any("Restore" in line for line in emf)


def test_two_environments_from_one_snapshot_draw_different_tokens_and_jitter(
    lambda_function: StartFunction, stack: Stack, tmp_path: Path
) -> None:
    api = start(lambda_function, stack, tmp_path / "function.log", launcher="infra.snapfork")
    drawn = []
    for _ in range(2):
        api.restore()  # a new environment, forked from the initialised process
        jitter = api.invoke({"probe": "jitter"}, timeout=TIMEOUT).json()["jitter"]
        delivery, invocation = deliver(api, stack)
        (extension_next,) = invocation.extensions_next_at.values()
        assert extension_next > invocation.responded_at
        assert delivery in stack.queued()
        drawn.append((jitter, stack.owner_token(delivery)))
    (jitter_1, token_1), (jitter_2, token_2) = drawn
    assert jitter_1 != jitter_2
    assert token_1 != token_2
    assert api.restore_error is None
    assert stack.proxy.stale_requests == 0
