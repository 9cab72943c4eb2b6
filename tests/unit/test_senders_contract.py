"""Every catalogue sender against one contract, from its sample source (infra/senders-sample.toml)
and its example bodies (webhook_sim/examples): what it signs verifies, in every encoding it
posts, with the id and type the sender gives; a changed body, another secret and (where a
timestamp is signed) a stale or future one are refused; two secrets rotate.

Each sender's own SDK or published vector is the oracle in test_senders_<sender>.py: this file
proves the catalogue's machinery, those prove that the machinery says what the sender does.
"""

from __future__ import annotations

import random
import tomllib
from typing import Any
from urllib.parse import unquote_plus

import pytest

from handler.receive import senders
from handler.receive.signatures import SignatureError, SignedRequest, VerificationError
from handler.receive.sources import Source
from infra import SENDERS_SAMPLE
from webhook_sim.examples import examples_of
from webhook_sim.samples import encodings
from webhook_sim.senders import SignedDelivery, configured_source, simulate

NOW = 1_765_000_000.0
BASE_URL = "https://hooks.example.com"
TWO_DAYS = 2 * 86_400  # beyond any tolerance a source may set

with SENDERS_SAMPLE.open("rb") as handle:
    SAMPLE: dict[str, dict[str, Any]] = tomllib.load(handle)["sources"]

CATALOGUE = sorted(name for name, config in SAMPLE.items() if config["scheme"] in senders.names())
CASES = [(name, encoding) for name in CATALOGUE for encoding in encodings(SAMPLE[name]["scheme"])]


def source(name: str, secrets: list[str] | None = None) -> Source:
    config = dict(SAMPLE[name])
    if secrets is not None:
        config["secrets"] = secrets
    return configured_source(name, config)


def rotated(secret: str) -> str:
    """Another secret of the same form (raw, hex, base64, whsec_): one character changed."""
    middle = len(secret) // 2
    replacement = "B" if secret[middle] == "A" else "A"
    if secret[middle] in "0123456789abcdef" and not secret[middle].isalpha():
        replacement = "1" if secret[middle] == "0" else "0"
    return secret[:middle] + replacement + secret[middle + 1 :]


def as_request(delivery: SignedDelivery, body: bytes | None = None) -> SignedRequest:
    return SignedRequest(
        "POST", delivery.url, delivery.headers, delivery.body if body is None else body
    )


def verify(configured: Source, request: SignedRequest, now: float = NOW) -> Any:
    return configured.scheme.verify(request, configured.secrets, configured.options, now)


def declared(name: str, attribute: str, default: Any) -> Any:
    """What the sender's example module declares (TIMESTAMPED, SIGNS_BODY, OTHER_SECRET)."""
    return getattr(examples_of(SAMPLE[name]["scheme"]), attribute, default)


def timestamped(name: str) -> bool:
    return bool(declared(name, "TIMESTAMPED", False))


# Senders with no delivery id of their own (README's table says "body hash"): the body's hash
# stands in. Every other sender's id must be read from where it puts it.
WITHOUT_ID = {
    "asana",
    "buildkite",
    "calendly",
    "clickup",
    "dropbox",
    "hubspot",
    "lemonsqueezy",
    "mandrill",
    "meta",
    "paystack",
    "plivo",
    "sendgrid",
    "webflow",
}

# Senders whose signature does not cover the body: Okta (a header token) and Mailgun (a signed
# timestamp + token inside the body); their READMEs rows say so.
BODY_SIGNED = [name for name in CATALOGUE if declared(name, "SIGNS_BODY", True)]
# Mailgun's signature travels in the body: a request without signature headers still has one.
HEADER_SIGNED = [
    name for name in CATALOGUE if not hasattr(examples_of(SAMPLE[name]["scheme"]), "signed_body")
]


def test_every_catalogue_sender_has_a_sample_source_and_examples() -> None:
    configured = {config["scheme"] for config in SAMPLE.values()}
    for sender in senders.names():
        assert sender in configured, f"{sender} has no source in {SENDERS_SAMPLE.name}"
        assert examples_of(sender) is not None, f"{sender} has no webhook_sim/examples module"
        assert senders.load(sender) is not None


