"""Heroku: an api:release update as Heroku's app webhooks post it; the delivery id is the body's
`webhook_metadata.delivery.id`."""

from __future__ import annotations

import uuid
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "api:release"
TIMESTAMPED = False


def heroku_release(event_id: str, at_iso: str) -> Any:
    """https://devcenter.heroku.com/articles/app-webhooks (an api:release event, as the
    webhook-events reference shows it)."""
    return {
        "id": event_id,
        "data": {
            "id": "e3d5a3e3-ab6e-4c92-8dbc-c6cb9e1d3a3b",
            "app": {"id": "1c0e7e6c-2d6d-4b4e-8e3f-8b4e7c9ac5c2", "name": "zoë-app"},
            "user": {"id": "a9e0d2c3-3b6b-4a4c-9e5c-0d7a0e6e8b11", "email": "zoe@example.com"},
            "slug": {"id": "98a3a3f6-0f41-4b5e-9d5b-5b4f1f6f4d4e"},
            "status": "succeeded",
            "version": 13,
            "current": True,
            "description": f"Deploy 3f4c2b1 — {NON_ASCII}",
            "created_at": at_iso,
            "updated_at": at_iso,
        },
        "actor": {"id": "a9e0d2c3-3b6b-4a4c-9e5c-0d7a0e6e8b11", "email": "zoe@example.com"},
        "action": "update",
        "version": "application/vnd.heroku+json; version=3",
        "resource": "release",
        "sequence": None,
        "created_at": at_iso,
        "updated_at": at_iso,
        "published_at": at_iso,
        "previous_data": {"status": "pending"},
        "webhook_metadata": {
            "attempt": {"id": "d8f0c3f5-5b1a-4b8a-8f7e-0a2a2a7a7b7b"},
            "delivery": {"id": "0fa1b5e2-3c5e-4f59-9f33-bb6c7bbd2f1c"},
            "event": {"id": event_id, "include": "api:release"},
            "webhook": {"id": "5a1e2b3c-4d5e-6f70-8a9b-0c1d2e3f4a5b"},
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = heroku_release(str(uuid.uuid4()), iso(now))
    document["webhook_metadata"]["delivery"]["id"] = delivery_id
    document["webhook_metadata"]["event"]["include"] = event
    return json_sample(document, event)
