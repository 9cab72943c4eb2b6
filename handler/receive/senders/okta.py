"""Okta event hooks: nothing is signed; each request carries the Authorization header value the
admin typed when creating the hook (the source's secret), compared in constant time.

Okta first verifies the endpoint with a one-time GET carrying x-okta-verification-challenge,
answered with {"verification": <that value>}; it carries the Authorization header too, which is
checked (403 when wrong). Like GitLab's token, the Authorization header is never archived, so an
Okta delivery is replayed with --no-verify. https://developer.okta.com/docs/concepts/event-hooks/
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ._recipe import (
    Document,
    HandshakeRefused,
    RecipeOptions,
    Reply,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
)

HEADER = "authorization"
CHALLENGE = "x-okta-verification-challenge"


def _authorized(request: SignedRequest, secrets: Sequence[str]) -> bool | None:
    """None when the header is absent, else whether it matches a secret (equal-length digests:
    nothing leaks, not even the length)."""
    value = request.header(HEADER)
    if not value:
        return None
    received = hashlib.sha256(value.encode()).digest()
    return any(
        constant_time_equal(hashlib.sha256(secret.encode()).digest(), received)
        for secret in secrets
    )


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    authorized = _authorized(request, secrets)
    if authorized is None:
        raise SignatureError("missing_signature", "Authorization is missing")
    if not authorized:
        raise SignatureError("bad_signature", "Authorization does not match any configured secret")
    event = ("body:data.events.0.eventType", "body:eventType")
    return Document(request).verified(event, "event", id="body:eventId")


def verification(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Reply | None:
    challenge = request.header(CHALLENGE)
    if request.method != "GET" or not challenge:
        return None
    if not _authorized(request, secrets):
        raise HandshakeRefused("bad_signature", "Authorization does not match any secret")
    return Reply(200, {"verification": challenge})


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    return {"content-type": message.content_type, HEADER: message.secret}


SCHEME = Scheme("okta", RecipeOptions, verify, sign, handshake=verification)
