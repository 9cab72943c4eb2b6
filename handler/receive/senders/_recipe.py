"""What a sender module imports, in one line: the recipe framework, the types a scheme receives
and returns, and the pieces more than one sender shares (a Standard Webhooks preset, the HEAD
check). Shared code, not a sender (its name starts with "_"); it loads nothing beyond
handler/receive/signatures/{base,recipe}.py, which every receiver already loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from handler.receive.signatures.base import (
    FORM,
    HandshakeRefused,
    MediaTypeError,
    PayloadError,
    Reply,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
    form_fields,
    hmac_digest,
    media_type,
    mime_type,
    parse_json,
    public_url,
)
from handler.receive.signatures.recipe import (
    Carrier,
    Document,
    Location,
    Recipe,
    RecipeOptions,
    Timestamp,
    check_fresh,
    json_path,
    recipe_scheme,
)

__all__ = [
    "FORM",
    "Carrier",
    "Document",
    "HandshakeRefused",
    "MediaTypeError",
    "PayloadError",
    "Recipe",
    "RecipeOptions",
    "Reply",
    "Scheme",
    "SignatureError",
    "SignedRequest",
    "SigningInput",
    "Timestamp",
    "Verified",
    "check_fresh",
    "constant_time_equal",
    "form_fields",
    "head_check",
    "hmac_digest",
    "json_path",
    "media_type",
    "mime_type",
    "parse_json",
    "public_url",
    "recipe_scheme",
    "standard_webhooks",
]


def standard_webhooks(
    name: str, headers: Literal["svix", "webhook"], event: Location = "body:type"
) -> Scheme[RecipeOptions]:
    """A sender that signs as Standard Webhooks does: `<headers>-signature` = "v1,<base64
    HMAC-SHA256(key, "{id}.{timestamp}.{body}")>" (space-separated, one per secret during a
    rotation), the key being the "whsec_" secret's base64 part; the delivery id is `<headers>-id`.
    Senders that go through Svix use the svix-* names, the others the webhook-* ones."""
    return recipe_scheme(
        Recipe(
            name=name,
            signed="{id}.{timestamp}.{body}",
            carrier=Carrier(f"{headers}-signature", separator=" ", assign=",", key="v1"),
            encoding="base64",
            secret_form="whsec",
            timestamp=Timestamp(f"{headers}-timestamp"),
            id=f"header:{headers}-id",
            event=event,
        )
    )


def head_check(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Reply | None:
    """A HEAD the sender makes when a webhook is added (Trello, Mandrill): answered 200,
    unsigned, since it carries nothing."""
    return Reply(200, None) if request.method == "HEAD" else None
