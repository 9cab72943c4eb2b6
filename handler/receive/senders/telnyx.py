"""Telnyx (API v2 webhooks): telnyx-signature-ed25519 = base64 Ed25519 signature of
"{telnyx-timestamp}|{body}".

The configured "secret" is the account's public key as Mission Control shows it (base64, 32
bytes): we can verify, never sign (the simulator signs with a demo key pair,
webhook_sim/examples/telnyx.py). The delivery id is the event's `data.id` (the same on every
retry), the type `data.event_type` (message.received). The timestamp is signed, so it is refused
outside the tolerance (Telnyx's SDKs: 300 s). The `telnyx` SDK's verify_webhook_signature is the
tests' oracle. https://developers.telnyx.com/docs/development/api-fundamentals/webhooks
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from ._recipe import (
    Document,
    RecipeOptions,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    check_fresh,
)

SIGNATURE = "telnyx-signature-ed25519"
TIMESTAMP = "telnyx-timestamp"
KEY_BYTES = 32
SIGNATURE_BYTES = 64


def raw_key(secret: str) -> bytes:
    """The 32 bytes of a base64 Ed25519 key; ValueError (never echoing it) otherwise."""
    try:
        key = base64.b64decode(secret, validate=True)
    except ValueError:
        raise ValueError("a Telnyx public key is not base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError("a Telnyx public key is not 32 bytes")
    return key


def public_key(secret: str) -> Any:
    # Imported here: the Ed25519 backend loads only for a source that names Telnyx.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(raw_key(secret))


def signed_message(timestamp: str, body: bytes) -> bytes:
    return f"{timestamp}|".encode() + body


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    from cryptography.exceptions import InvalidSignature

    encoded = request.header(SIGNATURE)
    if not encoded:
        raise SignatureError("missing_signature", "telnyx-signature-ed25519 is missing")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except ValueError:
        signature = b""
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError("malformed_signature", "the signature is not a base64 Ed25519 one")
    timestamp = request.header(TIMESTAMP)
    if not timestamp:
        raise SignatureError("missing_timestamp", "telnyx-timestamp is missing")
    check_fresh(timestamp, "s", now, options.tolerance_seconds)
    message = signed_message(timestamp, request.body)
    for secret in secrets:
        try:
            public_key(secret).verify(signature, message)
        except InvalidSignature:
            continue
        return Document(request).verified("body:data.event_type", "event", id="body:data.id")
    raise SignatureError("bad_signature", "the signature does not match any configured key")


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    """Signs with `message.secret`, a base64 Ed25519 private key (its 32-byte seed): the demo key
    pair's private half (webhook_sim/examples/telnyx.py), never a configured secret."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    timestamp = str(int(message.now))
    key = Ed25519PrivateKey.from_private_bytes(raw_key(message.secret))
    signature = key.sign(signed_message(timestamp, message.body))
    return {
        "content-type": message.content_type,
        TIMESTAMP: timestamp,
        SIGNATURE: base64.b64encode(signature).decode(),
    }


SCHEME = Scheme("telnyx", RecipeOptions, verify, sign, check_secret=public_key)
