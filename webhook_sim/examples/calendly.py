"""Calendly: invitee.created as in developer.calendly.com/api-docs (webhook payloads)."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "invitee.created"
TIMESTAMPED = True


def invitee(event: str, now: float) -> Any:
    api = "https://api.calendly.com"
    return {
        "created_at": iso(now, millis=True),
        "created_by": f"{api}/users/AAAAAAAAAAAAAAAA",
        "event": event,
        "payload": {
            "cancel_url": "https://calendly.com/cancellations/AAAAAAAAAAAAAAAA",
            "created_at": iso(now, millis=True),
            "email": "zoë@example.com",
            "first_name": "Zoë",
            "last_name": "Ångström",
            "name": "Zoë Ångström 你好",
            "status": "active",
            "timezone": "Europe/Stockholm",
            "event": f"{api}/scheduled_events/GBGBDCAADAEDCRZ2",
            "questions_and_answers": [
                {"question": "Sujet ?", "answer": "Révision du contrat — ½ journée", "position": 0}
            ],
            "scheduled_event": {
                "uri": f"{api}/scheduled_events/GBGBDCAADAEDCRZ2",
                "name": "30 Minute Meeting",
                "status": "active",
                "start_time": iso(now + 86_400, millis=True),
                "end_time": iso(now + 88_200, millis=True),
                "location": {"type": "zoom", "join_url": "https://zoom.us/j/123"},
            },
            "uri": f"{api}/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA",
            "rescheduled": False,
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(invitee(event, now), event)
