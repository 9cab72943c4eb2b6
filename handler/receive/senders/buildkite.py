"""Buildkite: X-Buildkite-Signature = "timestamp=<unix s>,signature=<hex HMAC-SHA256(token,
"{timestamp}.{body}")>" (the webhook's token set to be sent as a signature, not as
X-Buildkite-Token).

The event is X-Buildkite-Event (build.finished); Buildkite sends no delivery id.
https://buildkite.com/docs/apis/webhooks/pipelines#webhook-signature
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="buildkite",
        signed="{timestamp}.{body}",
        carrier=Carrier(
            "x-buildkite-signature", separator=",", key="signature", timestamp_key="timestamp"
        ),
        timestamp=Timestamp(),
        event=("header:x-buildkite-event", "body:event"),
    )
)
