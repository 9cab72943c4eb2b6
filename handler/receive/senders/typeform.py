"""Typeform: Typeform-Signature = "sha256=" + base64 HMAC-SHA256(secret, body).

The delivery id is the body's `event_id`, the type its `event_type` (form_response). No
timestamp is signed. https://www.typeform.com/developers/webhooks/secure-your-webhooks/
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="typeform",
        signed="{body}",
        carrier=Carrier("typeform-signature", prefix="sha256="),
        encoding="base64",
        id="body:event_id",
        event="body:event_type",
    )
)
