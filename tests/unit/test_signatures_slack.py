"""Slack, with slack_sdk's SignatureVerifier as the independent oracle, and its body shapes."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from handler.receive.signatures import (
    PayloadError,
    Reply,
    SchemeOptions,
    SignatureError,
    SignedRequest,
)
from handler.receive.signatures import slack as scheme
from handler.receive.signatures.base import SigningInput, Verified

NOW = 1_700_000_000
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
URL = "https://hooks.example.com/slack"
OPTIONS = SchemeOptions()
FORM = "application/x-www-form-urlencoded"


class FixedClock(Clock):
    def now(self) -> float:
        return float(NOW)


SDK = SignatureVerifier(SECRET, clock=FixedClock())


def sdk_request(body: bytes, content_type: str = "application/json") -> SignedRequest:
    """A request signed by slack_sdk, not by us."""
    timestamp = str(NOW)
    signature = SDK.generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }
    return SignedRequest("POST", URL, headers, body)


def verify(request: SignedRequest) -> Verified:
    return scheme.verify(request, [SECRET], OPTIONS, NOW)


def test_the_sdk_accepts_what_we_sign() -> None:
    body = b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}'
    headers = scheme.sign(SigningInput(body, SECRET, URL, NOW, "message", "Ev1"), OPTIONS)
    assert SDK.is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret", clock=FixedClock()).is_valid_request(
        body, headers
    )


def test_we_accept_what_the_sdk_signs() -> None:
    body = b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}'
    assert verify(sdk_request(body)) == Verified("message", "Ev1")


def test_url_verification_is_answered_with_the_challenge() -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    verified = verify(sdk_request(body))
    assert verified == Verified(
        "url_verification",
        None,
        Reply(200, {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}),
    )


def test_url_verification_without_a_challenge_is_422() -> None:
    with pytest.raises(PayloadError) as raised:
        verify(sdk_request(b'{"type": "url_verification"}'))
    assert raised.value.reason == "invalid_payload"


def test_an_unsigned_url_verification_gets_no_challenge_back() -> None:
    body = b'{"type": "url_verification", "challenge": "abc"}'
    forged = sdk_request(body)
    forged = SignedRequest(forged.method, forged.url, forged.headers, body + b" ")
    with pytest.raises(SignatureError) as raised:
        verify(forged)
    assert raised.value.reason == "bad_signature"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"type": "event_callback", "event_id": "Ev9", "event": {"type": "reaction_added"}},
            Verified("reaction_added", "Ev9"),
        ),
        (
            {"type": "event_callback", "event_id": "Ev9", "event": {}},
            Verified("event_callback", "Ev9"),
        ),
        ({"type": "event_callback", "event": "odd"}, Verified("event_callback", None)),
        ({"type": "app_rate_limited", "minute_rate_limited": 1}, Verified("app_rate_limited")),
        ({"event_id": 5}, Verified("unknown")),
    ],
)
def test_events_api_bodies(body: dict[str, object], expected: Verified) -> None:
    assert verify(sdk_request(json.dumps(body).encode())) == expected


EMPTY_200 = Reply(200, None)


def test_a_slash_command_form_is_queued_and_acked_with_an_empty_200() -> None:
    body = urlencode({"command": "/deploy", "text": "prod", "trigger_id": "13345224609.738"})
    assert verify(sdk_request(body.encode(), FORM)) == Verified("slash_command", ack=EMPTY_200)


@pytest.mark.parametrize("kind", ["block_actions", "view_submission", "shortcut"])
def test_an_interactivity_payload_is_queued_and_acked_with_an_empty_200(kind: str) -> None:
    body = urlencode({"payload": json.dumps({"type": kind, "trigger_id": "1.2"})})
    assert verify(sdk_request(body.encode(), FORM)) == Verified(kind, ack=EMPTY_200)


def test_an_interactivity_payload_without_a_type() -> None:
    body = urlencode({"payload": json.dumps({"actions": []})})
    assert verify(sdk_request(body.encode(), FORM)) == Verified("interaction", ack=EMPTY_200)


def test_an_options_request_gets_no_options_and_is_not_queued() -> None:
    body = urlencode({"payload": json.dumps({"type": "block_suggestion", "value": "ab"})})
    verified = verify(sdk_request(body.encode(), FORM))
    assert verified.reply == Reply(200, {"options": []}) and verified.ack is None


def test_events_api_deliveries_take_our_own_ack() -> None:
    body = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_mention"}}
    assert verify(sdk_request(json.dumps(body).encode())).ack is None


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", "[" * 50_000])
def test_an_interactivity_payload_that_is_not_an_object_is_422(payload: str) -> None:
    body = urlencode({"payload": payload}).encode()
    with pytest.raises(PayloadError) as raised:
        verify(sdk_request(body, FORM))
    assert raised.value.reason == "invalid_json"


def test_the_ssl_check_is_answered_at_once() -> None:
    body = b"ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO"
    assert verify(sdk_request(body, FORM)) == Verified("ssl_check", None, Reply(200, None))


def test_a_body_without_content_type_is_read_by_its_shape() -> None:
    assert verify(sdk_request(b'{"type": "event_callback", "event_id": "E"}', "")).sender_id == "E"
    assert verify(sdk_request(b"command=%2Fx", "")).event_type == "slash_command"
    assert verify(sdk_request(b"", "")).event_type == "unknown"


def test_json_declared_but_not_an_object_is_422() -> None:
    with pytest.raises(PayloadError) as raised:
        verify(sdk_request(b"command=%2Fx", "application/json"))
    assert raised.value.reason == "invalid_json"


def test_the_timestamp_is_checked_like_the_sdk_five_minutes_both_ways() -> None:
    for skew, valid in [(-300, True), (300, True), (-301, False), (301, False)]:
        body = b"{}"
        timestamp = str(NOW + skew)
        signature = SDK.generate_signature(timestamp=timestamp, body=body)
        assert signature is not None
        assert SDK.is_valid(body, timestamp, signature) is valid
        headers = {"x-slack-request-timestamp": timestamp, "x-slack-signature": signature}
        request = SignedRequest("POST", URL, headers, body)
        if valid:
            assert verify(request).event_type == "unknown"
        else:
            with pytest.raises(SignatureError) as raised:
                verify(request)
            assert raised.value.reason == "stale_timestamp"
