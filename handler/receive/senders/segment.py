"""Segment (the Webhooks destination): X-Signature = hex HMAC-SHA1(shared secret, body).

The delivery id is the message's `messageId`, the type its `type` (track, identify). No
timestamp is signed. Batching must be off: with it, Segment signs only the first event of the
batch (re-serialised, not the bytes sent), which no receiver can check (Twilio support, "How
Segment computes x-signature for batched webhooks").
https://segment.com/docs/connections/destinations/catalog/webhooks/
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="segment",
        signed="{body}",
        carrier=Carrier("x-signature"),
        algorithm="sha1",
        id="body:messageId",
        event="body:type",
    )
)
