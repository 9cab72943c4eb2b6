"""Discord: PyNaCl (libsodium) signs as Discord does; our verifier uses `cryptography`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from handler.receive.signatures import (
    PayloadError,
    Reply,
    SchemeOptions,
    SignatureError,
    SignedRequest,
)
from handler.receive.signatures import discord as scheme
from handler.receive.signatures.base import Verified

NOW = 1_700_000_000
KEY = SigningKey(bytes(range(32)))
PUBLIC = KEY.verify_key.encode().hex()
OTHER_PUBLIC = SigningKey(bytes(range(1, 33))).verify_key.encode().hex()
URL = "https://hooks.example.com/discord"
OPTIONS = SchemeOptions()


def signed(body: object, at: int = NOW, key: SigningKey = KEY) -> SignedRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(at)
    signature = key.sign(timestamp.encode() + raw).signature.hex()
    headers = {
        "content-type": "application/json",
        "x-signature-ed25519": signature,
        "x-signature-timestamp": timestamp,
    }
    return SignedRequest("POST", URL, headers, raw)


def verify(request: SignedRequest, keys: list[str] | None = None) -> Verified:
    return scheme.verify(request, [PUBLIC] if keys is None else keys, OPTIONS, NOW)


def refused(request: SignedRequest, reason: str) -> None:
    with pytest.raises(SignatureError) as raised:
        verify(request)
    assert raised.value.reason == reason
    assert PUBLIC not in raised.value.detail


def test_scheme_cannot_sign() -> None:
    assert scheme.SCHEME.sign is None


def test_an_interactions_ping_is_answered_with_pong() -> None:
    ping = {"type": 1, "id": "1", "application_id": "2", "token": "t", "version": 1}
    assert verify(signed(ping)) == Verified("ping", None, Reply(200, {"type": 1}))


def test_a_webhook_events_ping_is_answered_with_204() -> None:
    ping = {"version": 1, "application_id": "2", "type": 0}
    assert verify(signed(ping)) == Verified("ping", None, Reply(204, None))


def test_a_webhook_event_takes_its_type_from_the_event() -> None:
    body = {
        "version": 1,
        "application_id": "2",
        "type": 1,
        "event": {"type": "APPLICATION_AUTHORIZED", "timestamp": "2024-10-18T14:42:53.064834"},
    }
    assert verify(signed(body)) == Verified("APPLICATION_AUTHORIZED", None)
    assert verify(signed({**body, "event": {}})) == Verified("webhook_event", None)


@pytest.mark.parametrize(
    ("kind", "deferred"),
    [
        (2, 5),  # application command: DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        (3, 6),  # message component: DEFERRED_UPDATE_MESSAGE
        (5, 5),  # modal submit: DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    ],
)
def test_an_interaction_is_enqueued_with_its_id_and_acked_with_a_deferred_response(
    kind: int, deferred: int
) -> None:
    body = {"type": kind, "id": "786008729715212338", "version": 1, "token": "t"}
    assert verify(signed(body)) == Verified(
        f"interaction.{kind}", "786008729715212338", ack=Reply(200, {"type": deferred})
    )


def test_autocomplete_is_answered_with_no_choices_and_not_enqueued() -> None:
    body = {"type": 4, "id": "786008729715212338", "version": 1, "token": "t"}
    verified = verify(signed(body))
    assert verified.reply == Reply(200, {"type": 8, "data": {"choices": []}})
    assert verified.ack is None


def test_an_unknown_interaction_type_is_enqueued_with_our_ack() -> None:
    verified = verify(signed({"type": 99, "id": "7"}))
    assert verified == Verified("interaction.99", "7")


@pytest.mark.parametrize("body", [{"type": "1"}, {"type": True}, {"id": "9"}])
def test_an_untyped_body_is_unknown(body: dict[str, object]) -> None:
    assert verify(signed(body)).event_type == "unknown"


def test_rotation_between_public_keys() -> None:
    assert verify(signed({"type": 1}), [OTHER_PUBLIC, PUBLIC]).event_type == "ping"
    with pytest.raises(SignatureError) as raised:
        verify(signed({"type": 1}), [OTHER_PUBLIC])
    assert raised.value.reason == "bad_signature"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"x-signature-ed25519": None}, "missing_signature"),
        ({"x-signature-ed25519": "abc"}, "malformed_signature"),
        ({"x-signature-ed25519": "00" * 63}, "malformed_signature"),
        ({"x-signature-ed25519": "00" * 64}, "bad_signature"),
        ({"x-signature-timestamp": None}, "missing_timestamp"),
        ({"x-signature-timestamp": "now"}, "malformed_timestamp"),
        ({"x-signature-timestamp": str(NOW + 1)}, "bad_signature"),
    ],
)
def test_refusals(change: dict[str, str | None], reason: str) -> None:
    request = signed({"type": 1})
    headers = dict(request.headers)
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    refused(SignedRequest("POST", URL, headers, request.body), reason)


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_and_future_timestamps(skew: int) -> None:
    refused(signed({"type": 1}, at=NOW + skew), "stale_timestamp")


def test_a_signed_body_that_is_not_json_is_422() -> None:
    with pytest.raises(PayloadError) as raised:
        verify(signed(b"hello"))
    assert raised.value.reason == "invalid_json"


@pytest.mark.parametrize("key", ["zz" * 32, "00" * 31, ""])
def test_a_public_key_that_is_not_32_hex_bytes_is_a_configuration_error(key: str) -> None:
    with pytest.raises(ValueError) as raised:
        verify(signed({"type": 1}), [key])
    assert not isinstance(raised.value, SignatureError)


def test_the_crypto_library_is_imported_only_when_verifying() -> None:
    # Cold start: importing the scheme registry must not load the Ed25519 backend.
    probe = (
        "import sys, handler.receive.signatures; "
        "print(sorted(m for m in sys.modules if m.startswith(('cryptography', 'nacl'))))"
    )
    root = Path(__file__).resolve().parents[2]
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
