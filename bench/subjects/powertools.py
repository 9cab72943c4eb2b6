"""The same handler on Powertools' APIGatewayHttpResolver, with two boto3 clients."""

import base64
import hashlib
import hmac
import json
import os

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

s3 = boto3.client("s3")
sqs = boto3.client("sqs")
SECRET = os.environ["BENCH_SECRET"].encode()
app = APIGatewayHttpResolver()


@app.post("/webhooks/<source>")
def receive(source: str) -> Response[str]:
    event = app.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, event.headers.get("x-hub-signature-256", "")):
        return Response(401, "application/json", '{"error":"invalid_signature"}')
    delivery = event.headers.get("x-github-delivery")
    payload = {"id": delivery, "source": source, "status": "accepted"}
    return Response(202, "application/json", json.dumps(payload))


def handler(event, context):  # type: ignore[no-untyped-def]
    return app.resolve(event, context)
