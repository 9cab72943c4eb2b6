"""Lemon Squeezy: X-Signature = hex HMAC-SHA256(signing secret, body).

The event is X-Event-Name (also the body's `meta.event_name`); there is no delivery id and no
signed timestamp, so the body's hash stands in for the id.
https://docs.lemonsqueezy.com/help/webhooks/signing-requests
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="lemonsqueezy",
        signed="{body}",
        carrier=Carrier("x-signature"),
        event=("header:x-event-name", "body:meta.event_name"),
    )
)
