"""Asana: X-Hook-Signature = hex HMAC-SHA256(the webhook's secret, body).

Asana makes that secret itself: creating a webhook (POST /webhooks) makes Asana POST an empty
body with X-Hook-Secret to the target, which must answer 200 echoing X-Hook-Secret. The
receiver answers, logs nothing of the value, and keeps it for the operator at
handshakes/<source>/<yyyy>/<mm>/<dd>/<uuid>.json in the archive bucket (README, "Asana"): the
operator copies it into the source's secrets (Secrets Manager/SSM). Deliveries that arrive before
the secret is configured are refused 401 and quarantined, and released once it is
(`webhooks quarantine replay`); Asana also retries for 24 h.
https://developers.asana.com/docs/webhooks-guide"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from handler.receive.signatures.base import Reply, SignedRequest, Verified
from handler.receive.signatures.recipe import (
    Carrier,
    Document,
    Recipe,
    RecipeOptions,
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
    return Reply(200, None, headers={HOOK_SECRET: value}, record={"x-hook-secret": value})


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
