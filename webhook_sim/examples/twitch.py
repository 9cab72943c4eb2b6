"""Twitch EventSub: channel.follow (v2) notification and the webhook_callback_verification body,
as in dev.twitch.tv/docs/eventsub/handling-webhook-events and the EventSub reference."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "channel.follow"
TIMESTAMPED = True
VERIFICATION = "webhook_callback_verification"
PENDING = "webhook_callback_verification_pending"


def subscription(kind: str, now: float, status: str = "enabled") -> Any:
    return {
        "id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4",
        "status": status,
        "type": kind,
        "version": "2",
        "cost": 0,
        "condition": {"broadcaster_user_id": "1337", "moderator_user_id": "1337"},
        "transport": {"method": "webhook", "callback": "https://example.com/webhooks/callback"},
        "created_at": iso(now, millis=True),
    }


def follow(now: float) -> Any:
    return {
        "subscription": subscription("channel.follow", now),
        "event": {
            "user_id": "1234",
            "user_login": "cool_user",
            "user_name": "Zoë_Ünïcödé_你好",
            "broadcaster_user_id": "1337",
            "broadcaster_user_login": "cooler_user",
            "broadcaster_user_name": "Cooler_User",
            "followed_at": iso(now, millis=True),
        },
    }


def verification(now: float, challenge: str = "pogchamp-kappa-360noscope-vohiyo") -> Any:
    return {
        "challenge": challenge,
        "subscription": subscription("channel.follow", now, PENDING),
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    if event == VERIFICATION:
        return json_sample(verification(now), VERIFICATION)
    if event == "revocation":
        document = {"subscription": subscription("channel.follow", now, "authorization_revoked")}
        return json_sample(document, "revocation.channel.follow")
    document = follow(now)
    document["subscription"]["type"] = event
    return json_sample(document, event)
