"""Gitea (and Forgejo): X-Gitea-Signature = hex HMAC-SHA256(secret, body).

X-Gitea-Delivery is the delivery id, X-Gitea-Event the event (push, pull_request). No timestamp
is signed. https://docs.gitea.com/usage/webhooks
"""

from __future__ import annotations

from handler.receive.signatures.recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="gitea",
        signed="{body}",
        carrier=Carrier("x-gitea-signature"),
        id="header:x-gitea-delivery",
        event="header:x-gitea-event",
    )
)
