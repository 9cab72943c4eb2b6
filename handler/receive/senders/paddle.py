"""Paddle Billing: Paddle-Signature = "ts=<unix>;h1=<hex HMAC-SHA256(secret key, "{ts}:{body}")>".

Several h1 values may come while a secret is rotated. Paddle's SDK (paddle-python-sdk Verifier,
the tests' oracle) allows 5 s between signing and checking: that is the default here too.
https://developer.paddle.com/webhooks/signature-verification"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="paddle",
        signed="{timestamp}:{body}",
        carrier=Carrier("paddle-signature", separator=";", key="h1", timestamp_key="ts"),
        timestamp=Timestamp(),
        tolerance_seconds=5,
        id="body:event_id",
        event="body:event_type",
    )
)
