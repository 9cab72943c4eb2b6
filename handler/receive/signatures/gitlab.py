"""GitLab: X-Gitlab-Token carries the secret token itself; nothing signs the body.

So a token proves only who sent the request: the body is trusted as far as TLS carries it, and
there is no timestamp, so replays are caught by deduplicating on Idempotency-Key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from .base import (
    Scheme,
    SchemeOptions,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
)

HEADER = "x-gitlab-token"


def _fingerprint(token: str) -> bytes:
    # Equal-length digests: compare_digest then leaks nothing, not even the token's length.
    return hashlib.sha256(token.encode()).digest()


def verify(
    request: SignedRequest, secrets: Sequence[str], options: SchemeOptions, now: float
) -> Verified:
    token = request.header(HEADER)
    if not token:
        raise SignatureError("missing_signature", "X-Gitlab-Token is missing")
    received = _fingerprint(token)
    for secret in secrets:
        if constant_time_equal(_fingerprint(secret), received):
            return Verified(
                event_type=request.header("x-gitlab-event") or "unknown",
                # Idempotency-Key is stable across GitLab's retries of one delivery.
                sender_id=request.header("idempotency-key")
                or request.header("x-gitlab-event-uuid")
                or None,
            )
    raise SignatureError("bad_signature", "X-Gitlab-Token does not match any configured secret")


def sign(message: SigningInput, options: SchemeOptions) -> dict[str, str]:
    return {
        "content-type": message.content_type,
        "x-gitlab-event": message.event_type,
        "x-gitlab-event-uuid": message.delivery_id,
        "idempotency-key": message.delivery_id,
        HEADER: message.secret,
    }


SCHEME = Scheme("gitlab", SchemeOptions, verify, sign)
