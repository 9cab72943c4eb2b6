"""What every signature scheme receives and returns.

A scheme is a pure function of the request as the sender sent it, the configured secrets and the
clock: no I/O, no framework types, so each one is table-tested against the sender's own SDK.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handler.errors import ReceiverError


@dataclass(frozen=True)
class SignedRequest:
    """A delivery exactly as it reached us, before anything re-serialises it."""

    method: str
    url: str  # the public URL the sender addressed (scheme://host/path?query); Twilio signs it
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    """An answer in the sender's own terms: a handshake (Slack url_verification, Discord PING),
    or the ack a sender requires (Verified.ack). A dict body is sent as JSON, a str body as
    `media_type` (Twilio's TwiML), None as an empty body."""

    status: int
    body: dict[str, Any] | str | None
    media_type: str = "text/plain"  # for a str body
    # Headers the sender requires on the answer (Asana's X-Hook-Secret echo, Dropbox's nosniff).
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Verified:
    event_type: str
    sender_id: str | None = None  # the sender's own delivery id; None means "hash the body"
    reply: Reply | None = None  # a handshake: answered with this, never enqueued
    # Enqueued like any delivery, but acknowledged with what the sender requires instead of our
    # JSON (Slack forms, Discord interactions, Twilio form webhooks).
    ack: Reply | None = None


class VerificationError(ReceiverError):
    """Base of what a scheme raises; `reason` is a stable machine-readable code, also the
    response's `error`."""

    status = 401

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = self.error = reason


class SignatureError(VerificationError):
    """Missing, malformed or wrong signature, or a timestamp outside the tolerance: 401."""


class HandshakeRefused(VerificationError):
    """A handshake that fails its own check (Meta's hub.verify_token): 403, never quarantined,
    since it carries no delivery to release later."""

    status = 403


class PayloadError(VerificationError):
    """Correctly signed, but the body cannot be read the way the scheme requires: 422."""

    status = 422


class MediaTypeError(VerificationError):
    """A content type the scheme cannot verify (Twilio: neither form nor JSON): 415."""

    status = 415


class SchemeOptions(BaseModel):
    """Options every source accepts; schemes subclass this to add their own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tolerance_seconds: int = Field(default=300, ge=1, le=86_400)


class PublicUrlOptions(SchemeOptions):
    """Options of a sender that signs the URL it was given (Twilio, Mandrill, Plivo, HubSpot...)."""

    # The URL configured at the sender (scheme://host[:port]/path): API Gateway and proxies change
    # what the Lambda sees, so senders that sign the URL are verified against this one.
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("public_url must be an absolute http(s) URL")
        if parts.fragment:
            raise ValueError("public_url must not have a fragment")
        return value


def public_url(url: str, configured: str | None) -> str:
    """The URL the sender signed: `configured` (its query kept if it has one, else the
    request's), or the URL as received when nothing is configured."""
    if configured is None:
        return url
    base = urlsplit(configured)
    query = base.query or urlsplit(url).query
    return urlunsplit((base.scheme, base.netloc, base.path, query, ""))


OptionsT = TypeVar("OptionsT", bound=SchemeOptions)


@dataclass(frozen=True)
class SigningInput:
    """What a signer needs to produce the headers the real sender would send."""

    body: bytes
    secret: str
    url: str
    now: float
    event_type: str
    delivery_id: str
    content_type: str = "application/json"


@dataclass(frozen=True)
class Scheme(Generic[OptionsT]):
    name: str
    options: type[OptionsT]
    verify: Callable[[SignedRequest, Sequence[str], OptionsT, float], Verified]
    # Signs like the sender does (demo deliveries, `make events`, the CLI); None where we cannot
    # hold the sender's key (Discord signs with a private key we never see).
    sign: Callable[[SigningInput, OptionsT], dict[str, str]] | None = None
    # Checks a resolved secret at start-up (raises ValueError without echoing it), so a malformed
    # key fails the cold start instead of every delivery.
    check_secret: Callable[[str], object] | None = None
    # Answers a handshake that is not a signed delivery (Meta's and Dropbox's GET, Okta's GET,
    # Trello's HEAD, Asana's first POST): a Reply when `request` is one, None when it is not (a
    # POST then goes on to `verify`; any other method is answered 405). Signed handshakes (Slack,
    # Zoom, Twitch, Discord) are answered by `verify` itself, through Verified.reply.
    handshake: Callable[[SignedRequest, Sequence[str], OptionsT, float], Reply | None] | None = None
    # Option fields that hold secrets (Meta's verify_token): resolved like `secrets` (env:, ssm:,
    # secretsmanager:) at start-up; the options model types them as SecretStr.
    secret_options: tuple[str, ...] = ()


def constant_time_equal(expected: str | bytes, received: str | bytes) -> bool:
    a = expected.encode() if isinstance(expected, str) else expected
    b = received.encode() if isinstance(received, str) else received
    return hmac.compare_digest(a, b)


def check_timestamp(timestamp: str | None, now: float, tolerance_seconds: int) -> int:
    """Parse a unix-seconds timestamp and refuse it when stale or in the future."""
    if not timestamp:
        raise SignatureError("missing_timestamp", "the signature timestamp is missing")
    try:
        value = int(timestamp)
    except ValueError:
        raise SignatureError(
            "malformed_timestamp", "the signature timestamp is not an integer"
        ) from None
    try:
        skew = abs(now - value)
    except OverflowError:  # an integer too large for a float is far outside any tolerance
        skew = float("inf")
    if skew > tolerance_seconds:
        raise SignatureError(
            "stale_timestamp",
            f"the timestamp is outside the {tolerance_seconds} s tolerance",
        )
    return value


def parse_json(data: str | bytes) -> Any:
    """Any JSON value; PayloadError for what is not JSON, nesting too deep included."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # ValueError covers UnicodeDecodeError
        raise PayloadError("invalid_json", "the body is not valid JSON") from None


def json_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, for schemes whose id or event type lives inside it."""
    value = parse_json(body)
    if not isinstance(value, dict):
        raise PayloadError("invalid_json", "the body is not a JSON object")
    return value


def hmac_digest(secret: str | bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    """HMAC of `message`; a text secret is keyed by its UTF-8 bytes, as every sender does."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, algorithm).digest()


FORM = "application/x-www-form-urlencoded"


def mime_type(content_type: str) -> str:
    """A Content-Type value without its parameters, lower-cased."""
    return content_type.split(";", 1)[0].strip().lower()


def media_type(request: SignedRequest) -> str:
    """The request's Content-Type without its parameters, lower-cased ("" when absent)."""
    return mime_type(request.header("content-type") or "")


def form_fields(body: bytes) -> dict[str, list[str]]:
    """A form body's fields, every value of a repeated name kept. Senders form-encode UTF-8;
    anything else cannot match a signature and simply fails the comparison."""
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def string_field(document: Mapping[str, Any], key: str) -> str | None:
    """`document[key]` when it is a non-empty string: ids and types read from untrusted JSON."""
    value = document.get(key)
    return value if isinstance(value, str) and value else None
