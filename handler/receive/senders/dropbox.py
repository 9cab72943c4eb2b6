"""Dropbox: X-Dropbox-Signature = hex HMAC-SHA256(app secret, body).

A new webhook URL is checked with GET ?challenge=<text>: the text is echoed back as text/plain
with X-Content-Type-Options: nosniff, as Dropbox requires (unsigned: a reflection, so nothing
else is answered). Notifications carry no id and only account ids ("list_folder").
https://www.dropbox.com/developers/reference/webhooks"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from ._recipe import Carrier, Recipe, RecipeOptions, Reply, SignedRequest, recipe_scheme

NOSNIFF = {"X-Content-Type-Options": "nosniff"}


def challenge(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Reply | None:
    if request.method != "GET":
        return None
    values = parse_qs(urlsplit(request.url).query).get("challenge")
    if not values:
        return None
    return Reply(200, values[0], media_type="text/plain", headers=NOSNIFF)


SCHEME = recipe_scheme(
    Recipe(
        name="dropbox",
        signed="{body}",
        carrier=Carrier("x-dropbox-signature"),
        event_default="list_folder",
        handshake=challenge,
    )
)
