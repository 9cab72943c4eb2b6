"""The pytest kit: every sender's encodings through the real route and worker, settings per test,
failures kept where an operator sees them, redelivery and replay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from handler.process.processors import Event
from infra import DEMO_SOURCES
from webhook_sim import ENCODINGS
from webhook_sim.kit import WebhookKit, webhook_kit
from webhook_sim.pytest_plugin import Processors

# (source, scheme-documented encoding) for every demo source.
SOURCES = {
    "github": "github",
    "stripe": "stripe",
    "slack": "slack",
    "shopify": "shopify",
    "standard": "standard",
    "twilio": "twilio",
    "gitlab": "gitlab",
    "discord": "discord",
    "internal": "hmac-sha256",
}
CASES = [(source, encoding) for source, scheme in SOURCES.items() for encoding in ENCODINGS[scheme]]


@pytest.mark.parametrize(("source", "encoding"), CASES)
def test_every_sender_encoding_is_accepted_and_processed_once(
    webhooks: WebhookKit, source: str, encoding: Any
) -> None:
    # Events no example processor claims: the default processor records the delivery. The
    # examples' own reading of each encoding is tested with the processors.
    event = {"github": "push", "stripe": "customer.created"}.get(source)
    sent = webhooks.send(source, event, encoding=encoding)
    assert sent.status_code in (200, 202), sent.body
    assert webhooks.redeliver(sent).status_code in (200, 202)
    results = webhooks.drain()
    assert list(results) == [sent.delivery_id]
    result = results[sent.delivery_id]
    assert (result.status, result.attempts) == ("processed", 1)
    assert result.outcome == {"processor": "default", "bytes": len(sent.delivery.body)}


def test_a_sender_id_is_the_delivery_id(webhooks: WebhookKit) -> None:
    sent = webhooks.send("github", "push", delivery_id="d3b07384-d113-4ec2-8f4f-0123456789ab")
    assert sent.delivery_id == sent.body["id"] == "d3b07384-d113-4ec2-8f4f-0123456789ab"


def test_an_explicit_body_is_sent_byte_for_byte(webhooks: WebhookKit) -> None:
    body = {"id": "evt_explicit_1", "type": "customer.created", "data": {"name": "Zoë"}}
    sent = webhooks.send("stripe", body=body)
    assert (sent.status_code, sent.delivery_id) == (202, "evt_explicit_1")
    webhooks.drain()
    archived = webhooks.operations.body(webhooks.operations.locate("evt_explicit_1", "stripe"))
    assert archived == sent.delivery.body


@pytest.mark.parametrize("webhook_settings", [{"ack_policy": "instant"}])
def test_settings_are_overridden_per_test(webhooks: WebhookKit) -> None:
    sent = webhooks.send("stripe", "invoice.paid")
    assert webhooks.settings.ack_policy == "instant"
    # Under `instant` a retry is acknowledged again; it is still one message and one effect.
    assert webhooks.redeliver(sent).status_code == 202
    assert webhooks.drain()[sent.delivery_id].status == "processed"
    assert len(webhooks.effects("stripe/invoices")) == 1


def test_other_sources_can_be_served(webhook_kit_factory: Any, tmp_path: Any) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[sources.billing]\nscheme = "stripe"\nsecrets = ["whsec_billing"]\n')
    kit = webhook_kit_factory(sources)
    assert set(kit.sources) == {"billing"}
    assert kit.send("billing", "invoice.paid").status_code == 202
    with pytest.raises(KeyError, match="no source 'stripe'"):
        kit.send("stripe")


@pytest.fixture
def failing_processor(processors: Processors) -> Iterator[None]:
    @processors("shopify", "orders/create")
    def broken(event: Event) -> None:
        raise RuntimeError("the order service said no")

    yield


@pytest.mark.usefixtures("failing_processor")
def test_a_failing_processor_ends_in_the_dlq_with_its_reason(webhooks: WebhookKit) -> None:
    sent = webhooks.send("shopify", "orders/create")
    result = webhooks.drain()[sent.delivery_id]
    assert result.status != "processed"
    assert result.last_error == "RuntimeError: the order service said no"
    assert result.attempts == 5  # the queue's maxReceiveCount, then the DLQ
    assert [letter["id"] for letter in webhooks.dead_letters()] == [sent.delivery_id]


def test_the_kit_works_outside_pytest_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with webhook_kit(DEMO_SOURCES) as kit:
        sent = kit.send("gitlab")
        assert kit.drain()[sent.delivery_id].status == "processed"
