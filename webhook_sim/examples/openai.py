"""OpenAI: a response.completed event; the delivery id travels in webhook-id."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "realtime.call.incoming"  # documented, and it carries typed text
TIMESTAMPED = True


def openai_event(event_id: str, event: str, at: int) -> Any:
    """https://platform.openai.com/docs/guides/webhooks and the webhook events reference
    (response.completed carries the response id; realtime.call.incoming the caller's SIP
    headers, where a display name is typed text)."""
    data: dict[str, Any] = {"id": "resp_abc123"}
    if event == "realtime.call.incoming":
        data = {
            "call_id": "rtc_479a275623b54bdb9b6fbae2f7cbd408",
            "sip_headers": [
                {"name": "Max-Forwards", "value": "63"},
                {"name": "CSeq", "value": "851287 INVITE"},
                {"name": "Content-Type", "value": "application/sdp"},
                {"name": "To", "value": "<sip:+142555512112@sip.example.com>"},
                {"name": "From", "value": f'"Zoë {NON_ASCII}" <sip:+142555512112@sip.example.com>'},
            ],
        }
    return {"id": event_id, "object": "event", "created_at": at, "type": event, "data": data}


def new_id() -> str:
    return "wh_" + secrets.token_hex(16)


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = openai_event("evt_" + secrets.token_hex(12), event, int(now))
    return json_sample(document, event)
