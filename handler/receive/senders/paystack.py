"""Paystack: x-paystack-signature = hex HMAC-SHA512(secret key, body).

Paystack sends no delivery id and signs no timestamp: the body's hash stands in for the id (a
retry carries the same body). The event is the body's `event`.
https://paystack.com/docs/payments/webhooks/#verify-event-origin
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="paystack",
        signed="{body}",
        carrier=Carrier("x-paystack-signature"),
        algorithm="sha512",
        event="body:event",
    )
)
