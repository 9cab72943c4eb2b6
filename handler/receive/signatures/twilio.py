"""Twilio: X-Twilio-Signature = base64 HMAC-SHA1(auth token, data).

For a form post, data is the full URL Twilio requested followed by every parameter as name +
value, names sorted, a repeated name's values sorted. For a JSON body Twilio appends
`bodySHA256=<hex SHA-256 of the body>` to the URL's query, and data is that URL alone.

Twilio signs the public URL it was given, which a Lambda behind API Gateway does not see:
`public_url` (options) rebuilds it. Twilio's own validator tries the URL with and without the
default port ("since sig generation on back end is inconsistent"), and so do we. Webhooks signed
with a SharedKey name their algorithm in X-Twilio-Webhooks-Signature-Settings (HMAC_SHA256);
without that header the signature is the legacy HMAC-SHA1 of the Auth Token.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qs, urlencode, urlparse, urlsplit, urlunsplit

from pydantic import field_validator

from .base import (
    FORM,
    MediaTypeError,
    PayloadError,
    PublicUrlOptions,
    Reply,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
    form_fields,
    hmac_digest,
    media_type,
    mime_type,
    parse_json,
    public_url,
    string_field,
)

HEADER = "x-twilio-signature"
SETTINGS_HEADER = "x-twilio-webhooks-signature-settings"
BODY_HASH = "bodySHA256"
ALGORITHMS = {"HMAC_SHA1": "sha1", "HMAC_SHA256": "sha256"}

# Twilio parses the answer to a form webhook (incoming message, voice, status callback) as TwiML
# and logs an error for anything else (11200/12300); an empty <Response/> does nothing: no reply
# message, and a voice call ends (calls that need live TwiML cannot be served from a queue).
# JSON-bodied webhooks (bodySHA256) take our 202 like any sender.
EMPTY_TWIML = Reply(200, '<?xml version="1.0" encoding="UTF-8"?><Response/>', media_type="text/xml")


class TwilioOptions(PublicUrlOptions):
    """The URL configured in Twilio (scheme://host[:port]/path); the request's query is kept."""

    @field_validator("public_url")
    @classmethod
    def _without_query(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).query:
            raise ValueError("public_url must not have a query")
        return value


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def signed_url(url: str, body: bytes) -> str:
    """`url` with the bodySHA256 query parameter Twilio adds when it posts a JSON body.

    Post a JSON delivery signed by `sign` to this URL. Any bodySHA256 already present is replaced,
    so the function can be applied twice.
    """
    parts = urlsplit(url)
    kept = [item for item in parts.query.split("&") if item and not item.startswith("bodySHA256=")]
    kept.append(urlencode({BODY_HASH: hashlib.sha256(body).hexdigest()}))
    return urlunsplit(parts._replace(query="&".join(kept)))


def _port_variants(url: str) -> list[str]:
    """The URL as given, without its port and with the scheme's default port (as Twilio tries)."""
    parsed = urlparse(url)
    try:
        port = parsed.port
    except ValueError:  # a port that is not a number: only the URL as given can match
        return [url]
    if port:
        netlocs = [parsed.netloc.split(":")[0], parsed.netloc]
    else:
        netlocs = [parsed.netloc, f"{parsed.netloc}:{443 if parsed.scheme == 'https' else 80}"]
    variants = [url]
    for netloc in netlocs:
        variant = parsed._replace(netloc=netloc).geturl()
        if variant not in variants:
            variants.append(variant)
    return variants


def _form_data(url: str, fields: dict[str, list[str]], distinct: bool) -> str:
    data = url
    for name in sorted(fields):
        values: Iterable[str] = set(fields[name]) if distinct else fields[name]
        for value in sorted(values):
            data += name + value
    return data


def _candidates(request: SignedRequest, url: str, content_type: str) -> list[str]:
    """Every string Twilio may have signed for this request."""
    urls = _port_variants(url)
    if _is_json(content_type):
        return urls
    fields = form_fields(request.body)
    found: list[str] = []
    for candidate_url in urls:
        # twilio-python de-duplicates a repeated name's equal values, older releases did not.
        for distinct in (False, True):
            data = _form_data(candidate_url, fields, distinct)
            if data not in found:
                found.append(data)
    return found


def _algorithm(request: SignedRequest) -> str:
    settings = request.header(SETTINGS_HEADER) or ""
    for part in settings.split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "algorithm" and value.strip():
            algorithm = ALGORITHMS.get(value.strip().upper())
            if algorithm is None:
                raise SignatureError(
                    "unsupported_algorithm", f"{SETTINGS_HEADER} names an unknown algorithm"
                )
            return algorithm
    return "sha1"


def _signature(secret: str, data: str, algorithm: str) -> str:
    return base64.b64encode(hmac_digest(secret, data.encode(), algorithm)).decode()


def verify(
    request: SignedRequest, secrets: Sequence[str], options: TwilioOptions, now: float
) -> Verified:
    content_type = media_type(request)
    if content_type != FORM and not _is_json(content_type):
        raise MediaTypeError(
            "unsupported_media_type", "Twilio requests are verified only as a form or JSON"
        )
    signature = (request.header(HEADER) or "").strip()
    if not signature:
        raise SignatureError("missing_signature", "X-Twilio-Signature is missing")
    try:
        base64.b64decode(signature, validate=True)
    except ValueError:
        raise SignatureError("malformed_signature", "X-Twilio-Signature is not base64") from None
    algorithm = _algorithm(request)
    url = public_url(request.url, options.public_url)
    body_hash: str | None = None
    if _is_json(content_type):
        body_hash = (parse_qs(urlsplit(url).query).get(BODY_HASH) or [""])[0]
        if not body_hash:
            raise SignatureError("missing_body_hash", "a JSON request URL has no bodySHA256")
    candidates = _candidates(request, url, content_type)
    if not any(
        constant_time_equal(_signature(secret, data, algorithm), signature)
        for secret in secrets
        for data in candidates
    ):
        raise SignatureError(
            "bad_signature", "X-Twilio-Signature does not match any configured secret"
        )
    if body_hash is not None:
        # The signed URL vouches for bodySHA256; the body must be the one it hashes.
        if not constant_time_equal(hashlib.sha256(request.body).hexdigest(), body_hash):
            raise SignatureError("bad_body_hash", "the body does not match the signed bodySHA256")
        return Verified(
            event_type=_json_event_type(request.body),
            sender_id=request.header("i-twilio-idempotency-token") or None,
        )
    return Verified(
        event_type=_form_event_type(form_fields(request.body)),
        sender_id=request.header("i-twilio-idempotency-token") or None,
        ack=EMPTY_TWIML,
    )


def _form_event_type(fields: dict[str, list[str]]) -> str:
    def field(name: str) -> str | None:
        values = fields.get(name)
        return values[0] if values and values[0] else None

    event_type = field("EventType")  # Conversations, TaskRouter, Sync...
    if event_type:
        return event_type
    if field("MessageStatus"):
        return "message.status"
    sms_status = field("SmsStatus")
    if sms_status:
        return "message.received" if sms_status == "received" else "message.status"
    if field("CallStatus"):
        return "call.status"
    return "twilio.request"


def _json_event_type(body: bytes) -> str:
    # Event Streams posts a JSON array of CloudEvents; other products post one object.
    try:
        document = parse_json(body)
    except PayloadError:
        return "twilio.request"
    if isinstance(document, list) and document and isinstance(document[0], dict):
        document = document[0]
    if isinstance(document, dict):
        return string_field(document, "type") or "twilio.request"
    return "twilio.request"


def sign(message: SigningInput, options: TwilioOptions) -> dict[str, str]:
    """Headers for a delivery posted to `message.url`, or to `signed_url(...)` for JSON."""
    content_type = mime_type(message.content_type)
    if _is_json(content_type):
        data = public_url(signed_url(message.url, message.body), options.public_url)
    elif content_type == FORM:
        url = public_url(message.url, options.public_url)
        data = _form_data(url, form_fields(message.body), distinct=False)
    else:
        raise ValueError("Twilio deliveries are a form or JSON")
    return {
        "content-type": message.content_type,
        "i-twilio-idempotency-token": message.delivery_id,
        HEADER: _signature(message.secret, data, "sha1"),
    }


SCHEME = Scheme("twilio", TwilioOptions, verify, sign)
