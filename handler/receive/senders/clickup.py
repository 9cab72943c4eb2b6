"""ClickUp: X-Signature = hex HMAC-SHA256(webhook secret, body).

The type is the body's `event` (taskCreated); ClickUp sends no delivery id and signs no
timestamp, so the body's hash stands in for the id.
https://developer.clickup.com/docs/webhooksignature
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="clickup",
        signed="{body}",
        carrier=Carrier("x-signature"),
        event="body:event",
    )
)
