"""GoCardless: Webhook-Signature = hex HMAC-SHA256(endpoint secret, body).

One webhook carries a batch of events; its id is the body's `meta.webhook_id` (the same on every
retry). The event type is "<resource_type>.<action>" of its events (payments.confirmed) when they
all share one, else "mixed". No timestamp is signed.
https://developer.gocardless.com/getting-started/staying-up-to-date-with-webhooks/
"""

from __future__ import annotations

from dataclasses import replace

from ._recipe import Carrier, Document, Recipe, SignedRequest, Verified, recipe_scheme


def event_type(document: Document) -> str | None:
    """The batch's one "<resource_type>.<action>", "mixed", or None when it has no events."""
    body = document.json
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list) or not events:
        return None
    kinds = {
        f"{event.get('resource_type')}.{event.get('action')}"
        for event in events
        if isinstance(event, dict)
    }
    return kinds.pop() if len(kinds) == 1 else "mixed"


def classify(
    request: SignedRequest, document: Document, verified: Verified, secret: str
) -> Verified:
    kind = event_type(document)
    return verified if kind is None else replace(verified, event_type=kind)


SCHEME = recipe_scheme(
    Recipe(
        name="gocardless",
        signed="{body}",
        carrier=Carrier("webhook-signature"),
        id="body:meta.webhook_id",
        event_default="events",
        classify=classify,
    )
)
