"""Every AWS request one clean delivery costs, counted on the clients themselves (botocore's
`before-call` event) while the real route and the real worker loop run over mock_aws.

The issue-21 baseline (the layout before `.delivery`): 3.64 S3 PutObject, 1 HeadObject,
1 PutItem + 3 UpdateItem and 3 sequential round trips before the ack per delivery.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handler.aws import AwsClients
from handler.process.worker import Worker
from handler.settings import Settings
from infra.local_worker import poll_once
from infra.resources import Resources
from support import body_for, sign

DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@contextmanager
def counting(clients: AwsClients) -> Iterator[list[str]]:
    """`service.Operation` for every call the three clients make inside the block, in order."""
    calls: list[str] = []
    hooks = []
    for name in ("s3", "sqs", "dynamodb"):
        events = getattr(clients, name).meta.events

        def note(model: Any, _name: str = name, **_: Any) -> None:
            calls.append(f"{_name}.{model.name}")

        events.register("before-call", note)
        hooks.append((events, note))
    try:
        yield calls
    finally:
        for events, note in hooks:
            events.unregister("before-call", note)


def one_delivery(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    body: bytes,
    delivery_id: str,
) -> tuple[list[str], Counter[str]]:
    """(calls made while the request was answered, every call of receiver + worker)."""
    url, headers = sign("github", body, delivery_id=delivery_id, event_type="push")
    with counting(clients) as before_ack:
        # TestClient returns once the response and any background task are done: what
        # happens here is at most the work before the ack plus the work after it.
        assert client.post(url, content=body, headers=headers).status_code == 202
    arn = "arn:aws:sqs:us-east-1:123456789012:webhook-work"
    with counting(clients) as worker_calls:
        assert poll_once(worker, clients.sqs, resources.queue_url, arn, wait_seconds=0) == (1, 0)
    return before_ack, Counter(before_ack + worker_calls)


@pytest.mark.parametrize("large", [False, True], ids=["inline", "claim-check"])
def test_one_clean_delivery_costs_one_put_no_head_three_writes_two_round_trips(
    large: bool,
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    settings: Settings,
) -> None:
    body = body_for("github", "push", "counted")
    if large:
        body = b'{"pad": "' + b"p" * settings.claim_check_bytes + b'"}'
    before_ack, total = one_delivery(client, clients, resources, worker, body, "counted")
    print(f"\nper delivery ({'claim-check' if large else 'inline'}): {dict(sorted(total.items()))}")
    print(f"before the ack: {before_ack}")
    assert total["s3.PutObject"] == 1
    assert total["s3.HeadObject"] == 0
    assert sum(total[f"dynamodb.{op}"] for op in DYNAMODB_WRITES) <= 3
    # Sequential round trips before the ack: the claim and the message (the claim-check
    # object first for a large body: the documented exception). None after it.
    assert before_ack == (
        ["dynamodb.PutItem", "s3.PutObject", "sqs.SendMessage"]
        if large
        else ["dynamodb.PutItem", "sqs.SendMessage"]
    )
    assert total["sqs.SendMessage"] == 1
    listing = clients.s3.list_objects_v2(Bucket=resources.bucket, Prefix="archive/")
    [key] = [item["Key"] for item in listing["Contents"]]  # one object, the whole archive
    assert worker.archive.read(key).body == body
