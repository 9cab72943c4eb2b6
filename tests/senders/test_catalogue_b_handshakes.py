"""The second half through the real route (the pytest kit over infra/senders-sample.toml):
WooCommerce's unsigned creation ping and Mandrill's HEAD check are answered 200 and never
enqueued, a look-alike of the ping is refused as unsigned; and for the outliers (a private key,
a JWT, a signature inside the body, a signed URL, two key headers) a delivery signed with a new
secret is quarantined, then released once the secret is configured."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from infra import SENDERS_SAMPLE
from webhook_sim.examples.telnyx import OTHER_SECRET as TELNYX_OTHER_KEY
from webhook_sim.kit import WebhookKit
from webhook_sim.senders import configured_source, simulate

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


ROTATED = {
    # Telnyx: the demo key pair's second public key (webhook_sim/examples/telnyx.py).
    "telnyx": "OTHER",
    "livekit": "APIdemoLiveKit02:demo-livekit-rotated-secret-9e8d7c6b5a4f3e2d1c0b",
    "adyen": "7D3A9E1B5C2F8A4D6E0B3C7F1A9D5E2B8C4F0A6D3E9B1C7F5A2D8E4B0C6F3A9E",
}


@pytest.mark.parametrize("name", ["razorpay", "telnyx", "adyen", "plivo", "box"])
def test_a_delivery_signed_with_a_new_secret_is_quarantined_then_released(
    webhooks: WebhookKit, name: str
) -> None:
    # The sender already signs with a secret the receiver does not know yet; the operator adds
    # it (both verify during the rotation) and releases what was refused meanwhile.
    sample = tomllib.loads(SENDERS_SAMPLE.read_text())["sources"][name]
    new_secret = ROTATED.get(name, f"rotated-{name}-secret")
    if new_secret == "OTHER":
        new_secret = TELNYX_OTHER_KEY
    current = webhooks.sources[name]
    rotated = configured_source(name, {**sample, "secrets": [new_secret]})
    refused = webhooks.post(simulate(rotated, base_url="http://testserver"))
    assert (refused.status_code, refused.body["error"]) == (401, "bad_signature")
    [item] = list(webhooks.operations.quarantine.items(name))
    assert webhooks.operations.release(item).result == "rejected"
    both = {**sample, "secrets": [*current.secrets, new_secret]}
    webhooks.sources[name] = configured_source(name, both)
    released = webhooks.operations.release(item)
    assert released.result == "released", released.detail
    assert [result.status for result in webhooks.drain().values()] == ["processed"]


def test_a_quarantined_livekit_delivery_cannot_be_released_verified(webhooks: WebhookKit) -> None:
    # LiveKit's signature is the Authorization header, which quarantine (like the archive) never
    # keeps: the release re-verifies without it and refuses. README says so: what such a delivery
    # reported is read back from LiveKit's API (room and participant state), not from quarantine.
    sample = tomllib.loads(SENDERS_SAMPLE.read_text())["sources"]["livekit"]
    rotated = configured_source("livekit", {**sample, "secrets": [ROTATED["livekit"]]})
    refused = webhooks.post(simulate(rotated, base_url="http://testserver"))
    assert (refused.status_code, refused.body["error"]) == (401, "bad_signature")
    [item] = list(webhooks.operations.quarantine.items("livekit"))
    assert "authorization" not in {name.lower() for name in item.headers}
    both = {**sample, "secrets": [*sample["secrets"], ROTATED["livekit"]]}
    webhooks.sources["livekit"] = configured_source("livekit", both)
    released = webhooks.operations.release(item)
    assert released.result == "rejected"
    assert webhooks.drain() == {}
