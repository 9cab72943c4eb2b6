"""HubSpot: a batch of CRM subscription events as in developers.hubspot.com/docs/api/webhooks
(a JSON array; each event has its own eventId)."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "contact.propertyChange"
TIMESTAMPED = True


def batch(event: str, delivery_id: str, now: float) -> Any:
    base = abs(hash(delivery_id)) % 10**9
    return [
        {
            "eventId": base + index,
            "subscriptionId": 2347110,
            "portalId": 62515,
            "appId": 1160452,
            "occurredAt": int(now * 1000),
            "subscriptionType": event,
            "attemptNumber": 0,
            "objectId": 123 + index,
            "changeSource": "CRM",
            "propertyName": "firstname",
            "propertyValue": name,
        }
        for index, name in enumerate(["Zoë", "Ångström", "你好"])
    ]


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(batch(event, delivery_id, now), event)
