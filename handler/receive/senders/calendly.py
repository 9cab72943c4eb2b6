"""Calendly: Calendly-Webhook-Signature = "t=<unix>,v1=<hex HMAC-SHA256(signing key,
"{t}.{body}")>", refused after 3 min as Calendly recommends. No delivery id: the body's hash.
https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="calendly",
        signed="{timestamp}.{body}",
        carrier=Carrier("calendly-webhook-signature", separator=",", key="v1", timestamp_key="t"),
        timestamp=Timestamp(),
        tolerance_seconds=180,
        event="body:event",
    )
)
