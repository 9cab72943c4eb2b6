"""Customer.io reporting webhooks: X-CIO-Signature = hex HMAC-SHA256(webhook signing key,
"v0:{X-CIO-Timestamp}:{body}").

The delivery id is the body's `event_id`, the type its `metric` (sent, opened, clicked). The
timestamp is signed, so it is refused outside the tolerance.
https://docs.customer.io/api/webhooks/#section/Securely-verifying-requests
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="customerio",
        signed="v0:{timestamp}:{body}",
        carrier=Carrier("x-cio-signature"),
        timestamp=Timestamp("x-cio-timestamp"),
        id="body:event_id",
        event="body:metric",
    )
)
