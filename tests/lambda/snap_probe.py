"""The receiver (handler.main) as a Lambda handler, plus one probe event: {"probe": "jitter"}
returns the retry jitter this environment draws next (handler.retries, after-ack retries)."""

from __future__ import annotations

from typing import Any

from handler.main import lambda_handler as receiver
from handler.retries import DEFAULT_BACKOFF


def handler(event: dict[str, Any], context: Any) -> Any:
    if event.get("probe") == "jitter":
        return {"jitter": [DEFAULT_BACKOFF.delay(3) for _ in range(4)]}
    return receiver(event, context)
