"""Razorpay: X-Razorpay-Signature = hex HMAC-SHA256(webhook secret, body).

The delivery id is X-Razorpay-Event-Id (the same on every retry); the event is the body's `event`.
No timestamp is signed. https://razorpay.com/docs/webhooks/validate-test/
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="razorpay",
        signed="{body}",
        carrier=Carrier("x-razorpay-signature"),
        id="header:x-razorpay-event-id",
        event="body:event",
    )
)
