"""Sign a delivery the way a configured source's sender does: the one sender simulator.

    delivery = simulate(source, base_url="http://127.0.0.1:8000", event_type="pull_request")
    httpx.post(delivery.url, content=delivery.body, headers=delivery.headers)

`make events`, `webhooks send`, the tests, the pytest kit and the reliability senders all sign
through here. Each scheme's own `sign` makes the headers; what a scheme cannot know is handled
here once: the URL Twilio signs (JSON bodies carry their hash in it) and Discord's private key,
which only the demo source has (its seed is public, see infra/demo-sources.toml).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from handler.receive.ingest import delivery_id as derived_id
from handler.receive.signatures import SignedRequest, VerificationError
from handler.receive.signatures.twilio import signed_url
from handler.receive.sources import Source, parse_source

from .examples import examples_of
from .published import JSON
from .samples import Encoding, default_event, sample

# The demo Discord source's key pair: the public half is its "secret" in infra/demo-sources.toml.
DEMO_DISCORD_SEED = b"demo-discord-signing-key-seed-32"
DEMO_DISCORD_PUBLIC_KEY = "cbb0ddec672d7b69ce98ee690f43d6c6a5a26f47e67d0f8cccf874c763d5b053"


@dataclass(frozen=True)
class SignedDelivery:
    """A delivery as the sender posts it, and the id the receiver will give it."""

    source: str
    url: str
    headers: dict[str, str]
    body: bytes
    event_type: str
    delivery_id: str

    @property
    def path(self) -> str:
        """The URL's path and query, for clients that hold a base URL."""
        rest = self.url.split("://", 1)[-1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def configured_source(name: str, config: dict[str, Any]) -> Source:
    """The source a sources-file entry (`{"scheme": "github", "secrets": [...]}`) configures, as the
    receiver loads it; secrets are given literally (no env/ssm references)."""

    def no_aws(kind: str, name: str) -> str:
        raise ValueError(f"{kind}: references are not resolved here")

    return parse_source(name, config, no_aws, {})


def can_sign(source: Source) -> bool:
    """Whether we hold the key its sender signs with: a shared secret, or a demo key pair's
    private half (Discord's, or a catalogue sender's whose example module has `signing_secret`)."""
    if source.scheme.sign is not None:
        return True
    return source.scheme.name == "discord" and DEMO_DISCORD_PUBLIC_KEY in source.secrets


def new_sender_id(scheme: str) -> str:
    """An id shaped like the sender's own (Stripe's evt_..., a catalogue sender's `new_id`, else
    a UUID)."""
    if scheme == "stripe":
        return f"evt_{uuid.uuid4().hex}"
    examples = examples_of(scheme)
    if examples is not None and hasattr(examples, "new_id"):
        return str(examples.new_id())
    return str(uuid.uuid4())


def sign(
    source: Source,
    body: bytes,
    *,
    base_url: str,
    event_type: str,
    sender_id: str,
    content_type: str = JSON,
    now: float | None = None,
    secret: str | None = None,
    discord_seed: bytes = DEMO_DISCORD_SEED,
) -> SignedDelivery:
    """Headers and URL for `body` from `source`'s sender, signed with `secret` (default: the
    source's first secret; for Discord, the private key of `discord_seed`)."""
    now = time.time() if now is None else now
    url = f"{base_url.rstrip('/')}/webhooks/{source.name}"
    if source.scheme.name == "twilio" and content_type == JSON:
        url = signed_url(url, body)  # Twilio adds the JSON body's hash to the URL it signs
    if source.scheme.name == "discord":
        headers = discord_headers(body, now, content_type, discord_seed)
    else:
        # A sender that signs with a private key: its example module holds the demo key pair.
        examples = examples_of(source.scheme.name)
        if examples is not None and hasattr(examples, "signing_secret"):
            secret = examples.signing_secret(secret or source.secrets[0])
        if examples is not None and hasattr(examples, "signed_body"):
            # A sender that signs inside the body (Mailgun): the body carries the signature.
            body = examples.signed_body(body, secret or source.secrets[0], now, content_type)
        headers = source.sign(
            body,
            url=url,
            now=now,
            event_type=event_type,
            delivery_id=sender_id,
            content_type=content_type,
            secret=secret,
        )
    headers = {name.lower(): value for name, value in headers.items()}
    request = SignedRequest("POST", url, headers, body)
    delivery_id, classified = _as_received(source, request, now)
    return SignedDelivery(
        source=source.name,
        url=url,
        headers=headers,
        body=body,
        event_type=classified or event_type,
        delivery_id=delivery_id,
    )


def simulate(
    source: Source,
    *,
    base_url: str,
    event_type: str | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
    encoding: Encoding | None = None,
    sender_id: str | None = None,
    now: float | None = None,
) -> SignedDelivery:
    """A signed delivery of `source`: the given body, or a sample of its sender's in `encoding`."""
    now = time.time() if now is None else now
    scheme = source.scheme.name
    sender_id = sender_id or new_sender_id(scheme)
    if body is None:
        drawn = sample(scheme, event_type, delivery_id=sender_id, now=now, encoding=encoding)
        body, content_type, event_type = drawn.body, drawn.content_type, drawn.event_type
    return sign(
        source,
        body,
        base_url=base_url,
        event_type=event_type or default_event(scheme),
        sender_id=sender_id,
        content_type=content_type or JSON,
        now=now,
    )


def discord_headers(body: bytes, now: float, content_type: str, seed: bytes) -> dict[str, str]:
    # cryptography is the verifier's dependency already, so signing needs nothing more.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    timestamp = str(int(now))
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return {
        "content-type": content_type,
        "x-signature-ed25519": key.sign(timestamp.encode() + body).hex(),
        "x-signature-timestamp": timestamp,
    }


def _as_received(source: Source, request: SignedRequest, now: float) -> tuple[str, str | None]:
    """The id and event type the receiver will give it: its verifier's reading, its id rule."""
    digest = hashlib.sha256(request.body).hexdigest()
    try:
        verified = source.scheme.verify(request, source.secrets, source.options, now)
    except VerificationError:  # signed with another secret on purpose, or unreadable
        return derived_id(None, digest), None
    return derived_id(verified.sender_id, digest), verified.event_type
