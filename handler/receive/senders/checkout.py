"""Checkout.com: Cko-Signature = hex HMAC-SHA256(the webhook's secret key, body).

The delivery id is the event's `id` (evt_..., the same on every retry), the type its `type`
(payment_approved). No timestamp is signed.
https://www.checkout.com/docs/developer-resources/event-notifications/receive-webhooks
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="checkout",
        signed="{body}",
        carrier=Carrier("cko-signature"),
        id="body:id",
        event="body:type",
    )
)
