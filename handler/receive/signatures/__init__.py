"""The registry of signature schemes, by the name used in the sources file.

`SCHEMES` holds the built-in schemes (imported with the receiver); `scheme_named` also finds the
named senders of the catalogue (handler/receive/senders), each imported only when asked for.
"""

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
    HandshakeRefused,
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


def scheme_named(name: str) -> Scheme[Any] | None:
    """A built-in scheme or a catalogue sender (loaded now); None when neither has `name`."""
    if name in SCHEMES:
        return SCHEMES[name]
    from handler.receive import senders

    return senders.load(name)


def scheme_names() -> list[str]:
    """Every name a source may give as its scheme: the built-ins and the catalogue."""
    from handler.receive import senders

    return sorted({*SCHEMES, *senders.names()})


__all__ = [
    "SCHEMES",
    "HandshakeRefused",
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
    "scheme_named",
    "scheme_names",
]
