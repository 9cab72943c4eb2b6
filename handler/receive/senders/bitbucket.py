"""Bitbucket Cloud: X-Hub-Signature = "sha256=" + hex HMAC-SHA256(webhook secret, body).
https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="bitbucket",
        signed="{body}",
        carrier=Carrier("x-hub-signature", prefix="sha256="),
        id="header:x-request-uuid",
        event="header:x-event-key",
    )
)
