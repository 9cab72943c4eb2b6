"""The floor of any FastAPI receiver: the bare handler's verify + answer (and its two boto3
clients) as a FastAPI route behind plain Mangum, with no storage, logs or metrics. Ours can only
be slower; the gap between the two is our own work."""

import hashlib
import hmac
import os

import boto3
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from mangum import Mangum

s3 = boto3.client("s3")
sqs = boto3.client("sqs")
SECRET = os.environ["BENCH_SECRET"].encode()
app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/webhooks/{source}")
async def receive(source: str, request: Request) -> JSONResponse:
    body = await request.body()
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", "")):
        return JSONResponse({"error": "invalid_signature"}, status_code=401)
    delivery = request.headers.get("x-github-delivery")
    return JSONResponse({"id": delivery, "source": source, "status": "accepted"}, 202)


handler = Mangum(app, lifespan="off")
