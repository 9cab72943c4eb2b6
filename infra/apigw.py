"""API Gateway HTTP API (payload format 2.0) events, as Lambda receives them: for `make events`,
the Lambda harness tests and the benches. Imports nothing of the receiver, so a bench can build
events before the receiver's modules load."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# What API Gateway puts around a request (an HTTP API with the $default stage).
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
API_ID = "abcdef1234"
DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
SOURCE_IP = "192.0.2.10"  # TEST-NET-1
BASE_URL = f"https://{DOMAIN}"

# API Gateway passes these bodies as text; anything else arrives base64-encoded.
TEXT_TYPES = ("application/json", "text/", "application/xml", "application/javascript")


def stable_id(now: float, *parts: str) -> str:
    """An id that depends only on `now` and the names given: reproducible output."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{int(now)}/{'/'.join(parts)}"))


def _request_time(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def http_api_event(
    method: str,
    path: str,
    *,
    now: float | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    query: str = "",
    route_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    user_agent: str = "curl/8.5.0",
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event, shaped as API Gateway sends it to the integration."""
    now = time.time() if now is None else now
    request_id = stable_id(now, "request", method, path, query)
    all_headers = {
        "host": DOMAIN,
        "user-agent": user_agent,
        "x-amzn-trace-id": f"Root=1-{int(now):08x}-{request_id.replace('-', '')[:24]}",
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body is not None:
        all_headers["content-length"] = str(len(body))
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    route_key = route_key or f"{method} {path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": dict(sorted(all_headers.items())),
    }
    if query:
        params: dict[str, str] = {}
        for item in query.split("&"):
            name, _, value = item.partition("=")
            params[name] = f"{params[name]},{value}" if name in params else value
        event["queryStringParameters"] = params
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": DOMAIN,
        "domainPrefix": API_ID,
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": SOURCE_IP,
            "userAgent": all_headers["user-agent"],
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": _request_time(now),
        "timeEpoch": int(now * 1000),
    }
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body is not None:
        content_type = all_headers.get("content-type", "")
        if content_type.startswith(TEXT_TYPES):
            event["body"] = body.decode()
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event
