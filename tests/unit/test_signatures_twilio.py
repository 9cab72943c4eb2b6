"""Twilio, with twilio's RequestValidator as the independent oracle: forms, JSON, ports."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError
from twilio.request_validator import RequestValidator

from handler.receive.signatures import MediaTypeError, Reply, SignatureError, SignedRequest
from handler.receive.signatures import twilio as scheme
from handler.receive.signatures.base import SigningInput, Verified
from handler.receive.signatures.twilio import TwilioOptions, signed_url

NOW = 1_700_000_000.0
TOKEN = "12345abcdef67890twilioauthtoken0"
OTHER = "0987654321fedcbatwilioauthtoken1"
URL = "https://hooks.example.com/twilio/sms?tenant=7"
FORM = "application/x-www-form-urlencoded"
PARAMS = {
    "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    "AccountSid": "AC0123",
    "From": "+15551230000",
    "To": "+15559870000",
    "Body": "Hello, world! ünïcode & = +",
    "NumMedia": "0",
    "SmsStatus": "received",
    "ApiVersion": "2010-04-01",
    "Empty": "",
}
OPTIONS = TwilioOptions()
VALIDATOR = RequestValidator(TOKEN)


class MultiDict(dict[str, list[str]]):
    """What a framework hands twilio's validator for repeated form names (Django's QueryDict)."""

    def getlist(self, name: str) -> list[str]:
        return self[name]


# What Twilio expects back from a form webhook: TwiML that does nothing.
TWIML = Reply(200, '<?xml version="1.0" encoding="UTF-8"?><Response/>', media_type="text/xml")


def form_request(
    url: str, params: dict[str, str], signature: str, token_header: str | None = "idem-1"
) -> SignedRequest:
    headers = {"content-type": FORM, "x-twilio-signature": signature}
    if token_header:
        headers["i-twilio-idempotency-token"] = token_header
    return SignedRequest("POST", url, headers, urlencode(params).encode())


def verify(
    request: SignedRequest, options: TwilioOptions = OPTIONS, secrets: list[str] | None = None
) -> Verified:
    return scheme.verify(request, [TOKEN] if secrets is None else secrets, options, NOW)


def refused(request: SignedRequest, reason: str, options: TwilioOptions = OPTIONS) -> None:
    with pytest.raises(SignatureError) as raised:
        verify(request, options)
    assert raised.value.reason == reason
    assert TOKEN not in raised.value.detail


def test_we_verify_a_form_the_validator_signs() -> None:
    signature = VALIDATOR.compute_signature(URL, PARAMS)
    request = form_request(URL, PARAMS, signature)
    assert verify(request) == Verified("message.received", "idem-1", ack=TWIML)


def test_the_validator_accepts_a_form_we_sign() -> None:
    body = urlencode(PARAMS).encode()
    headers = scheme.sign(SigningInput(body, TOKEN, URL, NOW, "sms", "idem-2", FORM), OPTIONS)
    assert headers["content-type"] == FORM
    assert headers["i-twilio-idempotency-token"] == "idem-2"
    assert VALIDATOR.validate(URL, PARAMS, headers["x-twilio-signature"])
    assert not RequestValidator(OTHER).validate(URL, PARAMS, headers["x-twilio-signature"])
    request = SignedRequest("POST", URL, headers, body)
    assert verify(request) == Verified("message.received", "idem-2", ack=TWIML)


def test_repeated_names_sign_every_value_sorted() -> None:
    pairs = [("To", "+2"), ("To", "+1"), ("From", "x"), ("To", "+3")]
    signature = VALIDATOR.compute_signature(URL, MultiDict(To=["+2", "+1", "+3"], From=["x"]))
    headers = {"content-type": FORM, "x-twilio-signature": signature}
    request = SignedRequest("POST", URL, headers, urlencode(pairs).encode())
    assert verify(request).event_type == "twilio.request"
    body = urlencode(pairs).encode()
    ours = scheme.sign(SigningInput(body, TOKEN, URL, NOW, "x", "i", FORM), OPTIONS)
    assert ours["x-twilio-signature"] == signature


def test_repeated_equal_values_verify_with_and_without_deduplication() -> None:
    # twilio-python 9.x signs each distinct value once (sorted(set(values))); older releases
    # and the plain algorithm sign every occurrence. Both strings are accepted.
    pairs = [("To", "+1"), ("To", "+1")]
    body = urlencode(pairs).encode()
    deduplicated = VALIDATOR.compute_signature(URL, MultiDict(To=["+1", "+1"]))
    every = scheme.sign(SigningInput(body, TOKEN, URL, NOW, "x", "i", FORM), OPTIONS)
    assert every["x-twilio-signature"] != deduplicated
    for signature in (deduplicated, every["x-twilio-signature"]):
        headers = {"content-type": FORM, "x-twilio-signature": signature}
        assert verify(SignedRequest("POST", URL, headers, body)).event_type == "twilio.request"


def test_blank_values_are_signed() -> None:
    without_blank = {k: v for k, v in PARAMS.items() if k != "Empty"}
    signature = VALIDATOR.compute_signature(URL, without_blank)
    refused(form_request(URL, PARAMS, signature), "bad_signature")


def json_request(url: str, body: bytes, signature: str) -> SignedRequest:
    headers = {
        "content-type": "application/json",
        "x-twilio-signature": signature,
        "i-twilio-idempotency-token": "idem-3",
    }
    return SignedRequest("POST", url, headers, body)


JSON_BODY = json.dumps({"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030"}).encode()


def test_signed_url_appends_the_body_hash() -> None:
    digest = hashlib.sha256(JSON_BODY).hexdigest()
    assert (
        signed_url("https://h.example/p", JSON_BODY) == f"https://h.example/p?bodySHA256={digest}"
    )
    assert signed_url(URL, JSON_BODY) == f"{URL}&bodySHA256={digest}"
    assert signed_url(signed_url(URL, b"old"), JSON_BODY) == signed_url(URL, JSON_BODY)


def test_we_verify_a_json_body_the_validator_signs() -> None:
    url = signed_url(URL, JSON_BODY)
    signature = VALIDATOR.compute_signature(url, {})
    assert VALIDATOR.validate(url, JSON_BODY.decode(), signature)
    assert verify(json_request(url, JSON_BODY, signature)) == Verified("twilio.request", "idem-3")


def test_the_validator_accepts_a_json_body_we_sign() -> None:
    message = SigningInput(JSON_BODY, TOKEN, URL, NOW, "call", "idem-3")
    headers = scheme.sign(message, OPTIONS)
    url = signed_url(URL, JSON_BODY)
    assert VALIDATOR.validate(url, JSON_BODY.decode(), headers["x-twilio-signature"])
    assert verify(SignedRequest("POST", url, headers, JSON_BODY)).sender_id == "idem-3"


def test_a_json_body_that_does_not_match_its_hash_is_refused() -> None:
    url = signed_url(URL, JSON_BODY)
    signature = VALIDATOR.compute_signature(url, {})
    tampered = JSON_BODY.replace(b"+1234", b"+9999")
    assert not VALIDATOR.validate(url, tampered.decode(), signature)
    refused(json_request(url, tampered, signature), "bad_body_hash")


def test_a_json_body_without_the_hash_parameter_is_refused() -> None:
    signature = VALIDATOR.compute_signature(URL, {})
    refused(json_request(URL, JSON_BODY, signature), "missing_body_hash")


def test_a_json_body_hash_under_a_wrong_token_is_refused() -> None:
    url = signed_url(URL, JSON_BODY)
    signature = RequestValidator(OTHER).compute_signature(url, {})
    refused(json_request(url, JSON_BODY, signature), "bad_signature")


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        ("https://hooks.example.com:443/twilio", "https://hooks.example.com/twilio"),
        ("https://hooks.example.com/twilio", "https://hooks.example.com:443/twilio"),
        ("http://hooks.example.com:80/twilio", "http://hooks.example.com/twilio"),
        ("https://hooks.example.com/twilio", "https://hooks.example.com:8443/twilio"),
    ],
)
def test_the_url_is_tried_with_and_without_the_port(signed: str, received: str) -> None:
    signature = VALIDATOR.compute_signature(signed, PARAMS)
    assert VALIDATOR.validate(received, PARAMS, signature)
    assert verify(form_request(received, PARAMS, signature)).sender_id == "idem-1"


def test_a_different_port_is_not_the_same_url() -> None:
    signature = VALIDATOR.compute_signature("https://hooks.example.com:8443/twilio", PARAMS)
    request = form_request("https://hooks.example.com/twilio", PARAMS, signature)
    assert not VALIDATOR.validate(request.url, PARAMS, signature)
    refused(request, "bad_signature")


def test_public_url_replaces_what_the_lambda_sees_and_keeps_the_query() -> None:
    options = TwilioOptions(public_url="https://hooks.example.com/twilio/sms")
    signature = VALIDATOR.compute_signature("https://hooks.example.com/twilio/sms?tenant=7", PARAMS)
    seen = "https://abc123.execute-api.eu-west-1.amazonaws.com/Prod/twilio/sms?tenant=7"
    refused(form_request(seen, PARAMS, signature), "bad_signature")
    assert verify(form_request(seen, PARAMS, signature), options).sender_id == "idem-1"


def test_public_url_with_json_keeps_the_body_hash_of_the_request() -> None:
    options = TwilioOptions(public_url="https://hooks.example.com/twilio")
    public = signed_url("https://hooks.example.com/twilio", JSON_BODY)
    signature = VALIDATOR.compute_signature(public, {})
    seen = signed_url("http://127.0.0.1:3000/twilio", JSON_BODY)
    assert verify(json_request(seen, JSON_BODY, signature), options).sender_id == "idem-3"


def test_sign_applies_public_url_like_verify() -> None:
    options = TwilioOptions(public_url="https://hooks.example.com/twilio")
    local = "http://127.0.0.1:3000/twilio?tenant=7"
    body = urlencode(PARAMS).encode()
    headers = scheme.sign(SigningInput(body, TOKEN, local, NOW, "x", "i", FORM), options)
    public = "https://hooks.example.com/twilio?tenant=7"
    assert VALIDATOR.validate(public, PARAMS, headers["x-twilio-signature"])
    assert verify(SignedRequest("POST", local, headers, body), options).sender_id == "i"


@pytest.mark.parametrize(
    "public_url",
    ["hooks.example.com/x", "ftp://hooks.example.com/x", "https://h.example/x?a=1", "https:///x"],
)
def test_public_url_must_be_an_absolute_http_url_without_query(public_url: str) -> None:
    with pytest.raises(ValidationError):
        TwilioOptions(public_url=public_url)


def test_a_shared_key_signature_names_its_algorithm() -> None:
    signature = VALIDATOR.compute_signature(URL, PARAMS, algorithm="HMAC_SHA256")
    request = form_request(URL, PARAMS, signature)
    refused(request, "bad_signature")
    settings = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    headers = {**request.headers, "x-twilio-webhooks-signature-settings": settings}
    assert verify(SignedRequest("POST", URL, headers, request.body)).sender_id == "idem-1"
    headers["x-twilio-webhooks-signature-settings"] = "key=k,algorithm=HMAC_MD5"
    refused(SignedRequest("POST", URL, headers, request.body), "unsupported_algorithm")


@pytest.mark.parametrize("content_type", ["text/plain", "", "multipart/form-data; boundary=x"])
def test_a_body_neither_form_nor_json_is_415(content_type: str) -> None:
    request = SignedRequest(
        "POST", URL, {"content-type": content_type, "x-twilio-signature": "abc="}, b"x"
    )
    with pytest.raises(MediaTypeError) as raised:
        verify(request)
    assert (raised.value.status, raised.value.reason) == (415, "unsupported_media_type")


def test_sign_refuses_a_content_type_twilio_does_not_send() -> None:
    with pytest.raises(ValueError):
        scheme.sign(SigningInput(b"x", TOKEN, URL, NOW, "x", "i", "text/plain"), OPTIONS)


@pytest.mark.parametrize(
    ("params", "event_type"),
    [
        ({"EventType": "onMessageAdded", "MessageStatus": "sent"}, "onMessageAdded"),
        ({"MessageSid": "SM1", "MessageStatus": "delivered"}, "message.status"),
        ({"MessageSid": "SM1", "SmsStatus": "received"}, "message.received"),
        ({"MessageSid": "SM1", "SmsStatus": "sent"}, "message.status"),
        ({"CallSid": "CA1", "CallStatus": "completed"}, "call.status"),
        ({"Anything": "else"}, "twilio.request"),
        ({"EventType": ""}, "twilio.request"),
    ],
)
def test_form_event_types(params: dict[str, str], event_type: str) -> None:
    signature = VALIDATOR.compute_signature(URL, params)
    assert verify(form_request(URL, params, signature, None)) == Verified(event_type, ack=TWIML)


@pytest.mark.parametrize(
    ("body", "event_type"),
    [
        (b'[{"type": "com.twilio.voice.status"}]', "com.twilio.voice.status"),
        (b'{"type": "x.y"}', "x.y"),
        (b"[]", "twilio.request"),
        (b"not json", "twilio.request"),
    ],
)
def test_json_event_types(body: bytes, event_type: str) -> None:
    url = signed_url(URL, body)
    signature = VALIDATOR.compute_signature(url, {})
    assert verify(json_request(url, body, signature)).event_type == event_type
