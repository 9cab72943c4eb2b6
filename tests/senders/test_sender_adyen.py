"""Adyen, with the `Adyen` library's HMAC helpers as the oracle (is_valid_hmac_notification and
generate_notification_sig), and the example of Adyen's "Verify HMAC signatures" page
(https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures):
its sample key and AUTHORISATION item sign to coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from Adyen.util import generate_notification_sig, is_valid_hmac_notification
from catalogue_b import BASE_URL

from handler.receive.senders.adyen import hmac_key, signature
from handler.receive.signatures import SignatureError, SignedRequest, Verified
from handler.receive.sources import Source
from webhook_sim.senders import configured_source, simulate

KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
DOCUMENTED_ITEM = {
    "pspReference": "7914073381342284",
    "originalReference": "",
    "merchantAccountCode": "TestMerchant",
    "merchantReference": "TestPayment-1407325143704",
    "amount": {"value": 1130, "currency": "EUR"},
    "eventCode": "AUTHORISATION",
    "success": "true",
}
DOCUMENTED_SIGNATURE = "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="


def adyen_source(*keys: str) -> Source:
    return configured_source("adyen", {"scheme": "adyen", "secrets": list(keys or [KEY])})


def verify(body: bytes, *keys: str) -> Verified:
    source = adyen_source(*keys)
    request = SignedRequest(
        "POST", f"{BASE_URL}/webhooks/adyen", {"content-type": "application/json"}, body
    )
    return source.scheme.verify(request, source.secrets, source.options, 0.0)


def batch(*items: dict[str, Any]) -> bytes:
    wrapped = [{"NotificationRequestItem": item} for item in items]
    return json.dumps({"live": "false", "notificationItems": wrapped}).encode()


def test_the_documented_example() -> None:
    assert signature(hmac_key(KEY), DOCUMENTED_ITEM) == DOCUMENTED_SIGNATURE
    item = {**DOCUMENTED_ITEM, "additionalData": {"hmacSignature": DOCUMENTED_SIGNATURE}}
    verified = verify(batch(item))
    assert verified.event_type == "AUTHORISATION"
    assert verified.sender_id == "7914073381342284:AUTHORISATION:true"
    assert verified.ack is None  # any 2xx accepts: the receiver's 202 will do


def test_the_library_accepts_every_item_the_simulator_signs() -> None:
    delivery = simulate(adyen_source(), base_url=BASE_URL)
    document = json.loads(delivery.body)
    for entry in document["notificationItems"]:
        assert is_valid_hmac_notification(entry["NotificationRequestItem"], KEY)
    assert verify(delivery.body).event_type == "AUTHORISATION"


def test_the_receiver_accepts_what_the_library_signs_and_refuses_a_changed_amount() -> None:
    items = []
    for psp, code in (("8815329842815468", "AUTHORISATION"), ("8815329842815469", "CAPTURE")):
        item = {**copy.deepcopy(DOCUMENTED_ITEM), "pspReference": psp, "eventCode": code}
        item["additionalData"] = {"hmacSignature": generate_notification_sig(item, KEY).decode()}
        items.append(item)
    assert verify(batch(*items)).sender_id == "8815329842815468:AUTHORISATION:true"
    items[1]["amount"]["value"] = 1  # the second item of the batch is tampered with
    with pytest.raises(SignatureError) as refused:
        verify(batch(*items))
    assert refused.value.reason == "bad_signature"


def test_an_item_without_a_signature_is_refused() -> None:
    signed = {**DOCUMENTED_ITEM, "additionalData": {"hmacSignature": DOCUMENTED_SIGNATURE}}
    with pytest.raises(SignatureError) as refused:
        verify(batch(signed, dict(DOCUMENTED_ITEM)))
    assert refused.value.reason == "missing_signature"


def test_only_the_eight_fields_are_signed_as_the_library_agrees() -> None:
    # Why README tells processors to trust only the signed fields: a change elsewhere in an item
    # (here the reason and a shopper reference) still verifies, for the library as for us.
    item = {
        **DOCUMENTED_ITEM,
        "reason": "058156:1111:03/2030",
        "additionalData": {"hmacSignature": DOCUMENTED_SIGNATURE, "shopperReference": "Zoë"},
    }
    changed = copy.deepcopy(item)
    changed["reason"] = "something else"
    changed["additionalData"]["shopperReference"] = "Mallory"
    assert is_valid_hmac_notification(copy.deepcopy(changed), KEY)
    assert verify(batch(changed)).event_type == "AUTHORISATION"
    changed["merchantReference"] = "TestPayment-other"  # a signed field: refused
    assert not is_valid_hmac_notification(copy.deepcopy(changed), KEY)
    with pytest.raises(SignatureError):
        verify(batch(changed))
