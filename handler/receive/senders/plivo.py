"""Plivo (signature V3): X-Plivo-Signature-V3 = base64 HMAC-SHA256(auth token, "{url}.{nonce}"),
the nonce being X-Plivo-Signature-V3-Nonce.

For a POST callback, "url" is the callback URL without its query, then "?", its query
parameters sorted as k=v joined by "&" (and a "." after them when there are any), then every
form parameter sorted by name as name+value, with no separators. Several signatures may come
comma-separated. Plivo signs the URL it was given, so the source's `public_url` is what is
checked behind API Gateway or a proxy. There is no delivery id (the body's hash stands in) and
no signed time: the nonce only makes each signature unique. The type is the callback's `Event`,
`Status` (messages) or `CallStatus` (calls). Only form POSTs are signed this way: Plivo's GET
callbacks are not supported. The `plivo` SDK's validate_v3_signature is the tests' oracle.
https://www.plivo.com/docs/voice/concepts/signature-validation
"""

from __future__ import annotations

import base64
import secrets as random
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

from ._recipe import (
    FORM,
    Document,
    MediaTypeError,
    RecipeOptions,
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
    public_url,
)

SIGNATURE = "x-plivo-signature-v3"
NONCE = "x-plivo-signature-v3-nonce"


def _sorted_query(params: Mapping[str, list[str]]) -> str:
    return "&".join(
        "&".join(f"{name}={value}" for value in sorted(params[name])) for name in sorted(params)
    )


def _sorted_params(params: Mapping[str, list[str]]) -> str:
    return "".join(
        "".join(f"{name}{value}" for value in sorted(params[name])) for name in sorted(params)
    )


def signed_url(url: str, params: Mapping[str, list[str]]) -> str:
    """What Plivo signs for a POST to `url` with form `params` (the SDK's construct_post_url)."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    query = _sorted_query(parse_qs(parts.query, keep_blank_values=True))
    if params:
        base += "?" + query + ("." if query else "")
    elif query:
        base += "?" + query
    return base + _sorted_params(params)


def form_params(request: SignedRequest) -> dict[str, list[str]]:
    if media_type(request) == FORM:
        return form_fields(request.body)
    if request.body:
        raise MediaTypeError("unsupported_media_type", "Plivo signs form callbacks only")
    return {}


def signature(token: str, url: str, nonce: str) -> str:
    return base64.b64encode(hmac_digest(token, f"{url}.{nonce}".encode())).decode()


def verify(
    request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
) -> Verified:
    header = request.header(SIGNATURE)
    if not header:
        raise SignatureError("missing_signature", "X-Plivo-Signature-V3 is missing")
    nonce = request.header(NONCE)
    if not nonce:
        raise SignatureError("missing_signature", "X-Plivo-Signature-V3-Nonce is missing")
    received = [value.strip() for value in header.split(",") if value.strip()]
    url = signed_url(public_url(request.url, options.public_url), form_params(request))
    for secret in secrets:
        expected = signature(secret, url, nonce)
        if any(constant_time_equal(expected, value) for value in received):
            event = ("form:Event", "form:Status", "form:CallStatus")
            return Document(request).verified(event, "callback")
    raise SignatureError("bad_signature", "X-Plivo-Signature-V3 does not match any auth token")


def sign(message: SigningInput, options: RecipeOptions) -> dict[str, str]:
    params: dict[str, list[str]] = {}
    if mime_type(message.content_type) == FORM:
        params = form_fields(message.body)
    nonce = "".join(random.choice("0123456789") for _ in range(20))
    url = signed_url(public_url(message.url, options.public_url), params)
    return {
        "content-type": message.content_type,
        NONCE: nonce,
        SIGNATURE: signature(message.secret, url, nonce),
    }


SCHEME = Scheme("plivo", RecipeOptions, verify, sign)
