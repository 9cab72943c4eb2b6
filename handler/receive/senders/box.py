"""Box (webhooks v2): BOX-SIGNATURE-PRIMARY and BOX-SIGNATURE-SECONDARY = base64
HMAC-SHA256(key, body + BOX-DELIVERY-TIMESTAMP), one per signature key of the app.

Box signs with both of the app's keys at once so that either can be rotated: a delivery is
verified when either header matches any configured key (configure both keys as two secrets).
The timestamp (RFC 3339) is signed; Box's SDKs refuse one older than ten minutes, so that is the
default tolerance. BOX-DELIVERY-ID is the delivery id, the body's `trigger` the type
(FILE.UPLOADED). BOX-SIGNATURE-VERSION must be 1 and BOX-SIGNATURE-ALGORITHM HmacSHA256. The
`box-sdk-gen` SDK's WebhooksManager.validate_message is the tests' oracle.
https://developer.box.com/guides/webhooks/v2/signatures-v2/
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ._recipe import (
    Carrier,
    Recipe,
    RecipeOptions,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Timestamp,
    Verified,
)

PRIMARY = Recipe(
    name="box",
    signed="{body}{timestamp}",
    carrier=Carrier("box-signature-primary"),
    encoding="base64",
    timestamp=Timestamp("box-delivery-timestamp", unit="iso8601"),
    tolerance_seconds=600,
    id="header:box-delivery-id",
    event="body:trigger",
    sent_headers=(("box-signature-version", "1"), ("box-signature-algorithm", "HmacSHA256")),
)
SECONDARY = replace(PRIMARY, carrier=Carrier("box-signature-secondary"))


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    version = request.header("box-signature-version")
    algorithm = request.header("box-signature-algorithm")
    if version not in (None, "1") or algorithm not in (None, "HmacSHA256"):
        raise SignatureError("malformed_signature", "an unknown Box signature version")
    if not request.header("box-signature-primary"):
        return SECONDARY.verify(request, secrets, options, now)
    try:
        return PRIMARY.verify(request, secrets, options, now)
    except SignatureError as error:
        if error.reason != "bad_signature" or not request.header("box-signature-secondary"):
            raise
        return SECONDARY.verify(request, secrets, options, now)


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    """Box's primary signature (the simulator holds one key; Box adds the secondary one)."""
    return PRIMARY.sign(message, options)


SCHEME = Scheme("box", RecipeOptions, verify, sign, check_secret=PRIMARY.check_secret)
