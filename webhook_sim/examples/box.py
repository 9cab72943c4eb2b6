"""Box: a FILE.UPLOADED webhook v2 event as in Box's payload reference; the delivery id
travels in BOX-DELIVERY-ID."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "FILE.UPLOADED"
TIMESTAMPED = True


def box_event(webhook_id: str, trigger: str, at_iso: str) -> Any:
    """https://developer.box.com/guides/webhooks/v2/payload-v2/ (FILE.UPLOADED)."""
    return {
        "type": "webhook_event",
        "id": "eb0c4e06-751f-442c-86f8-fd5bb404dbec",
        "created_at": at_iso,
        "trigger": trigger,
        "webhook": {"id": webhook_id, "type": "webhook"},
        "created_by": {
            "type": "user",
            "id": "2030392653",
            "name": "Zoë Ångström",
            "login": "zoe@example.com",
        },
        "source": {
            "id": "364006453223",
            "type": "file",
            "file_version": {
                "type": "file_version",
                "id": "389085153623",
                "sha1": "2bf5e9a1ffa4ab0d4e2c7b9e4ea6e98e2ae3f5d1",
            },
            "sequence_id": "0",
            "etag": "0",
            "sha1": "2bf5e9a1ffa4ab0d4e2c7b9e4ea6e98e2ae3f5d1",
            "name": f"Q4 plan — {NON_ASCII}.docx",
            "parent": {
                "type": "folder",
                "id": "73630233013",
                "sequence_id": "0",
                "etag": "0",
                "name": "Webhooks",
            },
        },
        "additional_info": [],
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(box_event("1234567890", event, iso(now)), event)
