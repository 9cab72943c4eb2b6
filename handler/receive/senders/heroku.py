"""Heroku app webhooks: Heroku-Webhook-Hmac-SHA256 = base64 HMAC-SHA256(the subscription's
secret, body).

The delivery id is the body's `webhook_metadata.delivery.id` (the same on every attempt of one
delivery), the type its `webhook_metadata.event.include` (api:release). No timestamp is signed.
https://devcenter.heroku.com/articles/app-webhooks#securing-webhook-requests
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="heroku",
        signed="{body}",
        carrier=Carrier("heroku-webhook-hmac-sha256"),
        encoding="base64",
        id=("body:webhook_metadata.delivery.id", "body:id"),
        event=("body:webhook_metadata.event.include", "body:resource"),
    )
)
