"""Sample bodies shaped like each sender's published examples, in each encoding it documents.

    sample("github", "pull_request", delivery_id="...", now=...)           # JSON
    sample("github", "pull_request", ..., encoding="payload")              # payload=<JSON> form
    sample("slack", "slash_command", ..., encoding="form")                 # a slash command
    sample("zoom", "meeting.started", ...)      # a catalogue sender: webhook_sim/examples/zoom.py

The documents follow the senders' own examples (field names, nesting, sizes), with non-ASCII text
in the places people type it, and carry the delivery id and event type where each sender puts
them, so the receiver derives the same id and type as for the real thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from . import published
from .examples import examples_of
from .published import FORM, JSON

Encoding = Literal["json", "form", "payload"]

# What each scheme's sender documents: the first is what a sample uses by default.
ENCODINGS: dict[str, tuple[Encoding, ...]] = {
    "github": ("json", "payload"),  # the webhook's "Content type": JSON or form (payload=)
    "stripe": ("json",),
    "slack": ("json", "form", "payload"),  # Events API; slash commands; interactivity
    "shopify": ("json",),
    "standard": ("json",),
    "twilio": ("form", "json"),  # Messaging/Voice callbacks; Event Streams and newer products
    "gitlab": ("json",),
    "discord": ("json",),
    "hmac-sha256": ("json",),
}

DEFAULT_EVENTS = {
    "github": "pull_request",
    "stripe": "invoice.paid",
    "slack": "message",
    "shopify": "orders/create",
    "standard": "invoice.paid",
    "twilio": "com.twilio.messaging.inbound-message.received",
    "gitlab": "Merge Request Hook",
    "discord": "APPLICATION_AUTHORIZED",
    "hmac-sha256": "order.shipped",
}


@dataclass(frozen=True)
class Sample:
    body: bytes
    content_type: str
    event_type: str  # as the receiver will classify it


def default_event(scheme: str) -> str:
    if scheme in DEFAULT_EVENTS:
        return DEFAULT_EVENTS[scheme]
    examples = examples_of(scheme)
    return str(examples.DEFAULT_EVENT) if examples is not None else "demo.created"


def encodings(scheme: str) -> tuple[Encoding, ...]:
    """The encodings `scheme`'s sender posts: a built-in's, or its catalogue example module's."""
    if scheme in ENCODINGS:
        return ENCODINGS[scheme]
    examples = examples_of(scheme)
    return tuple(examples.ENCODINGS) if examples is not None else ("json",)


def sample(
    scheme: str,
    event_type: str | None = None,
    *,
    delivery_id: str,
    now: float,
    encoding: Encoding | None = None,
) -> Sample:
    """A body for `scheme`'s sender; ValueError for an encoding that sender never uses."""
    documented = encodings(scheme)
    chosen = encoding or documented[0]
    if chosen not in documented:
        raise ValueError(f"{scheme} senders do not post {chosen} bodies (they post {documented})")
    event = event_type or default_event(scheme)
    examples = None if scheme in ENCODINGS else examples_of(scheme)
    if examples is not None:
        drawn: Sample = examples.example(event, delivery_id, now, chosen)
        return drawn
    match scheme, chosen:
        case "slack", "form":
            return Sample(_form(published.slack_slash_command()), FORM, "slash_command")
        case "slack", "payload":
            document = published.slack_block_actions()
            return Sample(_form({"payload": _json(document)}), FORM, document["type"])
        case "twilio", "form":
            return Sample(_form(published.twilio_incoming_sms()), FORM, "message.received")
        case _:
            document = _document(scheme, event, delivery_id, now)
            if chosen == "payload":
                return Sample(_form({"payload": _json(document)}), FORM, event)
            return Sample(_json(document).encode(), JSON, event)


def _json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False)


def _form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _document(scheme: str, event: str, delivery_id: str, now: float) -> Any:
    """The sender's published example, carrying this delivery's id, type and time where the
    sender puts them (so its retries dedup and a newer event is newer)."""
    match scheme:
        case "github":
            if event == "pull_request":
                return published.github_pull_request(updated_at=_iso(now))
            if event == "issue_comment":
                return published.github_issue_comment()
            return {"zen": "Design for failure.", "hook_id": 109948940, "event": event}
        case "stripe":
            # Each sample event concerns an invoice of its own (in_<end of the event id>).
            document = published.stripe_event(event)
            invoice = {**document["data"]["object"], "id": f"in_{delivery_id[-12:]}"}
            data = {**document["data"], "object": invoice}
            return {**document, "id": delivery_id, "created": int(now), "data": data}
        case "slack":
            document = published.slack_event_callback()
            inner = {**document["event"], "type": event, "ts": f"{now:.6f}"}
            return {**document, "event": inner, "event_id": delivery_id, "event_time": int(now)}
        case "shopify":
            return published.shopify_order()
        case "standard":
            return {**published.standard_event(), "type": event, "timestamp": _iso(now)}
        case "twilio":
            [cloud_event] = published.twilio_event_stream()
            return [{**cloud_event, "type": event, "id": delivery_id, "time": _iso(now)}]
        case "gitlab":
            return published.gitlab_merge_request()
        case "discord" if event.startswith("interaction"):
            return {**published.discord_command(), "id": delivery_id}
        case "discord":
            document = published.discord_webhook_event()
            stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
            return {**document, "event": {**document["event"], "type": event, "timestamp": stamp}}
        case _:
            return {**published.internal_event(), "kind": event, "id": delivery_id}
