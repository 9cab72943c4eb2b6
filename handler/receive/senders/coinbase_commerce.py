"""Coinbase Commerce: X-CC-Webhook-Signature = hex HMAC-SHA256(shared secret, body).

The delivery id is the event's `event.id` (the same on every retry), the type `event.type`
(charge:confirmed). https://docs.cdp.coinbase.com/commerce-onchain/docs/webhooks-security
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="coinbase-commerce",
        signed="{body}",
        carrier=Carrier("x-cc-webhook-signature"),
        id="body:event.id",
        event="body:event.type",
    )
)
