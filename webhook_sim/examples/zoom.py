"""Zoom: meeting.started as in Zoom's event reference (developers.zoom.us/docs/api/meetings/events),
and the endpoint.url_validation handshake body."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "meeting.started"
TIMESTAMPED = True


def meeting(event: str, now: float) -> Any:
    return {
        "event": event,
        "event_ts": int(now * 1000),
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": "1234567890",
                "uuid": "4444AAAiAAAAAiAiAiiAii==",
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": f"Weekly sync {NON_ASCII}",
                "type": 8,
                "start_time": iso(now),
                "timezone": "America/Los_Angeles",
                "duration": 60,
            },
        },
    }


def url_validation(now: float, plain_token: str | None = None) -> Any:
    token = plain_token or secrets.token_urlsafe(16)
    return {
        "payload": {"plainToken": token},
        "event_ts": int(now * 1000),
        "event": "endpoint.url_validation",
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    # Zoom's delivery id travels in the x-zm-trackingid header, set by the scheme's signer.
    document = url_validation(now) if event == "endpoint.url_validation" else meeting(event, now)
    return json_sample(document, event)
