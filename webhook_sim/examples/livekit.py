"""LiveKit: a room/participant WebhookEvent as LiveKit posts it (protobuf JSON field names),
sent as application/webhook+json."""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "participant_joined"
TIMESTAMPED = True
CONTENT_TYPE = "application/webhook+json"


def new_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "EV_" + "".join(secrets.choice(alphabet) for _ in range(12))


def livekit_event(event_id: str, event: str, at: int) -> Any:
    """https://docs.livekit.io/home/server/webhooks/ (a WebhookEvent, protobuf JSON names)."""
    return {
        "event": event,
        "room": {
            "sid": "RM_hycBMAjmt6Ub",
            "name": f"Demo Room {NON_ASCII}",
            "emptyTimeout": 300,
            "maxParticipants": 50,
            "creationTime": str(at - 5),
            "turnPassword": "",
            "enabledCodecs": [{"mime": "audio/opus"}, {"mime": "video/VP8"}],
            "numParticipants": 1,
        },
        "participant": {
            "sid": "PA_TfuzjMbK2Ubm",
            "identity": "zoë",
            "state": "ACTIVE",
            "joinedAt": str(at),
            "name": "Zoë Ångström",
            "version": 1,
            "permission": {"canSubscribe": True, "canPublish": True, "canPublishData": True},
        },
        "id": event_id,
        "createdAt": str(at),
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = livekit_event(delivery_id, event, int(now))
    return Sample(json.dumps(document, ensure_ascii=False).encode(), CONTENT_TYPE, event)
