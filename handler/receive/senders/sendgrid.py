"""SendGrid (Twilio SendGrid) Event Webhook: X-Twilio-Email-Event-Webhook-Signature = base64 DER
ECDSA P-256/SHA-256 signature of X-Twilio-Email-Event-Webhook-Timestamp + body.

The configured "secret" is the verification key SendGrid shows (base64 DER public key): we can
verify, never sign (the simulator signs with a demo key pair, webhook_sim/examples/sendgrid.py).
The body is a batch (a JSON array) of events with their own sg_event_id; a delivery has no id,
so its hash is its id. The timestamp is signed, so refused outside the tolerance. The `sendgrid`
SDK's EventWebhook is the tests' oracle.
https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
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

SIGNATURE = "x-twilio-email-event-webhook-signature"
TIMESTAMP = "x-twilio-email-event-webhook-timestamp"


def public_key(secret: str) -> Any:
    """The P-256 public key of a base64 DER key; ValueError (never echoing it) otherwise."""
    # Imported here: the ECDSA backend loads only for a source that names SendGrid.
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        key = load_der_public_key(base64.b64decode(secret, validate=True))
    except ValueError:
        raise ValueError("a SendGrid verification key is not a base64 DER public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("a SendGrid verification key is not an elliptic-curve key")
    return key


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    encoded = request.header(SIGNATURE)
    if not encoded:
        raise SignatureError(
            "missing_signature", "X-Twilio-Email-Event-Webhook-Signature is missing"
        )
    try:
        signature = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise SignatureError("malformed_signature", "the signature is not base64") from None
    timestamp = request.header(TIMESTAMP)
    if not timestamp:
        raise SignatureError(
            "missing_timestamp", "X-Twilio-Email-Event-Webhook-Timestamp is missing"
        )
    check_fresh(timestamp, "s", now, options.tolerance_seconds)
    message = timestamp.encode() + request.body
    for secret in secrets:
        try:
            public_key(secret).verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return Document(request).verified("body:0.event", "events")
    raise SignatureError("bad_signature", "the signature does not match any configured key")


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    """Signs with `message.secret`, a base64 DER (PKCS#8) P-256 private key: the demo key pair's
    private half (webhook_sim/examples/sendgrid.py), never a configured secret."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    key = load_der_private_key(base64.b64decode(message.secret), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("a SendGrid signing key is an elliptic-curve private key")
    timestamp = str(int(message.now))
    signature = key.sign(timestamp.encode() + message.body, ec.ECDSA(hashes.SHA256()))
    return {
        "content-type": message.content_type,
        TIMESTAMP: timestamp,
        SIGNATURE: base64.b64encode(signature).decode(),
    }


SCHEME = Scheme("sendgrid", RecipeOptions, verify, sign, check_secret=public_key)