@pytest.mark.parametrize(("name", "encoding"), CASES)
def test_what_the_sender_signs_verifies_with_its_id_and_type(name: str, encoding: Any) -> None:
    configured = source(name)
    delivery = simulate(configured, base_url=BASE_URL, encoding=encoding, now=NOW)
    verified = verify(configured, as_request(delivery))
    assert verified.reply is None
    assert verified.event_type == delivery.event_type != "webhook"
    # Real text: every encoding's sample carries non-ASCII (percent-encoded in a form).
    text = unquote_plus(delivery.body.decode("utf-8"))
    assert not text.isascii(), "the sample has no non-ASCII text"
    if SAMPLE[name]["scheme"] in WITHOUT_ID:
        assert verified.sender_id is None
    else:
        assert verified.sender_id == delivery.delivery_id


@pytest.mark.parametrize(
    ("name", "encoding"), [(name, encoding) for name, encoding in CASES if name in BODY_SIGNED]
)
def test_a_changed_body_is_refused(name: str, encoding: Any) -> None:
    configured = source(name)
    delivery = simulate(configured, base_url=BASE_URL, encoding=encoding, now=NOW)
    body = delivery.body
    changed = body.replace(b"A", b"B", 1) if b"A" in body else body + b" "
    with pytest.raises(VerificationError) as refused:
        verify(configured, as_request(delivery, changed))
    assert refused.value.reason in ("bad_signature", "bad_body_hash")


@pytest.mark.parametrize("name", CATALOGUE)
def test_two_secrets_rotate_and_a_third_is_refused(name: str) -> None:
    current = source(name).secrets[0]
    previous = declared(name, "OTHER_SECRET", None) or rotated(current)
    both = source(name, [previous, current])
    for secret in (previous, current):
        delivery = simulate(source(name, [secret]), base_url=BASE_URL, now=NOW)
        assert verify(both, as_request(delivery)).event_type == delivery.event_type
    stranger = simulate(source(name, [previous]), base_url=BASE_URL, now=NOW)
    with pytest.raises(SignatureError) as refused:
        verify(source(name, [current]), as_request(stranger))
    assert refused.value.reason == "bad_signature"


@pytest.mark.parametrize("name", CATALOGUE)
def test_a_stale_or_future_timestamp_is_refused_where_signed(name: str) -> None:
    configured = source(name)
    for skew in (-TWO_DAYS, TWO_DAYS):
        delivery = simulate(configured, base_url=BASE_URL, now=NOW + skew)
        if timestamped(name):
            with pytest.raises(SignatureError) as refused:
                verify(configured, as_request(delivery))
            assert refused.value.reason == "stale_timestamp"
        else:  # nothing signed says when: the dedup record is what stops a replay
            assert verify(configured, as_request(delivery)).event_type == delivery.event_type


@pytest.mark.parametrize("name", HEADER_SIGNED)
def test_an_unsigned_delivery_is_refused(name: str) -> None:
    configured = source(name)
    delivery = simulate(configured, base_url=BASE_URL, now=NOW)
    bare = {"content-type": delivery.headers.get("content-type", "application/json")}
    with pytest.raises(SignatureError) as refused:
        verify(configured, SignedRequest("POST", delivery.url, bare, delivery.body))
    assert refused.value.reason.startswith("missing_")


GARBAGE = [
    "",
    " ",
    "=",
    ",",
    ";",
    "v1=",
    "t=",
    "ts=;h1=",
    "sha256=zz",
    "0" * 64,
    "é",
    "\x00",
    "9" * 400,
    "2025-13-45T99:99:99Z",
    "-1",
    "1e10",
    "v0=",
    "==",
    "AAAA",
    "%00",
]


@pytest.mark.parametrize("name", CATALOGUE)
def test_malformed_requests_are_refused_never_crash(name: str) -> None:
    """Every header the sender sends, and the body, replaced by junk (seeded): the verifier
    refuses with a VerificationError, or accepts only what still carries a good signature."""
    rng = random.Random(name)
    configured = source(name)
    genuine = simulate(configured, base_url=BASE_URL, now=NOW)
    for _ in range(300):
        headers = dict(genuine.headers)
        for header in rng.sample(sorted(headers), rng.randrange(1, len(headers) + 1)):
            headers[header] = rng.choice(GARBAGE)
        body = rng.choice([genuine.body, b"", b"[]", b"{", b"\xff\xfe", b'{"a":' * 50])
        request = SignedRequest(rng.choice(["POST", "GET", "PUT"]), genuine.url, headers, body)
        try:
            verify(configured, request)
        except VerificationError:
            continue
        # Accepted: only possible when the signature and what it covers survived the junk.
        assert body == genuine.body or not declared(name, "SIGNS_BODY", True), headers
