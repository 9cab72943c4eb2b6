"""Mandrill: a batch of message events as Mandrill posts it (a form whose `mandrill_events`
field is the JSON array), after Mailchimp Transactional's webhook event format."""

from __future__ import annotations

import json
import secrets
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, form_sample

ENCODINGS: tuple[Encoding, ...] = ("form",)
DEFAULT_EVENT = "send"
TIMESTAMPED = False


def message_event(event: str, message_id: str, at: int) -> Any:
    """https://mailchimp.com/developer/transactional/docs/webhooks/#message-events"""
    return {
        "event": event,
        "_id": message_id,
        "ts": at,
        "msg": {
            "ts": at,
            "_id": message_id,
            "state": "sent",
            "subject": f"Your order — {NON_ASCII}",
            "email": "zoe@example.com",
            "sender": "shop@example.com",
            "tags": ["order-confirmation"],
            "opens": [],
            "clicks": [],
            "smtp_events": [],
            "resends": [],
            "metadata": {"user_id": "111", "name": "Zoë Ångström"},
            "template": None,
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    # No delivery id: each message's _id (new per sample) makes each body its own.
    events = [message_event(event, secrets.token_hex(16), int(now))]
    return form_sample({"mandrill_events": json.dumps(events, ensure_ascii=False)}, event)
