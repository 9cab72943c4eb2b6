"""CircleCI outbound webhooks: circleci-signature = "v1=<hex HMAC-SHA256(secret, body)>".

The header is a comma-separated list so that later versions can be added; only v1 is read. The
delivery id is the body's `id` (CircleCI's docs: dedupe on it), the type circleci-event-type
(also the body's `type`). No timestamp is signed.
https://circleci.com/docs/webhooks/#validate-webhooks
"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="circleci",
        signed="{body}",
        carrier=Carrier("circleci-signature", separator=",", key="v1"),
        id="body:id",
        event=("header:circleci-event-type", "body:type"),
        sent_headers=(("user-agent", "CircleCI-Webhook/1.0"),),
    )
)
