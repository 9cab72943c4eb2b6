"""The baseline: a bare Lambda handler doing the same verify + response, with two boto3 clients."""

import base64
import hashlib
import hmac
import json
import os

import boto3

s3 = boto3.client("s3")
sqs = boto3.client("sqs")
SECRET = os.environ["BENCH_SECRET"].encode()


def handler(event, context):  # type: ignore[no-untyped-def]
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    headers = event.get("headers") or {}
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("x-hub-signature-256", "")):
        return {"statusCode": 401, "body": '{"error":"invalid_signature"}'}
    delivery = headers.get("x-github-delivery")
    return {
        "statusCode": 202,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"id": delivery, "source": "github", "status": "accepted"}),
    }
