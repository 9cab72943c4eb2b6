"""Clerk: Standard Webhooks signing. svix-signature = "v1,<base64 HMAC-SHA256(key,
"{id}.{timestamp}.{body}")>" (space-separated, one per secret during a rotation), the key being
the "whsec_" secret's base64 part.

Clerk sends through Svix, so the headers are the svix-* names; the delivery id is svix-id, the
event the body's `type` (user.created). https://clerk.com/docs/webhooks/sync-data
"""

from __future__ import annotations

from handler.receive.signatures.recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="clerk",
        signed="{id}.{timestamp}.{body}",
        carrier=Carrier("svix-signature", separator=" ", assign=",", key="v1"),
        encoding="base64",
        secret_form="whsec",
        timestamp=Timestamp("svix-timestamp"),
        id="header:svix-id",
        event="body:type",
    )
)
