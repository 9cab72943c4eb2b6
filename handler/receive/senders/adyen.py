"""Adyen standard webhooks: the signature is inside each notification item.
additionalData.hmacSignature = base64 HMAC-SHA256(hex-decoded HMAC key, "pspReference:
originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success").

Adyen signs those eight fields, not the body: the rest of an item (additionalData, reason, the
operations) is not authenticated, so a processor should trust only the signed fields, or fetch the
payment. Every item of the batch must carry a signature one configured key makes (an item without
one is unsigned, never accepted). The delivery id is "<pspReference>:<eventCode>:<success>" of the
first item: Adyen may send a notification more than once, and its docs dedupe on that combination.
The type is the first item's eventCode (AUTHORISATION). Nothing says when it was signed, so no
timestamp is checked. Adyen accepts any 2xx answer (the "[accepted]" body it once required is no
longer needed), so the receiver's 202 stands. The `Adyen` library's is_valid_hmac_notification is
the tests' oracle.
https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures and
https://docs.adyen.com/development-resources/webhooks/ (accept webhooks)
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from ._recipe import (
    PayloadError,
    RecipeOptions,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
    hmac_digest,
    parse_json,
)

FIELDS = (
    "pspReference",
    "originalReference",
    "merchantAccountCode",
    "merchantReference",
    "value",
    "currency",
    "eventCode",
    "success",
)


def hmac_key(secret: str) -> bytes:
    """The key of a hex HMAC key as the Customer Area shows it; ValueError (never echoing it)."""
    try:
        key = binascii.unhexlify(secret)
    except (binascii.Error, ValueError):
        raise ValueError("an Adyen HMAC key is not hex") from None
    if not key:
        raise ValueError("an Adyen HMAC key is empty")
    return key


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value)


def signed_string(item: Mapping[str, Any]) -> str:
    """The item's fields in Adyen's order, ':'-joined; amount.value and amount.currency stand in
    for value and currency."""
    found = item.get("amount")
    amount: Mapping[str, Any] = found if isinstance(found, dict) else {}
    values = {**item, "value": amount.get("value"), "currency": amount.get("currency")}
    return ":".join(_text(values.get(name)) for name in FIELDS)


def signature(key: bytes, item: Mapping[str, Any]) -> str:
    return base64.b64encode(hmac_digest(key, signed_string(item).encode())).decode()


def items(document: Any) -> list[dict[str, Any]]:
    """The notification items of a batch; PayloadError when the body has none."""
    listed = document.get("notificationItems") if isinstance(document, dict) else None
    found = [
        entry["NotificationRequestItem"]
        for entry in listed or []
        if isinstance(entry, dict) and isinstance(entry.get("NotificationRequestItem"), dict)
    ]
    if not found:
        raise PayloadError("invalid_payload", "the body has no notification items")
    return found


def received_signature(item: Mapping[str, Any]) -> str | None:
    extra = item.get("additionalData")
    value = extra.get("hmacSignature") if isinstance(extra, dict) else None
    return value if isinstance(value, str) and value else None


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    batch = items(parse_json(request.body))
    if any(received_signature(item) is None for item in batch):
        raise SignatureError("missing_signature", "a notification item has no hmacSignature")
    for secret in secrets:
        key = hmac_key(secret)
        if all(constant_time_equal(signature(key, i), received_signature(i) or "") for i in batch):
            first = batch[0]
            parts = [_text(first.get(name)) for name in ("pspReference", "eventCode", "success")]
            return Verified(
                event_type=_text(first.get("eventCode")) or "notification",
                sender_id=":".join(parts) if parts[0] else None,
            )
    raise SignatureError("bad_signature", "an hmacSignature does not match any configured key")


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    """Adyen signs inside the body (webhook_sim/examples/adyen.py `signed_body`): no header."""
    return {"content-type": message.content_type}


def signed_body(body: bytes, secret: str) -> bytes:
    """`body` with every item's hmacSignature made with `secret` (for the simulator)."""
    import json

    document = json.loads(body)
    key = hmac_key(secret)
    for item in items(document):
        extra = item.setdefault("additionalData", {})
        extra.pop("hmacSignature", None)
        extra["hmacSignature"] = signature(key, item)
    return json.dumps(document, ensure_ascii=False).encode()


SCHEME = Scheme("adyen", RecipeOptions, verify, sign, check_secret=hmac_key)
