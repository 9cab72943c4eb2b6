"""Vercel: x-vercel-signature = hex HMAC-SHA1(webhook secret, body).

The delivery id is the body's `id`, the type its `type` (deployment.succeeded). No timestamp is
signed. https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="vercel",
        signed="{body}",
        carrier=Carrier("x-vercel-signature"),
        algorithm="sha1",
        id="body:id",
        event="body:type",
    )
)
