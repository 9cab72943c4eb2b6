"""WorkOS: a Directory Sync event; the delivery id is the event's `id`."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "dsync.user.created"
TIMESTAMPED = True


def workos_event(event_id: str, event: str, at_iso: str) -> Any:
    """https://workos.com/docs/events/data-syncing/webhooks (dsync.user.created)."""
    return {
        "id": event_id,
        "event": event,
        "data": {
            "id": "directory_user_01E1JG7J09H96KYP8HM9B0G5SJ",
            "directory_id": "directory_01ECAZ4NV9QMV47GW873HDCX74",
            "organization_id": "org_01EZTR6WYX1A0DSE2CYMGXQ24Y",
            "idp_id": "2836",
            "email": "zoe@foo-corp.com",
            "name": "Zoë Ångström",
            "first_name": "Zoë",
            "last_name": "Ångström",
            "job_title": f"Software Engineer ({NON_ASCII})",
            "emails": [{"primary": True, "type": "work", "value": "zoe@foo-corp.com"}],
            "username": "zoe@foo-corp.com",
            "groups": [],
            "state": "active",
            "created_at": at_iso,
            "updated_at": at_iso,
            "custom_attributes": {"department": "Engineering"},
            "raw_attributes": {"locale": "sv-SE"},
            "role": {"slug": "member"},
            "roles": [{"slug": "member"}],
            "object": "directory_user",
        },
        "created_at": at_iso,
    }


def new_id() -> str:
    return "event_01" + secrets.token_hex(12).upper()


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = workos_event(delivery_id, event, iso(now, millis=True))
    return json_sample(document, event)
