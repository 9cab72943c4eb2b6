"""Gitea (and Forgejo): X-Gitea-Signature = hex HMAC-SHA256(secret, payload).

The payload is the JSON document: the body itself for the "application/json" content type, and
the `payload` field of the body for "application/x-www-form-urlencoded" (Gitea signs the JSON
before it wraps it in the form). X-Gitea-Delivery is the delivery id, X-Gitea-Event the event
(push, pull_request). No timestamp is signed. The sender's own code: go-gitea/gitea
services/webhook/deliver.go (Deliver); https://docs.gitea.com/usage/webhooks
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ._recipe import (
    FORM,
    Carrier,
    PayloadError,
    Recipe,
    RecipeOptions,
    Scheme,
    SignedRequest,
    SigningInput,
    Verified,
    form_fields,
    media_type,
    mime_type,
)

RECIPE = Recipe(
    name="gitea",
    signed="{body}",
    carrier=Carrier("x-gitea-signature"),
    id="header:x-gitea-delivery",
    event="header:x-gitea-event",
)


def payload(body: bytes, content_type: str) -> bytes:
    """What Gitea signs: the JSON, unwrapped from the form when it posts one."""
    if content_type != FORM:
        return body
    values = form_fields(body).get("payload")
    if not values:
        raise PayloadError("invalid_payload", "the form has no payload field")
    return values[0].encode()


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    signed = replace(request, body=payload(request.body, media_type(request)))
    return RECIPE.verify(signed, secrets, options, now)


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    body = payload(message.body, mime_type(message.content_type))
    headers = RECIPE.sign(replace(message, body=body), options)
    return {**headers, "content-type": message.content_type}


SCHEME = Scheme("gitea", RecipeOptions, verify, sign, check_secret=RECIPE.check_secret)
