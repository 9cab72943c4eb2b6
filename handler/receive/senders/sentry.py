"""Sentry (integration platform): Sentry-Hook-Signature = hex HMAC-SHA256(client secret, body);
Request-ID is the delivery id; the type is Sentry-Hook-Resource plus the body's action
("issue.created"). https://docs.sentry.io/integrations/integration-platform/webhooks/"""

from __future__ import annotations

from dataclasses import replace

from ._recipe import Carrier, Document, Recipe, SignedRequest, Verified, json_path, recipe_scheme


def resource_action(
    request: SignedRequest, document: Document, verified: Verified, secret: str
) -> Verified:
    action = json_path(document.json, "action")
    if isinstance(action, str) and action:
        return replace(verified, event_type=f"{verified.event_type}.{action}")
    return verified


SCHEME = recipe_scheme(
    Recipe(
        name="sentry",
        signed="{body}",
        carrier=Carrier("sentry-hook-signature"),
        id="header:request-id",
        event="header:sentry-hook-resource",
        classify=resource_action,
    )
)
