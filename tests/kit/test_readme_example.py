"""README's "Testing a processor" example, exactly as printed there: it must pass as copied."""

from webhook_sim.kit import WebhookKit


def test_invoice_paid_has_one_effect(webhooks: WebhookKit) -> None:
    sent = webhooks.send("stripe", "invoice.paid")
    assert sent.status_code == 202
    assert webhooks.redeliver(sent).body["status"] == "duplicate"  # Stripe's retry

    results = webhooks.drain()
    assert results[sent.delivery_id].status == "processed"
    assert results[sent.delivery_id].outcome["recorded"] is True

    assert webhooks.replay(sent.delivery_id) == "replayed"  # webhooks replay --force
    again = webhooks.drain()[sent.delivery_id]
    assert (again.status, again.replays) == ("processed", 1)
    assert again.outcome["already_paid_by"] == sent.delivery_id

    assert len(webhooks.effects("stripe/invoices")) == 1  # one effect, whatever happened
