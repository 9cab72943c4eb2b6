"""Segment: a track call as the Webhooks destination posts it (Segment's Spec); the delivery id
is the message's `messageId`."""

from __future__ import annotations

import uuid
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "track"
TIMESTAMPED = False


def new_id() -> str:
    return f"ajs-next-{uuid.uuid4().hex}"


def track(message_id: str, kind: str, at: str) -> Any:
    """https://segment.com/docs/connections/spec/track/ (the example track call)."""
    return {
        "anonymousId": "23adfd82-aa0f-45a7-a756-24f2a7a4c895",
        "context": {
            "library": {"name": "analytics.js", "version": "2.11.1"},
            "page": {"path": "/academy/", "title": "Analytics Academy"},
            "locale": "sv-SE",
            "ip": "108.0.78.21",
        },
        "event": "Course Clicked",
        "integrations": {},
        "messageId": message_id,
        "properties": {"title": f"Intro to Analytics — {NON_ASCII}", "author": "Zoë Ångström"},
        "receivedAt": at,
        "sentAt": at,
        "timestamp": at,
        "type": kind,
        "userId": "user123",
        "version": 2,
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(track(delivery_id, event, iso(now, millis=True)), event)
