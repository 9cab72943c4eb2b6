"""Shopify: X-Shopify-Hmac-Sha256 = base64 HMAC-SHA256(app client secret, body).

No timestamp is signed: replays are caught by deduplicating on the webhook id.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

from .base import (
    Scheme,
    SchemeOptions,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
    hmac_digest,
)

HEADER = "x-shopify-hmac-sha256"


def verify(
    request: SignedRequest, secrets: Sequence[str], options: SchemeOptions, now: float
) -> Verified:
    signature = request.header(HEADER)
    if not signature:
        raise SignatureError("missing_signature", "X-Shopify-Hmac-Sha256 is missing")
    try:
        received = base64.b64decode(signature, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        raise SignatureError("malformed_signature", "X-Shopify-Hmac-Sha256 is not base64") from None
    for secret in secrets:
        if constant_time_equal(hmac_digest(secret, request.body), received):
            return Verified(
                event_type=request.header("x-shopify-topic") or "unknown",
                sender_id=request.header("x-shopify-webhook-id")
                or request.header("x-shopify-event-id")
                or None,
            )
    raise SignatureError(
        "bad_signature", "X-Shopify-Hmac-Sha256 does not match any configured secret"
    )


def sign(message: SigningInput, options: SchemeOptions) -> dict[str, str]:
    triggered_at = datetime.fromtimestamp(message.now, UTC).isoformat().replace("+00:00", "Z")
    return {
        "content-type": message.content_type,
        "x-shopify-topic": message.event_type,
        "x-shopify-webhook-id": message.delivery_id,
        "x-shopify-triggered-at": triggered_at,
        HEADER: base64.b64encode(hmac_digest(message.secret, message.body)).decode(),
    }


SCHEME = Scheme("shopify", SchemeOptions, verify, sign)
