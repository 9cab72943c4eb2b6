"""WorkOS, with the `workos` SDK's Webhooks.verify_event as the oracle. The SDK reads the clock
itself, so these deliveries are signed now."""

from __future__ import annotations

import time

import pytest
from catalogue_b import deliver, secret, source, verify
from workos.webhooks import Webhooks


def sdk() -> Webhooks:
    return Webhooks.__new__(Webhooks)  # verification needs no client


def test_the_sdk_accepts_what_the_simulator_signs() -> None:
    now = time.time()
    delivery = deliver("workos", now=now, sender_id="event_01HYE5WEFV4Z1KJ8QCZ1X4ABCD")
    header = delivery.headers["workos-signature"]
    assert header.startswith("t=") and ", v1=" in header  # as WorkOS writes it
    event = sdk().verify_event(
        event_body=delivery.body, event_signature=header, secret=secret("workos")
    )
    verified = verify(source("workos"), delivery, now=now)
    assert event.id == verified.sender_id == "event_01HYE5WEFV4Z1KJ8QCZ1X4ABCD"
    assert event.event == verified.event_type == "dsync.user.created"


def test_the_sdk_and_the_receiver_refuse_the_same_stale_delivery() -> None:
    now = time.time()
    delivery = deliver("workos", now=now - 200)  # past WorkOS's 180 s default on both sides
    with pytest.raises(ValueError, match="tolerance"):
        sdk().verify_header(
            event_body=delivery.body,
            event_signature=delivery.headers["workos-signature"],
            secret=secret("workos"),
        )
    with pytest.raises(Exception, match="tolerance"):
        verify(source("workos"), delivery, now=now)


def test_the_sdk_refuses_another_secret() -> None:
    delivery = deliver("workos", now=time.time(), signing_secret=secret("workos", "other"))
    with pytest.raises(ValueError, match="does not match"):
        sdk().verify_header(
            event_body=delivery.body,
            event_signature=delivery.headers["workos-signature"],
            secret=secret("workos"),
        )
