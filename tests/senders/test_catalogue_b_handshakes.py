"""The second half's handshakes through the real route (the pytest kit over
infra/senders-sample.toml): WooCommerce's unsigned creation ping and Mandrill's HEAD check are
answered 200 and never enqueued; a look-alike of the ping that is not one is refused as unsigned,
and a signed delivery still goes through."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import SENDERS_SAMPLE
from webhook_sim.kit import WebhookKit

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def webhook_sources() -> Path:
    return SENDERS_SAMPLE


def test_woocommerce_ping_and_mandrill_head_are_answered_and_never_enqueued(
    webhooks: WebhookKit,
) -> None:
    http = webhooks.http
    ping = http.post("/webhooks/woocommerce", content=b"webhook_id=12", headers=FORM)
    assert (ping.status_code, ping.content) == (200, b"")
    head = http.head("/webhooks/mandrill")
    assert head.status_code == 200
    assert webhooks.drain() == {}


def test_a_ping_look_alike_is_refused_and_a_delivery_still_accepted(webhooks: WebhookKit) -> None:
    http = webhooks.http
    fake = http.post("/webhooks/woocommerce", content=b"webhook_id=12&status=paid", headers=FORM)
    assert (fake.status_code, fake.json()["error"]) == (401, "missing_signature")
    sent = webhooks.send("woocommerce")
    assert sent.status_code == 202
    assert list(webhooks.drain()) == [sent.delivery_id]
