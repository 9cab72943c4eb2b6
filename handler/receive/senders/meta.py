"""Meta (WhatsApp Cloud API, Instagram, Messenger, every Graph API webhook):
X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(app secret, body).

Subscribing a callback URL is a GET with hub.mode=subscribe, hub.verify_token (the token typed
into the App Dashboard: the source's `verify_token`, a secret reference like any other) and
hub.challenge, answered with the challenge as text; a wrong token is refused (403). The type is
the body's object and field ("whatsapp_business_account.messages", "page.messaging").
https://developers.facebook.com/docs/graph-api/webhooks/getting-started"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from ._recipe import (
    Carrier,
    Document,
    HandshakeRefused,
    Recipe,
    RecipeOptions,
    Reply,
    SignedRequest,
    Verified,
    constant_time_equal,
    json_path,
    recipe_scheme,
)


class MetaOptions(RecipeOptions):
    verify_token: SecretStr | None = None  # resolved like a secret (env:, ssm:, ...)


def subscribe(
    request: SignedRequest, secrets: Sequence[str], options: MetaOptions, now: float
) -> Reply | None:
    if request.method != "GET":
        return None
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
        return None
    if options.verify_token is None:
        raise HandshakeRefused("no_verify_token", "this source has no verify_token configured")
    token = query.get("hub.verify_token", "")
    if not constant_time_equal(options.verify_token.get_secret_value(), token):
        raise HandshakeRefused("bad_verify_token", "hub.verify_token does not match")
    return Reply(200, query["hub.challenge"], media_type="text/plain")


def object_and_field(
    request: SignedRequest, document: Document, verified: Verified, secret: str
) -> Verified:
    kind = json_path(document.json, "object")
    if not isinstance(kind, str) or not kind:
        return verified
    field = json_path(document.json, "entry.0.changes.0.field")
    if not isinstance(field, str) or not field:
        field = "messaging" if json_path(document.json, "entry.0.messaging") else None
    return replace(verified, event_type=f"{kind}.{field}" if field else kind)


SCHEME = recipe_scheme(
    Recipe(
        name="meta",
        signed="{body}",
        carrier=Carrier("x-hub-signature-256", prefix="sha256="),
        event="body:object",
        classify=object_and_field,
        handshake=subscribe,
        options=MetaOptions,
        secret_options=("verify_token",),
    )
)
