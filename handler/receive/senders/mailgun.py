"""Mailgun: the signature is inside the body. signature.signature = hex HMAC-SHA256(HTTP webhook
signing key, signature.timestamp + signature.token) in a JSON body ({"signature": {...},
"event-data": {...}}); legacy webhooks and routes post a form with timestamp, token and
signature fields. The timestamp is refused outside the tolerance (15 min by default, as the
`mailgun` SDK's verify_webhook, the tests' oracle); event-data.id is the id. The signature does
not cover the event data: the timestamp bounds a replay, the dedup record stops it.
https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks"""

from __future__ import annotations

from collections.abc import Sequence

from ._recipe import (
    FORM,
    Document,
    RecipeOptions,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    check_fresh,
    constant_time_equal,
    form_fields,
    hmac_digest,
    json_path,
    media_type,
)

TOLERANCE = 900


def signature_fields(request: SignedRequest) -> tuple[str, str, str] | None:
    """(timestamp, token, signature) from the JSON body or the form; None when incomplete."""
    if media_type(request) == FORM:
        form = form_fields(request.body)
        found = [
            next(iter(form.get(name) or []), None) for name in ("timestamp", "token", "signature")
        ]
    else:
        document = Document(request).json
        found = [
            json_path(document, f"signature.{name}") for name in ("timestamp", "token", "signature")
        ]
    values = [
        str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
        for value in found
    ]
    timestamp, token, signature = values
    return (timestamp, token, signature) if timestamp and token and signature else None


def _digest(secret: str, timestamp: str, token: str) -> str:
    return hmac_digest(secret, (timestamp + token).encode()).hex()


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    fields = signature_fields(request)
    if fields is None:
        raise SignatureError("missing_signature", "the body has no timestamp, token and signature")
    timestamp, token, signature = fields
    # Mailgun's SDK (verify_webhook) allows 15 min: the default here too.
    explicit = "tolerance_seconds" in options.model_fields_set
    check_fresh(timestamp, "s", now, options.tolerance_seconds if explicit else TOLERANCE)
    if not any(constant_time_equal(_digest(s, timestamp, token), signature) for s in secrets):
        raise SignatureError("bad_signature", "the signature does not match any configured key")
    return Document(request).verified(
        ("body:event-data.event", "form:event"),
        "mailgun",
        id=("body:event-data.id", "form:Message-Id"),
    )


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    """Mailgun signs inside the body: nothing to add to the headers (see `signed_body`)."""
    return {"content-type": message.content_type}


def signature_block(secret: str, timestamp: str, token: str) -> dict[str, str]:
    """The body's "signature" object (the simulator's samples embed it)."""
    return {"timestamp": timestamp, "token": token, "signature": _digest(secret, timestamp, token)}


SCHEME = Scheme("mailgun", RecipeOptions, verify, sign)
