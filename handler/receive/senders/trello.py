"""Trello: X-Trello-Webhook = base64 HMAC-SHA1(application secret, body + callback URL).

Trello checks a new webhook's callback URL with a HEAD request, which must be answered 200
(unsigned: it carries nothing). The callback URL is the one given to Trello: set `public_url`.
https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures"""

from __future__ import annotations

from collections.abc import Sequence

from handler.receive.signatures.base import Reply, SignedRequest
from handler.receive.signatures.recipe import Carrier, Recipe, RecipeOptions, recipe_scheme


def head_check(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Reply | None:
    return Reply(200, None) if request.method == "HEAD" else None


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
