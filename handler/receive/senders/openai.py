"""OpenAI: Standard Webhooks signing. webhook-signature = "v1,<base64 HMAC-SHA256(key,
"{id}.{timestamp}.{body}")>" (space-separated, one per secret during a rotation), the key being
the "whsec_" secret's base64 part.

OpenAI follows Standard Webhooks, with the webhook-* names; the delivery id is webhook-id, the
event the body's `type` (response.completed). https://platform.openai.com/docs/guides/webhooks
"""

from __future__ import annotations

from handler.receive.signatures.recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="openai",
        signed="{id}.{timestamp}.{body}",
        carrier=Carrier("webhook-signature", separator=" ", assign=",", key="v1"),
        encoding="base64",
        secret_form="whsec",
        timestamp=Timestamp("webhook-timestamp"),
        id="header:webhook-id",
        event="body:type",
    )
)
