"""GitHub: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(secret, body)."""

from __future__ import annotations

import hashlib
import hmac
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

PREFIX = "sha256="


def _digest(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(
    request: SignedRequest, secrets: Sequence[str], options: SchemeOptions, now: float
) -> Verified:
    signature = request.header("x-hub-signature-256")
    if not signature:
        raise SignatureError("missing_signature", "X-Hub-Signature-256 is missing")
    if not signature.startswith(PREFIX):
        raise SignatureError(
            "malformed_signature", "X-Hub-Signature-256 does not start with sha256="
        )
    received = signature[len(PREFIX) :]
    for secret in secrets:
        if constant_time_equal(_digest(secret, request.body), received):
            return Verified(
                event_type=request.header("x-github-event") or "unknown",
                sender_id=request.header("x-github-delivery") or None,
            )
    raise SignatureError(
        "bad_signature", "X-Hub-Signature-256 does not match any configured secret"
    )


def sign(message: SigningInput, options: SchemeOptions) -> dict[str, str]:
    return {
        "content-type": message.content_type,
        "x-github-event": message.event_type,
        "x-github-delivery": message.delivery_id,
        "x-hub-signature-256": PREFIX + _digest(message.secret, message.body),
    }


SCHEME = Scheme("github", SchemeOptions, verify, sign)
