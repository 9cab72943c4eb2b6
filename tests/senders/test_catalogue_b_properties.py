"""What the catalogue's second half must do beyond the shared contract
(tests/unit/test_senders_contract.py: signing, tampering, rotation, staleness, unsigned): take
the delivery id from the sender's own id where its documentation gives one (else the body's
hash), verify a full-size delivery, and hold a signed timestamp to the source's own tolerance
on both sides of its edge.

Each sender's own SDK or published example is the oracle in its own test file
(tests/senders/test_sender_<name>.py); these tests hold the catalogue to one standard."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

import pytest
from catalogue_b import (
    BY_NAME,
    NOW,
    SENDERS,
    deliver,
    receiver_id,
    source,
    verify,
)

from handler.receive.signatures import SignatureError
from webhook_sim.published import FORM, NON_ASCII

NAMES = [sender.name for sender in SENDERS]


@pytest.mark.parametrize("sender", NAMES)
def test_the_sample_verifies_with_the_senders_own_id_and_type(sender: str) -> None:
    delivery = deliver(sender)
    verified = verify(source(sender), delivery)
    assert verified.event_type == delivery.event_type
    assert receiver_id(verified, delivery.body) == delivery.delivery_id
    if BY_NAME[sender].id_from_sender:
        assert verified.sender_id, f"{sender} has a delivery id of its own"
        assert not delivery.delivery_id.startswith("sha256-")
    else:
        assert verified.sender_id is None
        assert delivery.delivery_id.startswith("sha256-")
    assert verified.reply is None and verified.ack is None


@pytest.mark.parametrize("sender", NAMES)
def test_a_full_size_delivery_verifies(sender: str) -> None:
    # Nearly API Gateway's limit is not needed to prove the point: past SQS's inline size.
    sample = deliver(sender)
    padding = NON_ASCII * 6_000
    if sample.headers["content-type"] == FORM:  # Mandrill: one more form field
        fields = dict(parse_qsl(sample.body.decode(), keep_blank_values=True))
        padded = urlencode({**fields, "padding": padding}).encode()
    else:
        document = json.loads(sample.body)
        padded = json.dumps({**document, "padding": padding}, ensure_ascii=False).encode()
    assert len(padded) > 262_144  # SQS's classic inline limit
    delivery = deliver(
        sender,
        body=padded,
        event_type=sample.event_type,
        content_type=sample.headers["content-type"],
    )
    assert verify(source(sender), delivery).event_type == delivery.event_type


TIMESTAMPED = [sender.name for sender in SENDERS if sender.timestamped]


@pytest.mark.parametrize("sender", TIMESTAMPED)
@pytest.mark.parametrize("skew", [-1, 1])
def test_a_stale_or_future_timestamp_is_refused(sender: str, skew: int) -> None:
    tolerance = 600
    receiver = source(sender, tolerance_seconds=tolerance)
    signed_at = NOW + skew * (tolerance + 5)
    delivery = deliver(sender, now=signed_at)
    with pytest.raises(SignatureError) as refused:
        verify(receiver, delivery, now=NOW)
    assert refused.value.reason == "stale_timestamp"
    # Within the tolerance, the same delivery is fine.
    verify(receiver, delivery, now=signed_at - skew * (tolerance - 5))


@pytest.mark.parametrize("sender", [s.name for s in SENDERS if not s.timestamped])
def test_a_sender_that_signs_no_timestamp_is_not_held_to_one(sender: str) -> None:
    # A day-old retry of a sender that signs no time is still its own: only the body is signed.
    delivery = deliver(sender, now=NOW - 86_400)
    verify(source(sender), delivery, now=NOW)
