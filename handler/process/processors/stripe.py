"""Example: Stripe `invoice.paid` marks the invoice paid, once, whatever the number of deliveries.

Stripe retries an event for 3 days and may send it again after a manual resend; the dedup table
stops retries of the same event, but a *different* event can also say the same invoice is paid
(a resend creates no new id, a replay with --force reprocesses it). So the effect is keyed by the
invoice id, not the event id: the first event that finds the invoice unpaid records it; every
later one finds it paid and does nothing.
"""

from __future__ import annotations

from typing import Any

from .registry import Event, Outcome, processor


@processor("stripe", "invoice.paid")
def mark_invoice_paid(event: Event) -> Outcome:
    document = event.payload()
    invoice: Any = document.get("data", {}).get("object") if isinstance(document, dict) else None
    if not isinstance(invoice, dict) or not isinstance(invoice.get("id"), str):
        # Retrying cannot fix a body without an invoice: record why and finish.
        return {"processor": "stripe.invoice_paid", "ignored": "no invoice in the event"}
    store = event.effects
    key = store.key("stripe", "invoices", invoice["id"])
    existing = store.get(key)
    if existing is not None:
        return {
            "processor": "stripe.invoice_paid",
            "invoice": invoice["id"],
            "already_paid_by": existing.get("event_id"),
        }
    store.put(
        key,
        {
            "invoice": invoice["id"],
            "status": "paid",
            "amount_paid": invoice.get("amount_paid"),
            "currency": invoice.get("currency"),
            "customer": invoice.get("customer"),
            "event_id": event.id,
            "paid_at": event.received_at.isoformat(),
        },
    )
    return {"processor": "stripe.invoice_paid", "invoice": invoice["id"], "recorded": True}
