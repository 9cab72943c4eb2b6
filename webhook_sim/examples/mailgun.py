"""Mailgun: a "delivered" event as in documentation.mailgun.com/docs/mailgun/user-manual/webhooks/
(JSON with signature and event-data), and a legacy form webhook; both signed in the body."""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode

from handler.receive.senders.mailgun import signature_block
from webhook_sim.samples import Encoding, Sample

from ._shared import FORM, NON_ASCII, form_sample, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json", "form")
DEFAULT_EVENT = "delivered"
TIMESTAMPED = True
SIGNS_BODY = False  # the signature covers timestamp + token only, never the event data
PLACEHOLDER = {"timestamp": "0", "token": "unsigned", "signature": "unsigned"}


def event_data(event: str, delivery_id: str, now: float) -> Any:
    return {
        "id": delivery_id,
        "timestamp": now,
        "log-level": "info",
        "event": event,
        "recipient": "zoë@example.com",
        "recipient-domain": "example.com",
        "envelope": {"sender": "bob@mg.example.com", "transport": "smtp"},
        "message": {
            "headers": {
                "to": "Zoë Ångström <zoe@example.com>",
                "message-id": "20130503182626.18666.16540@mg.example.com",
                "from": "Bob <bob@mg.example.com>",
                "subject": f"Réunion demain {NON_ASCII}",
            },
            "size": 111,
        },
        "delivery-status": {"code": 250, "message": "OK", "attempt-no": 1},
        "tags": ["my_tag_1"],
        "user-variables": {"my_var_1": "Mailgun Variable #1", "my-var-2": "awesome"},
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    # Signed by `signed_body` when the simulator signs: the key is the source's.
    if encoding == "form":
        fields = {"event": event, "Message-Id": delivery_id, "recipient": "zoë@example.com"}
        return form_sample({**fields, **PLACEHOLDER, "body-plain": NON_ASCII}, event)
    document = {"signature": PLACEHOLDER, "event-data": event_data(event, delivery_id, now)}
    return json_sample(document, event)


def signed_body(body: bytes, secret: str, now: float, content_type: str) -> bytes:
    block = signature_block(secret, str(int(now)), secrets.token_hex(25))
    if content_type.startswith(FORM):
        fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        return urlencode({**fields, **block}).encode()
    document = json.loads(body)
    document["signature"] = block
    return json.dumps(document, ensure_ascii=False).encode()
