"""Plivo, with the `plivo` SDK's signature V3 helpers both ways: validate_v3_signature must accept
what the simulator signs, and the receiver must accept what get_signature_v3 signs over
construct_post_url, with and without a query string on the callback URL."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from catalogue_b import BASE_URL
from plivo.utils.signature_v3 import construct_post_url, get_signature_v3, validate_v3_signature

from handler.receive.signatures import SignatureError, SignedRequest, Verified
from handler.receive.sources import Source
from webhook_sim.senders import configured_source, simulate

TOKEN = "MjQ5OWEyYzE3ZjQ2ZGRiNGI0ZTY0ZWY0NmI2OTc3"
PUBLIC = "https://hooks.example.com/webhooks/plivo"


def plivo_source(public_url: str = PUBLIC, *tokens: str) -> Source:
    config = {"scheme": "plivo", "secrets": list(tokens or [TOKEN]), "public_url": public_url}
    return configured_source("plivo", config)


def receive(request: SignedRequest, public_url: str = PUBLIC, *tokens: str) -> Verified:
    source = plivo_source(public_url, *tokens)
    return source.scheme.verify(request, source.secrets, source.options, 0.0)


def test_the_sdk_validates_what_the_simulator_signs() -> None:
    delivery = simulate(plivo_source(), base_url=BASE_URL)
    params = dict(parse_qsl(delivery.body.decode(), keep_blank_values=True))
    assert "Ça marche" in params["Text"]
    assert validate_v3_signature(
        "POST",
        PUBLIC,
        delivery.headers["x-plivo-signature-v3-nonce"],
        TOKEN,
        delivery.headers["x-plivo-signature-v3"],
        params,
    )
    assert not validate_v3_signature(
        "POST",
        PUBLIC,
        delivery.headers["x-plivo-signature-v3-nonce"],
        "another-token",
        delivery.headers["x-plivo-signature-v3"],
        params,
    )
    request = SignedRequest("POST", delivery.url, delivery.headers, delivery.body)
    assert receive(request).event_type == "delivered"


@pytest.mark.parametrize("public_url", [PUBLIC, PUBLIC + "?tenant=acme&b=2&a=1"])
def test_the_receiver_accepts_what_the_sdk_signs(public_url: str) -> None:
    body = simulate(plivo_source(), base_url=BASE_URL).body
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    nonce = "05429567804466091622"
    # As validate_v3_signature does: the URL decoded to text before it is signed.
    url = construct_post_url(public_url, params).decode("utf-8")
    signed = get_signature_v3(TOKEN, url, nonce).decode()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-plivo-signature-v3-nonce": nonce,
        # Two signatures, as Plivo sends while a token is being rotated; one matches.
        "x-plivo-signature-v3": f"{get_signature_v3('old-token', 'x', nonce).decode()},{signed}",
    }
    # The Lambda sees another host and path: the source's public_url is what was signed.
    request = SignedRequest("POST", "https://abc123.execute-api.aws/webhooks/plivo", headers, body)
    assert receive(request, public_url).event_type == "delivered"
    with pytest.raises(SignatureError) as refused:
        receive(request, "https://hooks.example.com/webhooks/elsewhere")
    assert refused.value.reason == "bad_signature"
