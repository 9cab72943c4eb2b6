"""Asana: X-Hook-Signature = hex HMAC-SHA256(the webhook's secret, body).

Asana makes that secret itself: creating a webhook (POST /api/1.0/webhooks) makes Asana POST an
empty body with X-Hook-Secret to the target while the create call waits; the target must answer
200 echoing X-Hook-Secret. The receiver echoes it and neither logs nor stores it: the create
call's own response carries the same X-Hook-Secret, and the operator puts that value in the
source's secrets (Secrets Manager/SSM; README, "Asana"). Deliveries that arrive before it is
configured are refused 401 and quarantined, and released once it is (`webhooks quarantine
replay`). https://developers.asana.com/reference/createwebhook"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ._recipe import (
    Carrier,
    Document,
    Recipe,
    RecipeOptions,
    Reply,
    SignedRequest,
    Verified,
    json_path,
    recipe_scheme,
)

HOOK_SECRET = "X-Hook-Secret"


def hook_secret(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Reply | None:
    value = request.header(HOOK_SECRET)
    if request.method != "POST" or not value:
        return None
    return Reply(200, None, headers={HOOK_SECRET: value})


def resource_action(
    request: SignedRequest, document: Document, verified: Verified, secret: str
) -> Verified:
    events = json_path(document.json, "events")
    if isinstance(events, list) and not events:
        return replace(verified, event_type="heartbeat")  # Asana's periodic empty delivery
    resource = json_path(document.json, "events.0.resource.resource_type")
    action = json_path(document.json, "events.0.action")
    if isinstance(resource, str) and isinstance(action, str):
        return replace(verified, event_type=f"{resource}.{action}")
    return verified


SCHEME = recipe_scheme(
    Recipe(
        name="asana",
        signed="{body}",
        carrier=Carrier("x-hook-signature"),
        event_default="events",
        classify=resource_action,
        handshake=hook_secret,
    )
)
