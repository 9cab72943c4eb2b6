"""The example processors: registered, idempotent, and tolerant of events without their object."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from handler.processors import Event, find_processor
from handler.processors.effects import EffectStore, use_store
from infra.resources import Resources


@pytest.fixture
def store(resources: Resources) -> Iterator[EffectStore]:
    effects = EffectStore(boto3.client("s3", region_name="us-east-1"), resources.bucket)
    use_store(effects)
    yield effects
    use_store(None)


def event(source: str, event_type: str, document: dict[str, Any], event_id: str) -> Event:
    return Event(
        id=event_id,
        source=source,
        event_type=event_type,
        received_at=datetime(2026, 1, 2, tzinfo=UTC),
        headers={},
        body=json.dumps(document).encode(),
    )


def invoice_paid(event_id: str, invoice: str = "in_1") -> Event:
    data = {"object": {"id": invoice, "amount_paid": 2000, "currency": "eur", "customer": "c"}}
    return event("stripe", "invoice.paid", {"id": event_id, "data": data}, event_id)


def test_invoice_paid_is_recorded_once(store: EffectStore) -> None:
    process = find_processor("stripe", "invoice.paid")
    first = process(invoice_paid("evt_1"))
    assert first == {"processor": "stripe.invoice_paid", "invoice": "in_1", "recorded": True}
    recorded = store.get(store.key("stripe", "invoices", "in_1"))
    assert recorded is not None and recorded["event_id"] == "evt_1"
    # The same event again (replay --force) and another event for the same invoice: no effect.
    for again in (invoice_paid("evt_1"), invoice_paid("evt_2")):
        assert process(again) == {
            "processor": "stripe.invoice_paid",
            "invoice": "in_1",
            "already_paid_by": "evt_1",
        }
    assert store.get(store.key("stripe", "invoices", "in_1")) == recorded


def test_invoice_paid_without_an_invoice_is_ignored(store: EffectStore) -> None:
    process = find_processor("stripe", "invoice.paid")
    outcome = process(event("stripe", "invoice.paid", {"id": "evt_x"}, "evt_x"))
    assert outcome == {"processor": "stripe.invoice_paid", "ignored": "no invoice in the event"}


def pull_request(event_id: str, action: str, updated_at: str) -> Event:
    document = {
        "action": action,
        "pull_request": {"number": 7, "state": "open", "updated_at": updated_at, "head": {}},
        "repository": {"full_name": "octo/app"},
    }
    return event("github", "pull_request", document, event_id)


def test_pull_request_keeps_the_latest_state_whatever_the_order(store: EffectStore) -> None:
    process = find_processor("github", "pull_request")
    newer = pull_request("d2", "closed", "2026-01-02T10:00:00Z")
    older = pull_request("d1", "opened", "2026-01-02T09:00:00Z")
    expected = {"processor": "github.pull_request", "pull": "octo-app-7", "changed": True}
    assert process(newer) == expected
    for late_or_again in (older, newer):
        outcome = process(late_or_again)
        assert outcome is not None and outcome["changed"] is False
    state = store.get(store.key("github", "pulls", "octo-app-7"))
    assert state is not None and (state["action"], state["event_id"]) == ("closed", "d2")


def test_other_events_still_reach_the_default_processor() -> None:
    assert find_processor("github", "push").__name__ == "log_delivery"
    assert find_processor("stripe", "customer.created").__name__ == "log_delivery"
