"""Intercom: X-Hub-Signature = "sha1=" + hex HMAC-SHA1(app client secret, body).
https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="intercom",
        signed="{body}",
        carrier=Carrier("x-hub-signature", prefix="sha1="),
        algorithm="sha1",
        id="body:id",
        event="body:topic",
    )
)
