"""Intercom: a conversation.user.created notification as in developers.intercom.com/docs/
references/webhooks/webhook-models (notif_... id, topic)."""

from __future__ import annotations

import uuid
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "conversation.user.created"


def new_id() -> str:
    return f"notif_{uuid.uuid4()}"


def notification(topic: str, delivery_id: str, now: float) -> Any:
    return {
        "type": "notification_event",
        "app_id": "a86dr8yl",
        "data": {
            "type": "notification_event_data",
            "item": {
                "type": "conversation",
                "id": "147",
                "created_at": int(now),
                "source": {
                    "type": "conversation",
                    "delivered_as": "customer_initiated",
                    "subject": "",
                    "body": f"<p>Bonjour, j'ai une question 🙂 {NON_ASCII}</p>",
                    "author": {"type": "user", "id": "5310d8e8598c9a0b24000005", "name": "Zoë"},
                },
                "state": "open",
                "open": True,
            },
        },
        "links": {},
        "id": delivery_id,
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": int(now),
        "created_at": int(now),
        "self": None,
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(notification(event, delivery_id, now), event)
