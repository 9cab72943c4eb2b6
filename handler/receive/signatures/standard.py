"""Standard Webhooks (and Svix, its origin): webhook-id, webhook-timestamp, webhook-signature.

webhook-signature is a space-separated list of "v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>";
other versions (v1a is the asymmetric Ed25519 one) are skipped. The key is the secret after its
"whsec_" prefix, base64-decoded. Svix sends the same values under svix-* names.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from .base import (
    PayloadError,
    Scheme,
    SchemeOptions,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    check_timestamp,
    constant_time_equal,
    hmac_digest,
    parse_json,
    string_field,
)

SECRET_PREFIX = "whsec_"
FAMILIES = ("webhook", "svix")


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a "whsec_<base64>" secret (the prefix is optional).

    Decoded as the standardwebhooks library does (lenient, padding added), so a secret it accepts
    works here too. A secret that cannot be decoded is a configuration error, not a bad request:
    it raises ValueError, whose message never contains the secret.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "==")
    except ValueError:
        raise ValueError("a Standard Webhooks secret is not valid base64") from None
    if not key:
        raise ValueError("a Standard Webhooks secret is empty")
    return key


def _signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac_digest(key, f"{msg_id}.{timestamp}.".encode() + body)


def _v1_signatures(header: str) -> list[bytes]:
    found: list[bytes] = []
    for entry in header.split():
        version, separator, encoded = entry.partition(",")
        if version != "v1" or not separator:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except ValueError:
            continue
    return found


def verify(
    request: SignedRequest, secrets: Sequence[str], options: SchemeOptions, now: float
) -> Verified:
    # All three headers come from one family: the first whose signature header is present.
    family = next((f for f in FAMILIES if request.header(f"{f}-signature")), None)
    if family is None:
        raise SignatureError(
            "missing_signature", "webhook-signature (or svix-signature) is missing"
        )
    header = request.header(f"{family}-signature") or ""
    msg_id = request.header(f"{family}-id")
    if not msg_id:
        raise SignatureError("missing_id", f"{family}-id is missing")
    timestamp = request.header(f"{family}-timestamp")
    if not timestamp:
        raise SignatureError("missing_timestamp", f"{family}-timestamp is missing")
    received = _v1_signatures(header)
    if not received:
        raise SignatureError("malformed_signature", f"{family}-signature has no v1 signature")
    check_timestamp(timestamp, now, options.tolerance_seconds)
    for secret in secrets:
        expected = _signature(decode_secret(secret), msg_id, timestamp, request.body)
        if any(constant_time_equal(expected, signature) for signature in received):
            return Verified(event_type=_event_type(request.body), sender_id=msg_id)
    raise SignatureError(
        "bad_signature", f"{family}-signature does not match any configured secret"
    )


def _event_type(body: bytes) -> str:
    # The spec recommends a JSON body with a "type", but does not require one.
    try:
        document = parse_json(body)
    except PayloadError:
        return "unknown"
    return (string_field(document, "type") if isinstance(document, dict) else None) or "unknown"


def sign(message: SigningInput, options: SchemeOptions) -> dict[str, str]:
    timestamp = str(int(message.now))
    signature = _signature(
        decode_secret(message.secret), message.delivery_id, timestamp, message.body
    )
    return {
        "content-type": message.content_type,
        "webhook-id": message.delivery_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(signature).decode(),
    }


SCHEME = Scheme("standard", SchemeOptions, verify, sign, check_secret=decode_secret)
