"""Webflow: x-webflow-signature = hex HMAC-SHA256(secret, "{x-webflow-timestamp}:{body}"), the
timestamp in milliseconds; Webflow asks receivers to refuse one more than five minutes old.

The secret is the webhook's own (site webhooks) or the OAuth app's client secret (webhooks an
app created). The type is the body's `triggerType` (form_submission); Webflow sends no delivery
id, so the body's hash stands in. https://developers.webflow.com/data/docs/working-with-webhooks
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="webflow",
        signed="{timestamp}:{body}",
        carrier=Carrier("x-webflow-signature"),
        timestamp=Timestamp("x-webflow-timestamp", unit="ms"),
        event="body:triggerType",
    )
)
