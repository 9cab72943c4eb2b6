"""Send signed deliveries through the receiver app, drain the worker once; read the console's
CSRF token from a page."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from handler.process.worker import Worker
from infra.local_worker import poll_once
from support import sign
from webhooks_cli.operations import Operations

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token-0123456789"


def deliver(
    client: TestClient,
    source: str,
    body: bytes,
    *,
    event_type: str = "push",
    content_type: str = "application/json",
    extra_headers: dict[str, str] | None = None,
    delivery_id: str | None = None,
) -> str:
    delivery_id = delivery_id or str(uuid.uuid4())
    url, headers = sign(
        source, body, event_type=event_type, delivery_id=delivery_id, content_type=content_type
    )
    answer = client.post(url, content=body, headers={**headers, **(extra_headers or {})})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def drain(worker: Worker, operations: Operations) -> tuple[int, int]:
    sqs = operations.clients.sqs
    arn = sqs.get_queue_attributes(QueueUrl=operations.queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    return poll_once(worker, sqs, operations.queue_url, arn, wait_seconds=0)
