"""Zendesk: a user.created event webhook as in Zendesk's webhooks event reference; the delivery
id travels in X-Zendesk-Webhook-Invocation-Id."""

from __future__ import annotations

import uuid
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "zen:event-type:user.created"
TIMESTAMPED = True


def new_id() -> str:
    return str(uuid.uuid4().int % 10**17)  # an invocation id is a number, e.g. 8350205582


def user_event(event: str, at: str) -> Any:
    """https://developer.zendesk.com/api-reference/webhooks/event-types/user-events/"""
    return {
        "account_id": 22129848,
        "detail": {
            "created_at": at,
            "email": "zoe@example.com",
            "external_id": "",
            "default_group_id": "0",
            "id": "7421458190592",
            "organization_id": "0",
            "role": "end-user",
            "updated_at": at,
        },
        "event": {},
        "id": str(uuid.uuid4()),
        "subject": "zen:user:7421458190592",
        "time": at,
        "type": event,
        "zendesk_event_version": "2022-06-20",
        "name_note": f"Zoë Ångström — {NON_ASCII}",
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(user_event(event, iso(now)), event)
