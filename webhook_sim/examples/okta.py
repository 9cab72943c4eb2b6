"""Okta: an event hook delivery (user.session.start) as in
developer.okta.com/docs/concepts/event-hooks/#sample-event-delivery-payload."""

from __future__ import annotations

import uuid
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "user.session.start"
SIGNS_BODY = False  # Okta authenticates with a header; nothing covers the body


def delivery(event: str, delivery_id: str, now: float) -> Any:
    return {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": "https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3",
        "eventId": delivery_id,
        "data": {
            "events": [
                {
                    "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, delivery_id)),
                    "published": iso(now, millis=True),
                    "eventType": event,
                    "version": "0",
                    "displayMessage": "User login to Okta",
                    "severity": "INFO",
                    "actor": {
                        "id": "00u1qw1mqitPHM8AJ0g7",
                        "type": "User",
                        "alternateId": "zoe.angstrom@example.com",
                        "displayName": "Zoë Ångström 你好",
                    },
                    "outcome": {"result": "SUCCESS"},
                    "client": {
                        "ipAddress": "203.0.113.7",
                        "geographicalContext": {"city": "Malmö"},
                    },
                }
            ]
        },
        "eventTime": iso(now, millis=True),
        "contentType": "application/json",
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(delivery(event, delivery_id, now), event)
