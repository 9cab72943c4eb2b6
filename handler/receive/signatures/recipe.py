"""A sender as data: what it signs, how, and where its header puts the signature.

Most HMAC senders differ only in parameters, so a named sender is a `Recipe` and a few lines:

    SCHEME = recipe_scheme(Recipe(
        name="zoom",
        signed="v0:{timestamp}:{body}",                       # what is signed
        carrier=Carrier("x-zm-signature", prefix="v0="),      # where the signature sits
        timestamp=Timestamp("x-zm-request-timestamp"),        # signed, so checked for staleness
        event="body:event",                                   # the event type: header or JSON
        id="header:x-zm-trackingid",                          # the sender's own delivery id
    ))

`signed` is a template: `{body}` (the raw bytes), `{timestamp}` (as the sender wrote it), `{id}`
(the value `id` locates), `{method}`, `{url}` (the public URL the sender addressed: `public_url`
in the source, with the request's query) and `{header:Name}`; any other text is literal.

A field location (`id`, `event`) is `header:Name`, `body:a.b` (a JSON body, dotted path),
`form:name` (a form field) or `payload:a.b` (the JSON in a form's `payload` field); a tuple of
them is tried in order. What does not fit (ECDSA, Ed25519, fields signed inside the body,
Twilio's parameters) is code of its own, reusing the helpers here; a recipe can also take code
for what happens after verification (`classify`: Zoom's and Twitch's signed handshakes) and for
an unsigned handshake (`handshake`: Meta's GET).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from .base import (
    FORM,
    PayloadError,
    PublicUrlOptions,
    Reply,
    Scheme,
    SchemeOptions,
    SignatureError,
    SignedRequest,
    SigningInput,
    Verified,
    constant_time_equal,
    form_fields,
    hmac_digest,
    media_type,
    parse_json,
    public_url,
)

Algorithm = Literal["sha1", "sha256", "sha512"]
Encoding = Literal["hex", "base64"]
SecretForm = Literal["raw", "base64", "whsec"]  # whsec: "whsec_" + base64 (Standard Webhooks)
TimestampUnit = Literal["s", "ms", "iso8601"]
Location = str | tuple[str, ...]

PLACEHOLDER = re.compile(r"\{(body|timestamp|id|method|url|header:[A-Za-z0-9_-]+)\}")


class RecipeOptions(PublicUrlOptions):
    """What a source of a recipe sender may set: the tolerance, and the URL the sender signs."""


@dataclass(frozen=True)
class Carrier:
    """The header and how it carries one or several signatures.

    GitHub `sha256=<sig>`: Carrier("x-hub-signature-256", prefix="sha256=").
    Stripe `t=<ts>,v1=<sig>,v1=<sig>`: Carrier(..., separator=",", key="v1", timestamp_key="t").
    Paddle `ts=<ts>;h1=<sig>`: separator=";", key="h1", timestamp_key="ts".
    Standard `v1,<sig> v1,<sig>`: separator=" ", assign=",", key="v1".
    """

    header: str
    prefix: str = ""  # before the signature value (in each keyed item too)
    separator: str | None = None  # several items in one header
    assign: str = "="  # between an item's key and its value
    key: str | None = None  # the key of a signature item; other keys are ignored
    timestamp_key: str | None = None  # the key of the timestamp item, when the header has it

    def parse(self, value: str) -> tuple[str | None, list[str]]:
        """The timestamp the header carries (if any) and every signature in it (still encoded)."""
        items = [value] if self.separator is None else value.split(self.separator)
        timestamp: str | None = None
        signatures: list[str] = []
        for raw in items:
            item = raw.strip()
            if not item:
                continue
            if self.key is None and self.timestamp_key is None:
                if item.startswith(self.prefix):
                    signatures.append(item[len(self.prefix) :])
                continue
            name, separator, rest = item.partition(self.assign)
            if not separator:
                continue
            if name == self.timestamp_key and timestamp is None:
                timestamp = rest
            elif name == self.key and rest.startswith(self.prefix):
                signatures.append(rest[len(self.prefix) :])
        return timestamp, [signature for signature in signatures if signature]

    def format(self, signature: str, timestamp: str | None) -> str:
        value = self.prefix + signature
        if self.key is not None:
            value = f"{self.key}{self.assign}{value}"
        if self.timestamp_key is not None and timestamp is not None:
            value = f"{self.timestamp_key}{self.assign}{timestamp}{self.separator or ','}{value}"
        return value


@dataclass(frozen=True)
class Timestamp:
    """Where the signed timestamp is (its own header, a location in the body, else the signature
    header's `timestamp_key`) and its unit; a signed timestamp is refused outside the tolerance."""

    header: str | None = None
    unit: TimestampUnit = "s"
    # Or a location inside the signed body (Linear's body:webhookTimestamp): still checked for
    # staleness, since the signature covers it.
    location: str | None = None

    def render(self, now: float) -> str:
        if self.unit == "ms":
            return str(int(now * 1000))
        if self.unit == "iso8601":
            return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return str(int(now))


ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def timestamp_seconds(value: str, unit: TimestampUnit) -> float:
    """Unix seconds of a timestamp as the sender wrote it; SignatureError when unreadable."""
    try:
        if unit == "iso8601":
            match = ISO.match(value)
            if match is None:
                raise ValueError(value)
            # Twitch writes nanoseconds; datetime reads at most microseconds.
            fraction = (match.group(2) or ".0")[:7]
            zone = "+00:00" if match.group(3) == "Z" else match.group(3)
            return datetime.fromisoformat(match.group(1) + fraction + zone).timestamp()
        number = int(value)
    except ValueError:
        raise SignatureError(
            "malformed_timestamp", "the signature timestamp is unreadable"
        ) from None
    return number / 1000 if unit == "ms" else float(number)


def check_fresh(value: str, unit: TimestampUnit, now: float, tolerance_seconds: int) -> None:
    """Refuse a stale or future timestamp (what stops a captured delivery being replayed)."""
    try:
        skew = abs(now - timestamp_seconds(value, unit))
    except OverflowError:
        skew = float("inf")
    if skew > tolerance_seconds:
        raise SignatureError(
            "stale_timestamp", f"the timestamp is outside the {tolerance_seconds} s tolerance"
        )


def decode_key(secret: str, form: SecretForm) -> bytes:
    """The HMAC key of a configured secret; ValueError (never echoing it) when unreadable."""
    if form == "raw":
        return secret.encode()
    if form == "whsec":
        from .standard import decode_secret

        return decode_secret(secret)
    try:
        key = base64.b64decode(secret, validate=True)
    except ValueError:
        raise ValueError("the secret is not valid base64") from None
    if not key:
        raise ValueError("the secret is empty")
    return key


def decode_signature(encoded: str, encoding: Encoding) -> bytes | None:
    try:
        if encoding == "hex":
            return bytes.fromhex(encoded)
        return base64.b64decode(encoded, validate=True)
    except ValueError:
        return None


def encode_signature(digest: bytes, encoding: Encoding) -> str:
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


class Document:
    """The body read once, as JSON or as a form, for the locations that look inside it."""

    def __init__(self, request: SignedRequest) -> None:
        self.request = request

    @cached_property
    def json(self) -> Any:
        try:
            return parse_json(self.request.body)
        except PayloadError:
            return None

    @cached_property
    def form(self) -> dict[str, list[str]]:
        return form_fields(self.request.body) if media_type(self.request) == FORM else {}

    @cached_property
    def payload(self) -> Any:
        values = self.form.get("payload")
        if not values:
            return None
        try:
            return parse_json(values[0])
        except PayloadError:
            return None

    def verified(
        self, event: Location | None, default: str, id: Location | None = None
    ) -> Verified:
        """The delivery's event type (`default` where `event` finds none) and the sender's id."""
        return Verified(event_type=self.find(event) or default, sender_id=self.find(id))

    def find(self, location: Location | None) -> str | None:
        """The first non-empty value at `location` (a scalar read as text), or None."""
        if location is None:
            return None
        for where in (location,) if isinstance(location, str) else location:
            kind, _, name = where.partition(":")
            value: Any
            if kind == "header":
                value = self.request.header(name)
            elif kind == "form":
                value = next(iter(self.form.get(name) or []), None)
            elif kind in ("body", "payload"):
                value = json_path(self.json if kind == "body" else self.payload, name)
            else:
                raise ValueError(f"unknown location {where!r}")
            if isinstance(value, bool) or value is None or value == "":
                continue
            if isinstance(value, str | int):
                return str(value)
        return None


def json_path(document: Any, path: str) -> Any:
    """`document["a"]["b"]` for "a.b"; a numeric part indexes a list; None where absent."""
    value = document
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


# After verification: the verified delivery, the document, and the secret that matched (a
# handshake answer may be keyed by it: Zoom's encryptedToken). Returns the final Verified.
Classifier = Callable[[SignedRequest, Document, Verified, str], Verified]
Handshake = Callable[[SignedRequest, Sequence[str], Any, float], Reply | None]


@dataclass(frozen=True)
class Recipe:
    name: str
    signed: str  # the template of what is signed (module docstring)
    carrier: Carrier
    algorithm: Algorithm = "sha256"
    encoding: Encoding = "hex"
    secret_form: SecretForm = "raw"
    timestamp: Timestamp | None = None  # None: the sender signs no timestamp
    tolerance_seconds: int = 300  # the default; a source's tolerance_seconds overrides it
    id: Location | None = None  # the sender's delivery id; None: the body's hash stands in
    event: Location | None = None
    event_default: str = "webhook"
    classify: Classifier | None = None
    handshake: Handshake | None = None
    options: type[RecipeOptions] = RecipeOptions
    secret_options: tuple[str, ...] = ()
    # Headers the sender sends besides the signed ones, for the simulator (a User-Agent, a
    # message type): (name, value) pairs.
    sent_headers: tuple[tuple[str, str], ...] = ()
    parts: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The template split once: literal text at even indexes, placeholder names at odd ones.
        object.__setattr__(self, "parts", tuple(PLACEHOLDER.split(self.signed)))
        if "{timestamp}" in self.signed and self.timestamp is None:
            raise ValueError(f"{self.name}: the template signs a timestamp it does not locate")
        timestamp = self.timestamp
        if (
            timestamp is not None
            and timestamp.header is None
            and timestamp.location is None
            and not self.carrier.timestamp_key
        ):
            raise ValueError(f"{self.name}: the timestamp has neither a header nor a key")

    def message(self, request: SignedRequest, values: Mapping[str, str], url: str) -> bytes:
        out = bytearray()
        for index, part in enumerate(self.parts):
            if index % 2 == 0:
                out += part.encode()
            elif part == "body":
                out += request.body
            elif part == "method":
                out += request.method.upper().encode()
            elif part == "url":
                out += url.encode()
            elif part.startswith("header:"):
                out += (request.header(part[len("header:") :]) or "").encode()
            else:
                out += values.get(part, "").encode()
        return bytes(out)

    def tolerance(self, options: SchemeOptions) -> int:
        if "tolerance_seconds" in options.model_fields_set:
            return options.tolerance_seconds
        return self.tolerance_seconds

    def digest(self, key: bytes, message: bytes) -> bytes:
        return hmac_digest(key, message, self.algorithm)

    def verify(
        self, request: SignedRequest, secrets: Sequence[str], options: RecipeOptions, now: float
    ) -> Verified:
        header = self.carrier.header
        value = request.header(header)
        if not value:
            raise SignatureError("missing_signature", f"{header} is missing")
        carried_timestamp, encoded = self.carrier.parse(value)
        received = [s for s in (decode_signature(e, self.encoding) for e in encoded) if s]
        if not received:
            raise SignatureError("malformed_signature", f"{header} holds no readable signature")
        document = Document(request)
        values: dict[str, str] = {}
        if self.timestamp is not None:
            if self.timestamp.header is not None:
                timestamp = request.header(self.timestamp.header)
            elif self.timestamp.location is not None:
                timestamp = document.find(self.timestamp.location)
            else:
                timestamp = carried_timestamp
            if not timestamp:
                raise SignatureError("missing_timestamp", "the signature timestamp is missing")
            check_fresh(timestamp, self.timestamp.unit, now, self.tolerance(options))
            values["timestamp"] = timestamp
        sender_id = document.find(self.id)
        if "{id}" in self.signed:
            if not sender_id:
                raise SignatureError("missing_id", "the signed delivery id is missing")
            values["id"] = sender_id
        message = self.message(request, values, public_url(request.url, options.public_url))
        for secret in secrets:
            expected = self.digest(decode_key(secret, self.secret_form), message)
            if any(constant_time_equal(expected, signature) for signature in received):
                verified = document.verified(self.event, self.event_default, self.id)
                if self.classify is None:
                    return verified
                return self.classify(request, document, verified, secret)
        raise SignatureError("bad_signature", f"{header} does not match any configured secret")

    def sign(self, message: SigningInput, options: RecipeOptions) -> dict[str, str]:
        """The headers the sender sends. Locations in the body are the body's business (the
        simulator's samples put the id and type there); header locations are filled here."""
        headers = {"content-type": message.content_type}
        headers.update((name.lower(), value) for name, value in self.sent_headers)
        for location, value in ((self.id, message.delivery_id), (self.event, message.event_type)):
            first = location if isinstance(location, str) else (location or ("",))[0]
            if first.startswith("header:"):
                headers[first[len("header:") :].lower()] = value
        values = {"id": message.delivery_id}
        timestamp: str | None = None
        if self.timestamp is not None:
            timestamp = self.timestamp.render(message.now)
            values["timestamp"] = timestamp
            if self.timestamp.header is not None:
                headers[self.timestamp.header.lower()] = timestamp
        request = SignedRequest("POST", message.url, headers, message.body)
        signed = self.message(request, values, public_url(message.url, options.public_url))
        digest = self.digest(decode_key(message.secret, self.secret_form), signed)
        carried = timestamp if self.carrier.timestamp_key is not None else None
        headers[self.carrier.header.lower()] = self.carrier.format(
            encode_signature(digest, self.encoding), carried
        )
        return headers

    def check_secret(self, secret: str) -> object:
        return decode_key(secret, self.secret_form)


def recipe_scheme(recipe: Recipe) -> Scheme[RecipeOptions]:
    """The Scheme a recipe describes: verify, sign, the secret check and its handshake."""
    return Scheme(
        recipe.name,
        recipe.options,
        recipe.verify,
        recipe.sign,
        check_secret=recipe.check_secret,
        handshake=recipe.handshake,
        secret_options=recipe.secret_options,
    )
