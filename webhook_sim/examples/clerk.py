"""Clerk: a user.created event; the delivery id travels in svix-id."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "user.created"
TIMESTAMPED = True


def clerk_event(event: str, at_ms: int) -> Any:
    """https://clerk.com/docs/webhooks/overview (user.created)."""
    return {
        "data": {
            "birthday": "",
            "created_at": at_ms,
            "email_addresses": [
                {
                    "email_address": "example@example.org",
                    "id": "idn_29w83yL7CwVlJXylYLxcslromF1",
                    "linked_to": [],
                    "object": "email_address",
                    "verification": {"status": "verified", "strategy": "ticket"},
                }
            ],
            "external_accounts": [],
            "external_id": "567772",
            "first_name": "Zoë",
            "gender": "",
            "id": "user_29w83sxmDNGwOuEthce5gg56FcC",
            "image_url": "https://img.clerk.com/xxxxxx",
            "last_name": f"Ångström {NON_ASCII}",
            "last_sign_in_at": at_ms,
            "object": "user",
            "password_enabled": True,
            "phone_numbers": [],
            "primary_email_address_id": "idn_29w83yL7CwVlJXylYLxcslromF1",
            "primary_phone_number_id": None,
            "primary_web3_wallet_id": None,
            "private_metadata": {},
            "profile_image_url": "https://www.gravatar.com/avatar?d=mp",
            "public_metadata": {},
            "two_factor_enabled": False,
            "unsafe_metadata": {},
            "updated_at": at_ms,
            "username": None,
            "web3_wallets": [],
        },
        "instance_id": "ins_123",
        "object": "event",
        "timestamp": at_ms,
        "type": event,
    }


def new_id() -> str:
    return "msg_" + secrets.token_urlsafe(20)


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = clerk_event(event, int(now * 1000))
    return json_sample(document, event)
