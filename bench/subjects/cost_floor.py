"""The floor of this pipeline, for the cost case: what any receiver that verifies, dedups and
queues must do, and no more.

Receiver: verify GitHub's HMAC, one conditional PutItem (the dedup claim), one SendMessage with
the body inline, answer 202. Worker: take the batch and report no failure (the poller deletes
what it was handed). No archive, no logs, no metrics.

    uvicorn bench.subjects.cost_floor:app    the receiver over HTTP (as `make run` serves ours)
    python -m bench.subjects.cost_floor      the worker loop (as infra/local_worker.py polls)

`lambda_handler` and `worker_handler` are the same two as Lambda entry points (the cost case
times them in-process).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import threading
import time
from typing import Any

import boto3
from botocore.config import Config

SECRET = os.environ.get("FLOOR_GITHUB_SECRET", "demo-github-secret").encode()
TABLE = os.environ.get("IDEMPOTENCY_TABLE", "webhook-idempotency")
QUEUE_URL = os.environ.get("WORK_QUEUE_URL", "")
CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2})
dynamodb = boto3.client("dynamodb", config=CONFIG)
sqs = boto3.client("sqs", config=CONFIG)
Answer = tuple[int, dict[str, str]]


def accept(body: bytes, headers: dict[str, str]) -> Answer:
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("x-hub-signature-256", "")):
        return 401, {"error": "invalid_signature"}
    delivery = headers.get("x-github-delivery", "")
    try:
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": f"github#{delivery}"},
                "status": {"S": "enqueued"},
                "expires_at": {"N": str(int(time.time()) + 259200)},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return 200, {"id": delivery, "status": "duplicate"}
    message = {"id": delivery, "source": "github", "body": base64.b64encode(body).decode()}
    sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps(message))
    return 202, {"id": delivery, "source": "github", "status": "accepted"}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) in, the answer out."""
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    status, answer = accept(body, headers)
    return {"statusCode": status, "body": json.dumps(answer)}


def worker_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event["Records"]:
        json.loads(record["body"])  # a processor would start here
    return {"batchItemFailures": []}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The receiver as a bare ASGI app (no framework: this is the floor)."""
    if scope["type"] != "http":
        return
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    if scope["method"] == "GET":  # /health, for the process starter
        status, answer = 200, {"status": "ok"}
    else:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status, answer = accept(b"".join(chunks), headers)
    data = json.dumps(answer).encode()
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(data)),
    ]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": data})


def poll(stop: threading.Event) -> None:
    """Receive up to 10, hand them to the worker, delete them: the event source mapping's job."""
    while not stop.is_set():
        messages = sqs.receive_message(
            QueueUrl=QUEUE_URL, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        if not messages:
            continue
        records = [{"body": m["Body"], "messageId": m["MessageId"]} for m in messages]
        worker_handler({"Records": records}, None)
        sqs.delete_message_batch(
            QueueUrl=QUEUE_URL,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )


def main() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"floor worker: polling {QUEUE_URL}", flush=True)
    poll(stop)


if __name__ == "__main__":
    main()
