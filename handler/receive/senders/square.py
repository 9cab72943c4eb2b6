"""Square: x-square-hmacsha256-signature = base64 HMAC-SHA256(signature key, notification URL +
body). Square signs the URL configured for the subscription: set `public_url` to it.
https://developer.squareup.com/docs/webhooks/step3validate (the squareup SDK's
WebhooksHelper is the tests' oracle)."""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="square",
        signed="{url}{body}",
        carrier=Carrier("x-square-hmacsha256-signature"),
        encoding="base64",
        id="body:event_id",
        event="body:type",
    )
)
