"""Linear: Linear-Signature = hex HMAC-SHA256(signing secret, body). The body's webhookTimestamp
(ms) is signed with it; Linear asks receivers to refuse it beyond a minute.
https://linear.app/developers/webhooks#securing-webhooks"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="linear",
        signed="{body}",
        carrier=Carrier("linear-signature"),
        timestamp=Timestamp(location="body:webhookTimestamp", unit="ms"),
        tolerance_seconds=60,
        id="header:linear-delivery",
        event=("header:linear-event", "body:type"),
    )
)
