"""Standard Webhooks / Svix, with the standardwebhooks library as the independent oracle."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from handler.receive.signatures import SchemeOptions, SignatureError, SignedRequest
from handler.receive.signatures import standard as scheme
from handler.receive.signatures.base import SigningInput, Verified

NOW = 1_700_000_000
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER = "whsec_" + base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()
MSG_ID = "msg_2Lm0aV2q1x"
BODY = b'{"type": "user.created", "data": {"id": 1}}'
URL = "https://hooks.example.com/standard"
OPTIONS = SchemeOptions()


def lib_signature(secret: str, msg_id: str = MSG_ID, at: int = NOW, body: bytes = BODY) -> str:
    return Webhook(secret).sign(msg_id, datetime.fromtimestamp(at, UTC), body.decode())


def request(
    signature: str, prefix: str = "webhook", at: int = NOW, body: bytes = BODY
) -> SignedRequest:
    headers = {
        f"{prefix}-id": MSG_ID,
        f"{prefix}-timestamp": str(at),
        f"{prefix}-signature": signature,
    }
    return SignedRequest("POST", URL, headers, body)


def verify(req: SignedRequest, secrets: list[str] | None = None) -> Verified:
    return scheme.verify(req, [SECRET] if secrets is None else secrets, OPTIONS, NOW)


def refused(req: SignedRequest, reason: str) -> None:
    with pytest.raises(SignatureError) as raised:
        verify(req)
    assert raised.value.reason == reason
    assert SECRET not in raised.value.detail
    assert SECRET.removeprefix("whsec_") not in raised.value.detail


def test_the_published_vector() -> None:
    # Not shipped in the installed standardwebhooks package (it has no tests). This is the
    # vector of the upstream repository's own test, standard-webhooks/standard-webhooks,
    # libraries/python/tests/test_webhooks.py::test_sign_function.
    key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    message = SigningInput(body, key, URL, 1614265330, "test", msg_id)
    assert scheme.sign(message, OPTIONS)["webhook-signature"] == expected
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": "1614265330",
        "webhook-signature": expected,
    }
    verified = scheme.verify(SignedRequest("POST", URL, headers, body), [key], OPTIONS, 1614265330)
    assert verified == Verified("unknown", msg_id)
    # The same key without its prefix is the same key, as in the library.
    assert scheme.verify(
        SignedRequest("POST", URL, headers, body), [key.removeprefix("whsec_")], OPTIONS, 1614265330
    ) == Verified("unknown", msg_id)


def test_the_library_verifies_what_we_sign() -> None:
    now = time.time()  # the library reads the real clock; nothing here waits on it
    headers = scheme.sign(SigningInput(BODY, SECRET, URL, now, "user.created", MSG_ID), OPTIONS)
    assert Webhook(SECRET).verify(BODY, headers) == {"type": "user.created", "data": {"id": 1}}
    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER).verify(BODY, headers)


def test_we_verify_what_the_library_signs() -> None:
    assert verify(request(lib_signature(SECRET))) == Verified("user.created", MSG_ID)


def test_svix_header_names() -> None:
    assert verify(request(lib_signature(SECRET), prefix="svix")) == Verified("user.created", MSG_ID)


def test_the_signature_header_chooses_the_family() -> None:
    req = request(lib_signature(SECRET), prefix="svix")
    mixed = SignedRequest("POST", URL, {**req.headers, "webhook-signature": "v1,AAAA"}, BODY)
    refused(mixed, "missing_id")


def test_several_space_separated_signatures_any_v1_matches() -> None:
    good = lib_signature(SECRET)
    encoded = good.split(",", 1)[1]
    header = f"v1a,{encoded} v1,{lib_signature(OTHER).split(',', 1)[1]} v2,{encoded} {good}"
    assert verify(request(header)) == Verified("user.created", MSG_ID)
    assert verify(request(header), [OTHER]) == Verified("user.created", MSG_ID)


def test_other_versions_are_ignored() -> None:
    encoded = lib_signature(SECRET).split(",", 1)[1]
    refused(request(f"v1a,{encoded} v2,{encoded}"), "malformed_signature")


def test_rotation_between_two_secrets() -> None:
    req = request(lib_signature(OTHER))
    assert verify(req, [SECRET, OTHER]).sender_id == MSG_ID
    refused(req, "bad_signature")


def test_a_secret_without_the_whsec_prefix_is_base64_too() -> None:
    bare = SECRET.removeprefix("whsec_")
    assert verify(request(lib_signature(bare)), [bare]).sender_id == MSG_ID
    assert verify(request(lib_signature(bare)), [SECRET]).sender_id == MSG_ID


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-id": None}, "missing_id"),
        ({"webhook-timestamp": None}, "missing_timestamp"),
        ({"webhook-timestamp": "1.7e9"}, "malformed_timestamp"),
        ({"webhook-signature": None}, "missing_signature"),
        ({"webhook-signature": "v1"}, "malformed_signature"),
        ({"webhook-signature": "v1,!!!notbase64"}, "malformed_signature"),
        ({"webhook-id": "msg_other"}, "bad_signature"),
        ({"webhook-timestamp": str(NOW + 1)}, "bad_signature"),
    ],
)
def test_refusals(change: dict[str, str | None], reason: str) -> None:
    headers = dict(request(lib_signature(SECRET)).headers)
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    refused(SignedRequest("POST", URL, headers, BODY), reason)


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_and_future_timestamps(skew: int) -> None:
    refused(request(lib_signature(SECRET, at=NOW + skew), at=NOW + skew), "stale_timestamp")


@pytest.mark.parametrize("body", [b"plain text", b"\xff\x00", b"[1]", b'{"type": 3}', b""])
def test_a_body_that_is_not_json_with_a_type_still_verifies(body: bytes) -> None:
    headers = scheme.sign(SigningInput(body, SECRET, URL, NOW, "x", MSG_ID), OPTIONS)
    req = SignedRequest("POST", URL, headers, body)
    assert verify(req) == Verified("unknown", MSG_ID)


@pytest.mark.parametrize("secret", ["whsec_", "whsec_a", "whsec_é"])
def test_a_secret_that_is_not_base64_is_a_configuration_error(secret: str) -> None:
    with pytest.raises(ValueError) as raised:
        verify(request(lib_signature(SECRET)), [secret])
    assert not isinstance(raised.value, SignatureError)
    assert secret not in str(raised.value)
