"""LiveKit: `Authorization` carries a JWT (HS256, signed with the project's API secret, issued by
its API key) whose `sha256` claim is the base64 SHA-256 of the body.

A secret is "<API key>:<API secret>" (a project can have several pairs: each is one secret, so a
rotation is two of them); the token's `iss` must be the pair's key, as LiveKit's TokenVerifier
checks. The token's nbf/exp window is its signed time: a token outside it (with the source's
tolerance as leeway, LiveKit's SDKs allow 60 s) is refused as stale. The delivery id is the
event's `id` (EV_...), the type its `event` (room_started); the body is sent as
application/webhook+json. https://docs.livekit.io/home/server/webhooks/
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from ._recipe import (
    Document,
    RecipeOptions,
    Scheme,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
)

TOKEN_TTL = 300  # what the simulator's tokens live for (LiveKit's server: 5 minutes)


class LiveKitOptions(RecipeOptions):
    tolerance_seconds: int = Field(default=60, ge=1, le=86_400)


def key_pair(secret: str) -> tuple[str, str]:
    """(API key, API secret) of a "<key>:<secret>" secret; ValueError (never echoing it)."""
    api_key, separator, api_secret = secret.partition(":")
    if not separator or not api_key or not api_secret:
        raise ValueError("a LiveKit secret is '<API key>:<API secret>'")
    return api_key, api_secret


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def body_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def read_token(token: str) -> tuple[bytes, bytes, dict[str, Any]]:
    """The signed part, the signature and the claims of an HS256 JWT; SignatureError otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise SignatureError("malformed_signature", "the Authorization token is not a JWT")
    try:
        header = json.loads(_unb64url(parts[0]))
        claims = json.loads(_unb64url(parts[1]))
        signature = _unb64url(parts[2])
    except (ValueError, RecursionError):
        raise SignatureError(
            "malformed_signature", "the Authorization token is unreadable"
        ) from None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise SignatureError("malformed_signature", "the Authorization token is not HS256")
    return f"{parts[0]}.{parts[1]}".encode(), signature, claims


def check_window(claims: dict[str, Any], now: float, leeway: int) -> None:
    exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("exp"))
    if not isinstance(exp, int) or not isinstance(nbf, int):
        raise SignatureError("missing_timestamp", "the Authorization token has no exp")
    if now > exp + leeway or now < nbf - leeway:
        raise SignatureError("stale_timestamp", "the Authorization token is not valid now")


def verify(
    request: SignedRequest, secrets: Sequence[str], options: LiveKitOptions, now: float
) -> Verified:
    token = (request.header("authorization") or "").removeprefix("Bearer ").strip()
    if not token:
        raise SignatureError("missing_signature", "Authorization is missing")
    signed, signature, claims = read_token(token)
    for secret in secrets:
        api_key, api_secret = key_pair(secret)
        expected = hmac.new(api_secret.encode(), signed, hashlib.sha256).digest()
        if claims.get("iss") != api_key or not constant_time_equal(expected, signature):
            continue
        check_window(claims, now, options.tolerance_seconds)
        received = claims.get("sha256")
        if not isinstance(received, str) or not constant_time_equal(
            body_hash(request.body), received
        ):
            raise SignatureError("bad_body_hash", "the token's sha256 is not the body's")
        return Document(request).verified("body:event", "event", id="body:id")
    raise SignatureError("bad_signature", "the token is not signed by a configured key")


def sign(message: SigningInput, options: LiveKitOptions) -> dict[str, str]:
    api_key, api_secret = key_pair(message.secret)
    now = int(message.now)
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"iss": api_key, "nbf": now, "exp": now + TOKEN_TTL, "sha256": body_hash(message.body)}
    payload = _b64url(json.dumps(claims).encode())
    signed = f"{header}.{payload}".encode()
    signature = _b64url(hmac.new(api_secret.encode(), signed, hashlib.sha256).digest())
    return {
        "content-type": message.content_type,
        "authorization": f"{header}.{payload}.{signature}",
    }


SCHEME = Scheme("livekit", LiveKitOptions, verify, sign, check_secret=key_pair)
