"""Zendesk: X-Zendesk-Webhook-Signature = base64 HMAC-SHA256(signing secret, timestamp + body),
the timestamp being X-Zendesk-Webhook-Signature-Timestamp (RFC 3339, e.g. 2021-08-18T18:32:54Z).

X-Zendesk-Webhook-Invocation-Id is the delivery id; the type is the event's `type`
(zen:event-type:user.created) for event-subscribed webhooks, else "webhook" (a trigger's or an
automation's body is the admin's own template). The timestamp is signed, so it is refused
outside the tolerance.
https://developer.zendesk.com/documentation/webhooks/verifying/
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="zendesk",
        signed="{timestamp}{body}",
        carrier=Carrier("x-zendesk-webhook-signature"),
        encoding="base64",
        timestamp=Timestamp("x-zendesk-webhook-signature-timestamp", unit="iso8601"),
        id="header:x-zendesk-webhook-invocation-id",
        event="body:type",
    )
)
