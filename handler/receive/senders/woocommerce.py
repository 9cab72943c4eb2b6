"""WooCommerce: X-WC-Webhook-Signature = base64 HMAC-SHA256(secret, body).

X-WC-Webhook-Delivery-ID is the delivery id and X-WC-Webhook-Topic the event (order.created). No
timestamp is signed. When a webhook is saved, WooCommerce first posts an unsigned ping,
`webhook_id=<n>` as a form, and activates the webhook only if the answer is exactly 200: that ping
is answered here and never enqueued (it carries nothing). The sender's own code:
woocommerce/woocommerce plugins/woocommerce/includes/class-wc-webhook.php (deliver,
generate_signature, deliver_ping).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._recipe import Carrier, Recipe, RecipeOptions, Reply, SignedRequest, recipe_scheme

PING = re.compile(rb"webhook_id=\d{1,20}")
SIGNATURE = "x-wc-webhook-signature"


def ping(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Reply | None:
    """The creation ping: a POST whose whole body is `webhook_id=<n>`, with no signature."""
    if request.method != "POST" or request.header(SIGNATURE):
        return None
    if PING.fullmatch(request.body) is None:
        return None
    return Reply(200, None)


SCHEME = recipe_scheme(
    Recipe(
        name="woocommerce",
        signed="{body}",
        carrier=Carrier(SIGNATURE),
        encoding="base64",
        id="header:x-wc-webhook-delivery-id",
        event="header:x-wc-webhook-topic",
        handshake=ping,
        sent_headers=(
            ("user-agent", "WooCommerce/9.4.0 Hookshot (WordPress/6.7)"),
            ("x-wc-webhook-source", "https://shop.example.com/"),
            ("x-wc-webhook-id", "12"),
        ),
    )
)
