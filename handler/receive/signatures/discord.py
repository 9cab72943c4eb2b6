"""Discord: X-Signature-Ed25519 = hex Ed25519 signature of X-Signature-Timestamp + body.

The configured "secrets" are the application's public keys (hex): Discord signs with its
private key, so we can verify but never sign. One scheme serves both Interactions (PING type 1
answered with PONG, the others enqueued and answered with a deferred response) and Webhook Events
(PING type 0 answered with 204, events type 1).
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import (
    Reply,
    Scheme,
    SchemeOptions,
    SignatureError,
    SignedRequest,
    Verified,
    check_timestamp,
    json_body,
    string_field,
)

SIGNATURE_BYTES = 64
KEY_BYTES = 32

# Discord shows "interaction failed" unless each interaction is answered within 3 s. The work
# happens later, in a processor that follows up with the interaction's token (valid 15 min), so
# the ack is a deferred response: "thinking..." for commands and modals, none for components.
DEFERRED = {
    2: Reply(200, {"type": 5}),  # APPLICATION_COMMAND: DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    3: Reply(200, {"type": 6}),  # MESSAGE_COMPONENT: DEFERRED_UPDATE_MESSAGE
    5: Reply(200, {"type": 5}),  # MODAL_SUBMIT: DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
}
# Autocomplete cannot be deferred: its choices are due in the response, which a queue cannot
# give. It is answered with no choices and not enqueued (it fires on every keystroke).
NO_CHOICES = Reply(200, {"type": 8, "data": {"choices": []}})


def decode_public_key(key: str) -> bytes:
    """The raw 32-byte key of a hex public key; ValueError (without the key) when it is not."""
    try:
        raw = bytes.fromhex(key)
    except ValueError:
        raise ValueError("a Discord public key is not hex") from None
    if len(raw) != KEY_BYTES:
        raise ValueError("a Discord public key is not 32 bytes")
    return raw


def verify(
    request: SignedRequest, secrets: Sequence[str], options: SchemeOptions, now: float
) -> Verified:
    # Imported here: loading the Ed25519 backend costs cold-start time every other scheme saves.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    encoded = request.header("x-signature-ed25519")
    if not encoded:
        raise SignatureError("missing_signature", "X-Signature-Ed25519 is missing")
    try:
        signature = bytes.fromhex(encoded)
    except ValueError:
        signature = b""
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError(
            "malformed_signature", "X-Signature-Ed25519 is not a hex Ed25519 signature"
        )
    timestamp = request.header("x-signature-timestamp")
    if not timestamp:
        raise SignatureError("missing_timestamp", "X-Signature-Timestamp is missing")
    check_timestamp(timestamp, now, options.tolerance_seconds)
    message = timestamp.encode() + request.body
    for key in secrets:
        try:
            Ed25519PublicKey.from_public_bytes(decode_public_key(key)).verify(signature, message)
        except InvalidSignature:
            continue
        return _classify(json_body(request.body))
    raise SignatureError(
        "bad_signature", "X-Signature-Ed25519 does not match any configured public key"
    )


def _classify(body: dict[str, object]) -> Verified:
    # Interactions carry "version" too, so the event key and type 0 tell the two products apart.
    kind = body.get("type")
    if isinstance(kind, bool) or not isinstance(kind, int):
        return Verified(event_type="unknown", sender_id=string_field(body, "id"))
    if kind == 0 and "version" in body:  # Webhook Events PING
        return Verified(event_type="ping", reply=Reply(204, None))
    if "event" in body:  # a Webhook Event: no delivery id, the body hash stands in
        event = body["event"]
        inner = string_field(event, "type") if isinstance(event, dict) else None
        return Verified(event_type=inner or "webhook_event")
    if kind == 1:  # Interactions PING
        return Verified(event_type="ping", reply=Reply(200, {"type": 1}))
    if kind == 4:  # APPLICATION_COMMAND_AUTOCOMPLETE
        return Verified(event_type="interaction.4", reply=NO_CHOICES)
    return Verified(
        event_type=f"interaction.{kind}", sender_id=string_field(body, "id"), ack=DEFERRED.get(kind)
    )


SCHEME = Scheme("discord", SchemeOptions, verify, None, check_secret=decode_public_key)
