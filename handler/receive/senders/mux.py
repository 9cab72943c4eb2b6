"""Mux: Mux-Signature = "t=<unix s>,v1=<hex HMAC-SHA256(signing secret, "{t}.{body}")>".

The delivery id is the body's `id`, the type its `type` (video.asset.ready).
https://docs.mux.com/core/verify-webhook-signatures
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="mux",
        signed="{timestamp}.{body}",
        carrier=Carrier("mux-signature", separator=",", key="v1", timestamp_key="t"),
        timestamp=Timestamp(),
        id="body:id",
        event="body:type",
    )
)
