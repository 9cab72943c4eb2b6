"""GoCardless, with `gocardless_pro.webhooks.parse_with_meta` (the SDK's verify-and-parse) as the
oracle: it must accept the simulator's signature and read the same webhook id and events."""

from __future__ import annotations

import pytest
from catalogue_b import deliver, secret, source, verify
from gocardless_pro import webhooks
from gocardless_pro.errors import InvalidSignatureError


def test_the_sdk_accepts_and_reads_the_same_webhook() -> None:
    delivery = deliver("gocardless", sender_id="WB0004KXY4AQEW", event_type="payments.confirmed")
    parsed = webhooks.parse_with_meta(
        delivery.body, secret("gocardless"), delivery.headers["webhook-signature"]
    )
    verified = verify(source("gocardless"), delivery)
    assert parsed.webhook_id == verified.sender_id == "WB0004KXY4AQEW"
    kinds = {f"{event.resource_type}.{event.action}" for event in parsed.events}
    assert kinds == {verified.event_type} == {"payments.confirmed"}


def test_a_batch_of_several_kinds_is_mixed() -> None:
    delivery = deliver("gocardless")
    document = delivery.body.replace(b'"action": "confirmed"', b'"action": "failed"', 1)
    assert document != delivery.body
    mixed = deliver("gocardless", body=document, event_type="mixed")
    parsed = webhooks.parse_with_meta(
        mixed.body, secret("gocardless"), mixed.headers["webhook-signature"]
    )
    assert len({event.action for event in parsed.events}) == 2
    assert verify(source("gocardless"), mixed).event_type == "mixed"


def test_the_sdk_refuses_another_secret() -> None:
    delivery = deliver("gocardless", signing_secret=secret("gocardless", "other"))
    with pytest.raises(InvalidSignatureError):
        webhooks.parse(delivery.body, secret("gocardless"), delivery.headers["webhook-signature"])
