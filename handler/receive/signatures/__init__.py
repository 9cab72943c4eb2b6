"""The registry of signature schemes, by the name used in the sources file."""

from __future__ import annotations

from typing import Any

from . import (
    discord,
    github,
    gitlab,
    hmac_sha256,
    shopify,
    slack,
    standard,
    stripe,
    twilio,
)
from .base import (
    MediaTypeError,
    PayloadError,
    Reply,
    Scheme,
    SchemeOptions,
    SignatureError,
    SignedRequest,
    SigningInput,
    VerificationError,
    Verified,
)

SCHEMES: dict[str, Scheme[Any]] = {
    scheme.name: scheme
    for scheme in (
        github.SCHEME,
        stripe.SCHEME,
        slack.SCHEME,
        shopify.SCHEME,
        standard.SCHEME,
        twilio.SCHEME,
        gitlab.SCHEME,
        discord.SCHEME,
        hmac_sha256.SCHEME,
    )
}

__all__ = [
    "SCHEMES",
    "MediaTypeError",
    "PayloadError",
    "Reply",
    "Scheme",
    "SchemeOptions",
    "SignatureError",
    "SignedRequest",
    "SigningInput",
    "VerificationError",
    "Verified",
]
