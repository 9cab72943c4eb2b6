"""Generic HMAC-SHA256 for senders without a scheme of their own.

The signature header holds prefix + hex or base64 HMAC-SHA256(secret, content), where content
is the body, or "{ts}.{body}" when timestamp_header names where the sender puts a unix timestamp
(which must then be within the tolerance).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import StringConstraints

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
)

# An HTTP field name (RFC 9110 token): what a misspelt header option would fail at start-up.
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")]


class HmacOptions(SchemeOptions):
    header: HeaderName = "X-Signature"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""  # e.g. "sha256="
    id_header: HeaderName | None = None
    event_header: HeaderName | None = None
    timestamp_header: HeaderName | None = None


def _content(body: bytes, timestamp: str | None) -> bytes:
    return body if timestamp is None else timestamp.encode() + b"." + body


def _decode(encoded: str, encoding: str) -> bytes:
    if encoding == "hex":
        return bytes.fromhex(encoded)
    return base64.b64decode(encoded, validate=True)


def verify(
    request: SignedRequest, secrets: Sequence[str], options: HmacOptions, now: float
) -> Verified:
    signature = request.header(options.header)
    if not signature:
        raise SignatureError("missing_signature", f"{options.header} is missing")
    if not signature.startswith(options.prefix):
        raise SignatureError(
            "malformed_signature", f"{options.header} does not start with the expected prefix"
        )
    try:
        received = _decode(signature[len(options.prefix) :], options.encoding)
    except ValueError:
        raise SignatureError(
            "malformed_signature", f"{options.header} is not {options.encoding}"
        ) from None
    timestamp: str | None = None
    if options.timestamp_header is not None:
        timestamp = request.header(options.timestamp_header)
        if not timestamp:
            raise SignatureError("missing_timestamp", f"{options.timestamp_header} is missing")
        check_timestamp(timestamp, now, options.tolerance_seconds)
    content = _content(request.body, timestamp)
    for secret in secrets:
        if constant_time_equal(hmac_digest(secret, content), received):
            return Verified(
                event_type=(options.event_header and request.header(options.event_header))
                or "webhook",
                sender_id=(options.id_header and request.header(options.id_header)) or None,
            )
    raise SignatureError("bad_signature", f"{options.header} does not match any configured secret")


def sign(message: SigningInput, options: HmacOptions) -> dict[str, str]:
    headers = {"content-type": message.content_type}
    timestamp: str | None = None
    if options.timestamp_header is not None:
        timestamp = str(int(message.now))
        headers[options.timestamp_header.lower()] = timestamp
    digest = hmac_digest(message.secret, _content(message.body, timestamp))
    encoded = digest.hex() if options.encoding == "hex" else base64.b64encode(digest).decode()
    headers[options.header.lower()] = options.prefix + encoded
    if options.id_header is not None:
        headers[options.id_header.lower()] = message.delivery_id
    if options.event_header is not None:
        headers[options.event_header.lower()] = message.event_type
    return headers


SCHEME = Scheme("hmac-sha256", HmacOptions, verify, sign)
