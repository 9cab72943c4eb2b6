"""Typeform: form_response; the delivery id is the body's `event_id`."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from webhook_sim.published import JSON, NON_ASCII
from webhook_sim.samples import Encoding, Sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "form_response"
TIMESTAMPED = False


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


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
    document = typeform_response(delivery_id, _iso(now))
    document["event_type"] = event
    return Sample(json.dumps(document, ensure_ascii=False).encode(), JSON, event)
