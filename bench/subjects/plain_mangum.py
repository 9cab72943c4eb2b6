"""Context only: the same route on FastAPI + plain Mangum (BackgroundTasks before returning)."""

import hashlib
import hmac
import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from mangum import Mangum

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
