"""Replicate: Standard Webhooks signing. webhook-signature = "v1,<base64 HMAC-SHA256(key,
"{id}.{timestamp}.{body}")>" (space-separated, one per secret during a rotation), the key being
the "whsec_" secret's base64 part.

Replicate follows Standard Webhooks, with the webhook-* names; the delivery id is webhook-id, the
event the prediction's `status` (succeeded): Replicate posts the prediction itself, with no type.
https://replicate.com/docs/topics/webhooks/verify-webhook
"""

from __future__ import annotations

from handler.receive.signatures.recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="replicate",
        signed="{id}.{timestamp}.{body}",
        carrier=Carrier("webhook-signature", separator=" ", assign=",", key="v1"),
        encoding="base64",
        secret_form="whsec",
        timestamp=Timestamp("webhook-timestamp"),
        id="header:webhook-id",
        event="body:status",
    )
)
