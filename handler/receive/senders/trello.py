"""Trello: X-Trello-Webhook = base64 HMAC-SHA1(application secret, body + callback URL).

Trello checks a new webhook's callback URL with a HEAD request, which must be answered 200
(unsigned: it carries nothing). The callback URL is the one given to Trello: set `public_url`.
https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, head_check, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="trello",
        signed="{body}{url}",
        carrier=Carrier("x-trello-webhook"),
        algorithm="sha1",
        encoding="base64",
        id="body:action.id",
        event="body:action.type",
        handshake=head_check,
    )
)
