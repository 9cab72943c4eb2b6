"""Plivo: an SMS delivery-status callback as Plivo posts it (a form)."""

from __future__ import annotations

import uuid

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, form_sample

ENCODINGS: tuple[Encoding, ...] = ("form",)
DEFAULT_EVENT = "delivered"
TIMESTAMPED = False


def plivo_message_status(message_uuid: str) -> dict[str, str]:
    """https://www.plivo.com/docs/messaging/concepts/callbacks (an SMS delivery-status callback,
    posted as a form)."""
    return {
        "From": "14155552671",
        "To": "14155550198",
        "MessageUUID": message_uuid,
        "Status": "delivered",
        "Type": "sms",
        "Units": "1",
        "TotalRate": "0.0050",
        "TotalAmount": "0.0050",
        "MCC": "310",
        "MNC": "410",
        "ErrorCode": "",
        "PowerpackUUID": "",
        "Sequence": "1",
        "ParentMessageUUID": message_uuid,
        "MessageTime": "2026-12-07 23:30:11+00:00",
        "Text": f"Ça marche — {NON_ASCII}",
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    # Plivo has no delivery id: the message's UUID (new per sample) makes each body its own.
    return form_sample({**plivo_message_status(str(uuid.uuid4())), "Status": event}, event)
