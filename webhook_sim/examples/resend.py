"""Resend: an email.delivered event; the delivery id travels in svix-id."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "email.delivered"
TIMESTAMPED = True


def resend_event(event: str, at_iso: str) -> Any:
    """https://resend.com/docs/dashboard/webhooks/event-types (email.delivered)."""
    return {
        "type": event,
        "created_at": at_iso,
        "data": {
            "broadcast_id": "8b146471-e88e-4322-86af-016cd36fd216",
            "created_at": at_iso,
            "email_id": "56761188-7520-42d8-8898-ff6fc54ce618",
            "from": "Acme <onboarding@resend.dev>",
            "to": ["delivered@resend.dev"],
            "subject": f"Sending this example — {NON_ASCII}",
            "tags": {"category": "confirm_email"},
        },
    }


def new_id() -> str:
    return "msg_" + secrets.token_urlsafe(20)


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = resend_event(event, iso(now, millis=True))
    return json_sample(document, event)
