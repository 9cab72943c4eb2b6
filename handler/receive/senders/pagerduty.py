"""PagerDuty v3 webhooks: X-PagerDuty-Signature = "v1=<hex HMAC-SHA256(secret, body)>", one
per signing secret, comma-separated (a rotation sends both).

X-Webhook-Id is the delivery id ("repeated for each delivery attempt"); the type is the body's
`event.event_type`. No timestamp is signed.
PagerDuty/developer-docs docs/webhooks/04-Signatures.md and 02-Behavior.md
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="pagerduty",
        signed="{body}",
        carrier=Carrier("x-pagerduty-signature", separator=",", key="v1"),
        id="header:x-webhook-id",
        event="body:event.event_type",
    )
)
