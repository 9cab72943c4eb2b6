"""WorkOS: WorkOS-Signature = "t=<unix ms>, v1=<hex HMAC-SHA256(secret, "{t}.{body}")>".

The timestamp is in milliseconds; WorkOS's SDKs refuse one more than 180 s away, and so do we by
default. The delivery id is the event's `id` (evt_..., the same on every retry), the type its
`event`. https://workos.com/docs/events/data-syncing/webhooks
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="workos",
        signed="{timestamp}.{body}",
        # The SDKs split the header on ", " exactly, so the simulator writes it that way.
        carrier=Carrier("workos-signature", separator=", ", key="v1", timestamp_key="t"),
        timestamp=Timestamp(unit="ms"),
        tolerance_seconds=180,
        id="body:id",
        event="body:event",
    )
)
