"""Segment (the Webhooks destination): X-Signature = hex HMAC-SHA1(shared secret, body).

The delivery id is the message's `messageId`, the type its `type` (track, identify). No
timestamp is signed.
https://segment.com/docs/connections/destinations/catalog/webhooks/
"""

from __future__ import annotations

from handler.receive.signatures.recipe import Carrier, Recipe, recipe_scheme

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
