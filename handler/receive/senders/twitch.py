"""Twitch EventSub: Twitch-Eventsub-Message-Signature = "sha256=" + hex HMAC-SHA256(secret,
message id + timestamp + body), the timestamp RFC 3339 with nanoseconds; Twitch asks receivers to
refuse messages older than 10 minutes and to dedup on the message id.

A subscription's webhook_callback_verification is signed like any message and answered with the
body's challenge as text/plain (200); a revocation is enqueued (an operator wants to know).
https://dev.twitch.tv/docs/eventsub/handling-webhook-events/"""

from __future__ import annotations

from dataclasses import replace

from ._recipe import (
    Carrier,
    Document,
    PayloadError,
    Recipe,
    RecipeOptions,
    Reply,
    SignedRequest,
    SigningInput,
    Timestamp,
    Verified,
    json_path,
    recipe_scheme,
)

MESSAGE_TYPE = "twitch-eventsub-message-type"
VERIFICATION = "webhook_callback_verification"
REVOCATION = "revocation"


def message_type(
    request: SignedRequest, document: Document, verified: Verified, secret: str
) -> Verified:
    kind = request.header(MESSAGE_TYPE)
    if kind == VERIFICATION:
        challenge = json_path(document.json, "challenge")
        if not isinstance(challenge, str) or not challenge:
            raise PayloadError("invalid_payload", "the verification has no challenge")
        return Verified(event_type=VERIFICATION, reply=Reply(200, challenge, "text/plain"))
    if kind == REVOCATION:
        return replace(verified, event_type=f"{REVOCATION}.{verified.event_type}")
    return verified


RECIPE = Recipe(
    name="twitch",
    signed="{id}{timestamp}{body}",
    carrier=Carrier("twitch-eventsub-message-signature", prefix="sha256="),
    timestamp=Timestamp("twitch-eventsub-message-timestamp", unit="iso8601"),
    tolerance_seconds=600,
    id="header:twitch-eventsub-message-id",
    event=("header:twitch-eventsub-subscription-type", "body:subscription.type"),
    classify=message_type,
)


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    """The recipe's headers, with the message type the event names (the simulator sends a
    verification as event "webhook_callback_verification", a revocation as "revocation")."""
    headers = RECIPE.sign(message, options)
    kind = message.event_type if message.event_type in (VERIFICATION, REVOCATION) else None
    headers[MESSAGE_TYPE] = kind or "notification"
    if kind is not None:
        headers.pop("twitch-eventsub-subscription-type", None)
    headers["twitch-eventsub-message-retry"] = "0"
    headers["twitch-eventsub-subscription-version"] = "1"
    return headers


SCHEME = replace(recipe_scheme(RECIPE), sign=sign)
