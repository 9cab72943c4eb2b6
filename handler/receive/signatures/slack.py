"""Slack: X-Slack-Signature = "v0=" + hex HMAC-SHA256(secret, "v0:{ts}:{body}").

One signing secret covers three body shapes: Events API JSON (with the url_verification
handshake), slash commands (a form) and interactivity (a form whose `payload` field is JSON);
the two forms are acknowledged the way Slack expects them to be (see EMPTY_200).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs

from .base import (
    PayloadError,
    Reply,
    Scheme,
    SchemeOptions,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    check_timestamp,
    constant_time_equal,
    hmac_digest,
    json_body,
    media_type,
    parse_json,
    string_field,
)

VERSION = "v0"
FORM = "application/x-www-form-urlencoded"

# Slash commands and interactivity want a 200 within 3 s, and post a non-empty body back to the
# user as a message: they are acked with an empty 200 and queued; the processor answers later
# through the payload's `response_url`. Events API deliveries take our 202 like any sender.
EMPTY_200 = Reply(200, None)
# An options request (external select menu) wants its options in the response, which a queue
# cannot give: answered with none, not queued.
NO_OPTIONS = Reply(200, {"options": []})


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}={hmac_digest(secret, base).hex()}"


def verify(
    request: SignedRequest, secrets: Sequence[str], options: SchemeOptions, now: float
) -> Verified:
    signature = request.header("x-slack-signature")
    if not signature:
        raise SignatureError("missing_signature", "X-Slack-Signature is missing")
    if not signature.startswith(VERSION + "="):
        raise SignatureError("malformed_signature", "X-Slack-Signature does not start with v0=")
    timestamp = request.header("x-slack-request-timestamp")
    if not timestamp:
        raise SignatureError("missing_timestamp", "X-Slack-Request-Timestamp is missing")
    check_timestamp(timestamp, now, options.tolerance_seconds)
    for secret in secrets:
        if constant_time_equal(_digest(secret, timestamp, request.body), signature):
            return _classify(request)
    raise SignatureError("bad_signature", "X-Slack-Signature does not match any configured secret")


def _classify(request: SignedRequest) -> Verified:
    declared = media_type(request)
    if declared == FORM:
        return _classify_form(request.body)
    if declared != "application/json" and not request.body.lstrip().startswith(b"{"):
        return _classify_form(request.body)  # no usable Content-Type: the body tells
    body = json_body(request.body)
    kind = string_field(body, "type")
    if kind == "url_verification":
        challenge = string_field(body, "challenge")
        if challenge is None:
            raise PayloadError("invalid_payload", "url_verification has no challenge")
        return Verified(event_type=kind, reply=Reply(200, {"challenge": challenge}))
    event = body.get("event")
    inner = string_field(event, "type") if isinstance(event, dict) else None
    return Verified(
        event_type=inner or kind or "unknown",
        sender_id=string_field(body, "event_id"),
    )


def _classify_form(body: bytes) -> Verified:
    # Slack form-encodes UTF-8; a body that is not is still signed, so read it leniently.
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if "payload" in fields:
        payload = parse_json(fields["payload"][0])
        if not isinstance(payload, dict):
            raise PayloadError("invalid_json", "the payload field is not a JSON object")
        kind = string_field(payload, "type") or "interaction"
        if kind == "block_suggestion":
            return Verified(event_type=kind, reply=NO_OPTIONS)
        return Verified(event_type=kind, ack=EMPTY_200)
    if "ssl_check" in fields:
        # Slack probes a slash command's certificate: answer 200, nothing to process.
        return Verified(event_type="ssl_check", reply=EMPTY_200)
    if "command" in fields:
        return Verified(event_type="slash_command", ack=EMPTY_200)
    return Verified(event_type="unknown")


def sign(message: SigningInput, options: SchemeOptions) -> dict[str, str]:
    timestamp = str(int(message.now))
    return {
        "content-type": message.content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": _digest(message.secret, timestamp, message.body),
    }


SCHEME = Scheme("slack", SchemeOptions, verify, sign)
