"""Typeform: form_response; the delivery id is the body's `event_id`."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "form_response"
TIMESTAMPED = False


def typeform_response(event_id: str, at_iso: str) -> Any:
    """https://www.typeform.com/developers/webhooks/example-payload/ (form_response)."""
    return {
        "event_id": event_id,
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": "a3a12ec67a1365927098a606107fac15",
            "submitted_at": at_iso,
            "landed_at": at_iso,
            "calculated": {"score": 9},
            "definition": {
                "id": "lT4Z3j",
                "title": "Webhooks example",
                "fields": [
                    {
                        "id": "DlXFaesGBpoF",
                        "title": "Thanks, {{answer_60906475}}! What's it like where you live?",
                        "type": "long_text",
                        "ref": "readable_ref_long_text",
                        "properties": {},
                    },
                    {
                        "id": "SMEUb7VJz92Q",
                        "title": "If you're OK with our city management following up, leave your email",  # noqa: E501
                        "type": "email",
                        "ref": "readable_ref_email",
                        "properties": {},
                    },
                ],
            },
            "answers": [
                {
                    "type": "text",
                    "text": f"It's cold right now! {NON_ASCII}",
                    "field": {"id": "DlXFaesGBpoF", "type": "long_text"},
                },
                {
                    "type": "email",
                    "email": "laura@example.com",
                    "field": {"id": "SMEUb7VJz92Q", "type": "email"},
                },
            ],
        },
    }


def new_id() -> str:
    return "01" + secrets.token_hex(12).upper()


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = typeform_response(delivery_id, iso(now, millis=True))
    document["event_type"] = event
    return json_sample(document, event)
