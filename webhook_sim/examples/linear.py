"""Linear: an Issue create event as in linear.app/developers/webhooks (Linear-Delivery is the id,
webhookTimestamp in ms inside the signed body)."""

from __future__ import annotations

import uuid
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "Issue"
TIMESTAMPED = True


def issue(now: float) -> Any:
    return {
        "action": "create",
        "type": "Issue",
        "createdAt": iso(now, millis=True),
        "organizationId": "9f4b1a5c-8e47-4f2e-a2a1-3b7c8a1d2e3f",
        "url": "https://linear.app/acme/issue/ENG-123",
        "webhookTimestamp": int(now * 1000),
        "webhookId": "000042e3-d123-4980-b49f-8e140eef9329",
        "data": {
            "id": str(uuid.uuid4()),
            "identifier": "ENG-123",
            "title": f"Échec de synchronisation {NON_ASCII}",
            "priority": 2,
            "state": {"id": "7f2e", "name": "Todo", "type": "unstarted"},
            "team": {"id": "72b2a2dc", "key": "ENG", "name": "Engineering"},
            "labels": [{"id": "b1", "name": "bug", "color": "#eb5757"}],
            "createdAt": iso(now, millis=True),
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = issue(now)
    document["type"] = event
    return json_sample(document, event)
