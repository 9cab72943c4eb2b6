"""Mandrill (Mailchimp Transactional): X-Mandrill-Signature = base64 HMAC-SHA1(webhook key,
URL + every POST parameter sorted by name, as name + value with no separators).

Mandrill posts a form whose one field, `mandrill_events`, is a JSON array of events; the type is
the first event's `event` (send, open, click, inbound). Mandrill signs the URL it was given, so
the source's `public_url` is what is checked behind API Gateway or a proxy. No delivery id (the
body's hash stands in) and no signed time. When a webhook is added, Mandrill checks the URL with
a HEAD request: answered 200, unsigned (it carries nothing).
https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

from ._recipe import (
    FORM,
    MediaTypeError,
    PayloadError,
    RecipeOptions,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
    form_fields,
    head_check,
    hmac_digest,
    media_type,
    parse_json,
    public_url,
)

SIGNATURE = "x-mandrill-signature"


def signed_data(url: str, params: Mapping[str, str]) -> bytes:
    return (url + "".join(name + params[name] for name in sorted(params))).encode()


def signature(key: str, url: str, params: Mapping[str, str]) -> str:
    return base64.b64encode(hmac_digest(key, signed_data(url, params), "sha1")).decode()


def form(body: bytes) -> dict[str, str]:
    """The form's fields, a repeated name's last value winning."""
    return {name: values[-1] for name, values in form_fields(body).items()}


def event_type(params: Mapping[str, str]) -> str:
    events = parse_json(params.get("mandrill_events", "[]"))
    if not isinstance(events, list):
        raise PayloadError("invalid_payload", "mandrill_events is not a JSON array")
    first = events[0] if events and isinstance(events[0], dict) else {}
    kind = first.get("event")
    return kind if isinstance(kind, str) and kind else "events"


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    received = request.header(SIGNATURE)
    if not received:
        raise SignatureError("missing_signature", "X-Mandrill-Signature is missing")
    if media_type(request) != FORM:
        raise MediaTypeError("unsupported_media_type", "Mandrill posts forms only")
    params = form(request.body)
    url = public_url(request.url, options.public_url)
    for secret in secrets:
        if constant_time_equal(signature(secret, url, params), received):
            return Verified(event_type=event_type(params))
    raise SignatureError("bad_signature", "X-Mandrill-Signature does not match any webhook key")


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    url = public_url(message.url, options.public_url)
    return {
        "content-type": message.content_type,
        "user-agent": "Mandrill-Webhook/1.0",
        SIGNATURE: signature(message.secret, url, form(message.body)),
    }


SCHEME = Scheme("mandrill", RecipeOptions, verify, sign, handshake=head_check)
