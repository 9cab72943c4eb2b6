"""HubSpot (v3): X-HubSpot-Signature-v3 = base64 HMAC-SHA256(app client secret,
method + URI + body + timestamp), X-HubSpot-Request-Timestamp in milliseconds, refused after
5 min. The URI is the full URL HubSpot called: set `public_url`. The body is a batch (a JSON
array) whose events each have an eventId: a delivery has no id of its own, so its hash is its id
(a retried batch is the same bytes). The hubspot-api-client Signature is the tests' oracle.
https://developers.hubspot.com/docs/api/webhooks/validating-requests"""

from __future__ import annotations

from ._recipe import Carrier, Recipe, Timestamp, recipe_scheme

SCHEME = recipe_scheme(
    Recipe(
        name="hubspot",
        signed="{method}{url}{body}{timestamp}",
        carrier=Carrier("x-hubspot-signature-v3"),
        encoding="base64",
        timestamp=Timestamp("x-hubspot-request-timestamp", unit="ms"),
        event="body:0.subscriptionType",
    )
)
