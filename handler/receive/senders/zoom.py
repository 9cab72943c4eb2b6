"""Zoom: x-zm-signature = "v0=" + hex HMAC-SHA256(secret token, "v0:{ts}:{body}").

The endpoint.url_validation handshake (at registration, then every 72 h) is signed like any
event and answered with {plainToken, encryptedToken = hex HMAC-SHA256(secret token, plainToken)}.
https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
"""

from __future__ import annotations

from ._recipe import (
    Carrier,
    Document,
    PayloadError,
    Recipe,
    Reply,
    SignedRequest,
    Timestamp,
    Verified,
    hmac_digest,
    json_path,
    recipe_scheme,
)

VALIDATION = "endpoint.url_validation"


def url_validation(
    request: SignedRequest, document: Document, verified: Verified, secret: str
) -> Verified:
    if verified.event_type != VALIDATION:
        return verified
    token = json_path(document.json, "payload.plainToken")
    if not isinstance(token, str) or not token:
        raise PayloadError("invalid_payload", "endpoint.url_validation has no plainToken")
    answer = {"plainToken": token, "encryptedToken": hmac_digest(secret, token.encode()).hex()}
    return Verified(event_type=VALIDATION, reply=Reply(200, answer))


SCHEME = recipe_scheme(
    Recipe(
        name="zoom",
        signed="v0:{timestamp}:{body}",
        carrier=Carrier("x-zm-signature", prefix="v0="),
        timestamp=Timestamp("x-zm-request-timestamp"),
        event="body:event",
        id="header:x-zm-trackingid",
        classify=url_validation,
    )
)
