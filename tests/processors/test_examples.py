"""The example processors, through the real route and worker (the pytest kit): one effect per
invoice and per pull request, whatever the retries, replays and order of arrival."""

from __future__ import annotations

from typing import Any

from handler.process.processors import find_processor
from webhook_sim.kit import WebhookKit


def invoice_paid(event_id: str, invoice: str = "in_1") -> dict[str, Any]:
    data = {"object": {"id": invoice, "amount_paid": 2000, "currency": "eur", "customer": "c"}}
    return {"id": event_id, "object": "event", "type": "invoice.paid", "data": data}


def test_invoice_paid_is_recorded_once(webhooks: WebhookKit) -> None:
    first = webhooks.send("stripe", body=invoice_paid("evt_1"))
    assert webhooks.drain()["evt_1"].outcome == {
        "processor": "stripe.invoice_paid",
        "invoice": "in_1",
        "recorded": True,
    }
    recorded = webhooks.effects("stripe/invoices")
    assert [document["event_id"] for document in recorded.values()] == ["evt_1"]
    # Stripe's retry, a forced replay and another event for the same invoice: no second effect.
    assert webhooks.redeliver(first).body["status"] == "duplicate"
    assert webhooks.replay("evt_1") == "replayed"
    webhooks.send("stripe", body=invoice_paid("evt_2"))
    results = webhooks.drain()
    for event_id in ("evt_1", "evt_2"):
        assert results[event_id].outcome == {
            "processor": "stripe.invoice_paid",
            "invoice": "in_1",
            "already_paid_by": "evt_1",
        }
    assert webhooks.effects("stripe/invoices") == recorded


def test_invoice_paid_without_an_invoice_is_ignored(webhooks: WebhookKit) -> None:
    webhooks.send("stripe", body={"id": "evt_x", "type": "invoice.paid"})
    result = webhooks.drain()["evt_x"]
    assert (result.status, result.outcome) == (
        "processed",
        {"processor": "stripe.invoice_paid", "ignored": "no invoice in the event"},
    )
    assert webhooks.effects() == {}


def pull_request(action: str, updated_at: str) -> dict[str, Any]:
    return {
        "action": action,
        "pull_request": {"number": 7, "state": "open", "updated_at": updated_at, "head": {}},
        "repository": {"full_name": "octo/app"},
    }


def test_pull_request_keeps_the_latest_state_whatever_the_order(webhooks: WebhookKit) -> None:
    newer = webhooks.send(
        "github",
        "pull_request",
        body=pull_request("closed", "2026-01-02T10:00:00Z"),
        delivery_id="d2",
    )
    webhooks.send(
        "github",
        "pull_request",
        body=pull_request("opened", "2026-01-02T09:00:00Z"),
        delivery_id="d1",
    )
    results = webhooks.drain()
    assert results["d2"].outcome == {
        "processor": "github.pull_request",
        "pull": "octo-app-7",
        "changed": True,
    }
    assert results["d1"].outcome is not None and results["d1"].outcome["changed"] is False
    # The newest event again, replayed: nothing changes.
    webhooks.redeliver(newer)
    assert webhooks.replay("d2") == "replayed"
    assert webhooks.drain()["d2"].outcome == {
        "processor": "github.pull_request",
        "pull": "octo-app-7",
        "changed": False,
    }
    [state] = webhooks.effects("github/pulls").values()
    assert (state["action"], state["event_id"]) == ("closed", "d2")


def test_other_events_still_reach_the_default_processor() -> None:
    assert find_processor("github", "push").__name__ == "log_delivery"
    assert find_processor("stripe", "customer.created").__name__ == "log_delivery"
