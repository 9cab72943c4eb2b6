"""Stripe: Stripe-Signature = "t=<unix>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>[,v1=...]".

Stripe lists one v1 per active endpoint secret while a secret is being rolled, and may add
other schemes (v0 in test mode): only v1 counts. The event id and type live in the body.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import (
    Scheme,
    SchemeOptions,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    check_timestamp,
    constant_time_equal,
    hmac_digest,
    json_body,
    string_field,
)

HEADER = "stripe-signature"


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    return hmac_digest(secret, timestamp.encode() + b"." + body).hex()


def _parse(header: str) -> tuple[str | None, list[str]]:
    """The first t= and every v1= of the header; anything else is ignored, as Stripe's SDK does."""
    timestamp: str | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, separator, value = item.strip().partition("=")
        if not separator:
            continue
        if key == "t" and timestamp is None:
            timestamp = value
        elif key == "v1" and value:
            signatures.append(value)
    return timestamp, signatures


def verify(
    request: SignedRequest, secrets: Sequence[str], options: SchemeOptions, now: float
) -> Verified:
    header = request.header(HEADER)
    if not header:
        raise SignatureError("missing_signature", "Stripe-Signature is missing")
    timestamp, signatures = _parse(header)
    if not signatures:
        raise SignatureError("malformed_signature", "Stripe-Signature has no v1 signature")
    if timestamp is None:
        raise SignatureError("missing_timestamp", "Stripe-Signature has no t= timestamp")
    check_timestamp(timestamp, now, options.tolerance_seconds)
    for secret in secrets:
        expected = _digest(secret, timestamp, request.body)
        if any(constant_time_equal(expected, received) for received in signatures):
            event = json_body(request.body)
            return Verified(
                event_type=string_field(event, "type") or "unknown",
                sender_id=string_field(event, "id"),
            )
    raise SignatureError("bad_signature", "no v1 signature matches any configured secret")


def sign(message: SigningInput, options: SchemeOptions) -> dict[str, str]:
    timestamp = str(int(message.now))
    return {
        "content-type": message.content_type,
        HEADER: f"t={timestamp},v1={_digest(message.secret, timestamp, message.body)}",
    }


SCHEME = Scheme("stripe", SchemeOptions, verify, sign)
