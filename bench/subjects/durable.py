"""The bare handler and the FastAPI floor doing the receiver's durable work, for the SnapStart
case: verify, claim (a conditional DynamoDB put), message (SQS), mark (DynamoDB update),
archive (two S3 puts), against the same moto server and with the same botocore clients as ours.

`renew()` is their after-restore duty, done the cheapest correct way (new clients from the same
session, a new seed): what a bare handler made snapshot-safe would do.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import time
import uuid
from typing import Any

import botocore.session
from botocore.config import Config

SECRET = os.environ["BENCH_SECRET"].encode()
TABLE = os.environ["IDEMPOTENCY_TABLE"]
QUEUE_URL = os.environ["WORK_QUEUE_URL"]
BUCKET = os.environ["ARCHIVE_BUCKET"]
SESSION = botocore.session.get_session()
CONFIG = Config(connect_timeout=1, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"})


def new_clients() -> dict[str, Any]:
    region = os.environ.get("AWS_REGION", "us-east-1")
    return {
        name: SESSION.create_client(name, region_name=region, config=CONFIG)
        for name in ("s3", "sqs", "dynamodb")
    }


clients = new_clients()


def renew() -> None:
    global clients
    clients = new_clients()
    random.seed()


def accept(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Verify and make durable; returns the status and the ack. The archive is `archive()`."""
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("x-hub-signature-256", "")):
        return 401, {"error": "invalid_signature"}
    delivery = headers.get("x-github-delivery", "")
    key = {"pk": {"S": f"github#{delivery}"}}
    clients["dynamodb"].put_item(
        TableName=TABLE,
        Item={
            **key,
            "status": {"S": "claimed"},
            "owner": {"S": uuid.uuid4().hex},
            "expires_at": {"N": str(int(time.time()) + 345600)},
        },
        ConditionExpression="attribute_not_exists(pk)",
    )
    message = {"id": delivery, "source": "github", "body": base64.b64encode(body).decode()}
    clients["sqs"].send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps(message))
    clients["dynamodb"].update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "enqueued"}},
    )
    return 202, {"id": delivery, "source": "github", "status": "accepted"}


def archive(body: bytes, headers: dict[str, str]) -> None:
    delivery = headers.get("x-github-delivery", "")
    prefix = f"archive/github/{delivery}"
    clients["s3"].put_object(Bucket=BUCKET, Key=f"{prefix}.body", Body=body)
    meta = json.dumps({"headers": headers, "size": len(body)}).encode()
    clients["s3"].put_object(Bucket=BUCKET, Key=f"{prefix}.json", Body=meta)


def bare_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    headers = event.get("headers") or {}
    status, ack = accept(body, headers)
    if status == 202:
        archive(body, headers)  # a bare handler has no after-response: before it returns
    return {"statusCode": status, "body": json.dumps(ack)}


def floor_handler() -> Any:
    """A plain FastAPI + Mangum route doing the same (imported only for that subject)."""
    from fastapi import BackgroundTasks, FastAPI, Request
    from fastapi.responses import JSONResponse
    from mangum import Mangum

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/webhooks/{source}")
    async def receive(source: str, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        body = await request.body()
        headers = dict(request.headers)
        status, ack = accept(body, headers)
        if status == 202:
            tasks.add_task(archive, body, headers)
        return JSONResponse(ack, status)

    return Mangum(app, lifespan="off")
