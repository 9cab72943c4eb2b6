"""Sample bodies shaped like each sender's published examples, in each encoding it documents.

    sample("github", "pull_request", delivery_id="...", now=...)           # JSON
    sample("github", "pull_request", ..., encoding="payload")              # payload=<JSON> form
    sample("slack", "slash_command", ..., encoding="form")                 # a slash command

The documents follow the senders' own examples (field names, nesting, sizes), with non-ASCII text
in the places people type it, and carry the delivery id and event type where each sender puts
them, so the receiver derives the same id and type as for the real thing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

Encoding = Literal["json", "form", "payload"]
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

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
    "slack": "app_mention",
    "shopify": "orders/create",
    "standard": "invoice.paid",
    "twilio": "message.received",
    "gitlab": "Push Hook",
    "discord": "APPLICATION_AUTHORIZED",
    "hmac-sha256": "demo.created",
}

# Typed by people, so it is where senders carry non-ASCII text.
TEXT = "Ünïcödé ✓ — 日本語のテキスト, emoji 🚀"


@dataclass(frozen=True)
class Sample:
    body: bytes
    content_type: str
    event_type: str  # as the receiver will classify it


def default_event(scheme: str) -> str:
    return DEFAULT_EVENTS.get(scheme, "demo.created")


def sample(
    scheme: str,
    event_type: str | None = None,
    *,
    delivery_id: str,
    now: float,
    encoding: Encoding | None = None,
) -> Sample:
    """A body for `scheme`'s sender; ValueError for an encoding that sender never uses."""
    encodings = ENCODINGS.get(scheme, ("json",))
    chosen = encoding or encodings[0]
    if chosen not in encodings:
        raise ValueError(f"{scheme} senders do not post {chosen} bodies (they post {encodings})")
    event = event_type or default_event(scheme)
    match scheme, chosen:
        case "slack", "form":
            return Sample(_form(slack_slash_command(now)), FORM, "slash_command")
        case "slack", "payload":
            document = slack_interaction(now)
            return Sample(_form({"payload": _json(document)}), FORM, document["type"])
        case "twilio", "form":
            fields = twilio_message(delivery_id)
            return Sample(_form(fields), FORM, "message.received")
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


def _sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


def _document(scheme: str, event: str, delivery_id: str, now: float) -> dict[str, Any]:
    match scheme:
        case "github":
            if event == "pull_request":
                return github_pull_request(delivery_id, now)
            return github_push(delivery_id, now) if event == "push" else github_ping()
        case "stripe":
            return stripe_event(event, delivery_id, now)
        case "slack":
            return slack_event(event, delivery_id, now)
        case "shopify":
            return shopify_order(delivery_id, now)
        case "standard":
            return {"type": event, "timestamp": _iso(now), "data": stripe_invoice(delivery_id)}
        case "twilio":
            return twilio_event_stream(event, delivery_id, now)
        case "gitlab":
            return gitlab_push(delivery_id)
        case "discord":
            return discord_event(event, now)
        case _:
            return {"event": event, "id": delivery_id, "created_at": _iso(now), "note": TEXT}


# ------------------------------------------------------------------------------------ GitHub

GITHUB_REPOSITORY: dict[str, Any] = {
    "id": 1296269,
    "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
    "name": "Hello-World",
    "full_name": "octocat/Hello-World",
    "private": False,
    "owner": {"login": "octocat", "id": 1, "type": "User", "site_admin": False},
    "html_url": "https://github.com/octocat/Hello-World",
    "description": "This your first repo! — première",
    "fork": False,
    "default_branch": "main",
    "topics": ["octocat", "atom", "electron", "api"],
    "visibility": "public",
}
GITHUB_SENDER = {"login": "octocat", "id": 1, "type": "User", "site_admin": False}


def github_ping() -> dict[str, Any]:
    return {
        "zen": "Design for failure.",
        "hook_id": 109948940,
        "hook": {"type": "Repository", "id": 109948940, "events": ["*"], "active": True},
        "repository": GITHUB_REPOSITORY,
        "sender": GITHUB_SENDER,
    }


def github_pull_request(delivery_id: str, now: float) -> dict[str, Any]:
    stamp = _iso(now)
    branch = {"label": "octocat:new-topic", "ref": "new-topic", "sha": _sha(delivery_id)}
    return {
        "action": "opened",
        "number": 1347,
        "pull_request": {
            "url": "https://api.github.com/repos/octocat/Hello-World/pulls/1347",
            "id": 1,
            "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
            "html_url": "https://github.com/octocat/Hello-World/pull/1347",
            "number": 1347,
            "state": "open",
            "locked": False,
            "title": f"Amazing new feature: {TEXT}",
            "user": GITHUB_SENDER,
            "body": "Please pull these awesome changes in!\r\n\r\n- naïve café\r\n- 🚀",
            "labels": [{"id": 208045946, "name": "bug", "color": "f29513", "default": True}],
            "created_at": stamp,
            "updated_at": stamp,
            "merged": False,
            "draft": False,
            "head": {**branch, "repo": GITHUB_REPOSITORY},
            "base": {"label": "octocat:main", "ref": "main", "sha": _sha("base"), "repo": None},
            "commits": 3,
            "additions": 100,
            "deletions": 3,
            "changed_files": 5,
        },
        "repository": GITHUB_REPOSITORY,
        "sender": GITHUB_SENDER,
    }


def github_push(delivery_id: str, now: float) -> dict[str, Any]:
    commit = {
        "id": _sha(delivery_id),
        "message": f"Fix the thing — {TEXT}",
        "timestamp": _iso(now),
        "author": {"name": "Zoë Ångström", "email": "zoe@example.com", "username": "zoe"},
        "added": [],
        "removed": [],
        "modified": ["README.md"],
    }
    return {
        "ref": "refs/heads/main",
        "before": _sha("before"),
        "after": commit["id"],
        "created": False,
        "deleted": False,
        "forced": False,
        "commits": [commit],
        "head_commit": commit,
        "repository": GITHUB_REPOSITORY,
        "pusher": {"name": "octocat", "email": "octocat@github.com"},
        "sender": GITHUB_SENDER,
    }


# ------------------------------------------------------------------------------------ Stripe


def stripe_invoice(delivery_id: str) -> dict[str, Any]:
    suffix = delivery_id.removeprefix("evt_")[-14:]
    line = {
        "id": f"il_{suffix}",
        "object": "line_item",
        "amount": 2000,
        "currency": "eur",
        "description": "1 × Café crème (at €20.00 / month)",  # noqa: RUF001 (as Stripe writes it)
        "period": {"start": 1735689600, "end": 1738368000},
        "quantity": 1,
    }
    return {
        "id": f"in_{suffix}",
        "object": "invoice",
        "account_country": "DE",
        "account_name": "Bäckerei Müller GmbH",
        "amount_due": 2000,
        "amount_paid": 2000,
        "amount_remaining": 0,
        "billing_reason": "subscription_cycle",
        "currency": "eur",
        "customer": "cus_NeZwdNtLEOXuvB",
        "customer_name": "Zoë Ångström",
        "lines": {"object": "list", "data": [line], "has_more": False, "total_count": 1},
        "livemode": False,
        "paid": True,
        "status": "paid",
        "total": 2000,
    }


def stripe_event(event: str, delivery_id: str, now: float) -> dict[str, Any]:
    return {
        "id": delivery_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(now),
        "data": {"object": stripe_invoice(delivery_id)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event,
    }


# ------------------------------------------------------------------------------------- Slack


def slack_event(event: str, delivery_id: str, now: float) -> dict[str, Any]:
    return {
        "token": "XXYYZZ",
        "team_id": "T123ABC456",
        "api_app_id": "A123ABC456",
        "event": {
            "type": event,
            "user": "U123ABC456",
            "text": f"<@U0LAN0Z89> {TEXT}",
            "ts": f"{now:.6f}",
            "channel": "C123ABC456",
            "event_ts": f"{now:.6f}",
        },
        "type": "event_callback",
        "authorizations": [{"team_id": "T123ABC456", "user_id": "U123ABC456", "is_bot": True}],
        "event_id": delivery_id,
        "event_time": int(now),
    }


def slack_slash_command(now: float) -> dict[str, str]:
    return {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": "T0001",
        "team_domain": "example",
        "enterprise_id": "E0001",
        "channel_id": "C2147483705",
        "channel_name": "test",
        "user_id": "U2147483697",
        "user_name": "Steve",
        "command": "/weather",
        "text": f"94070 {TEXT} {int(now)}",
        "api_app_id": "A123456",
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }


def slack_interaction(now: float) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "U123ABC456", "username": "zoë", "team_id": "T123ABC456"},
        "api_app_id": "A123ABC456",
        "token": "9s8d9as89d8as9d8as989",
        "container": {"type": "message", "message_ts": f"{now:.6f}", "channel_id": "C1"},
        "trigger_id": "12466734323.1395872398",
        "team": {"id": "T123ABC456", "domain": "example"},
        "channel": {"id": "C123ABC456", "name": "general"},
        "response_url": "https://hooks.slack.com/actions/T123/456/abc",
        "actions": [
            {
                "action_id": "approve",
                "block_id": "approval",
                "text": {"type": "plain_text", "text": f"Approve ✓ {TEXT}", "emoji": True},
                "value": "click_me_123",
                "type": "button",
                "action_ts": f"{now:.6f}",
            }
        ],
    }


# ----------------------------------------------------------------------------------- Shopify


def shopify_order(delivery_id: str, now: float) -> dict[str, Any]:
    number = int(hashlib.sha256(delivery_id.encode()).hexdigest()[:12], 16)
    item = {
        "id": 866550311766439020,
        "title": "Crème brûlée torch",
        "quantity": 1,
        "price": "199.00",
        "sku": "IPOD2008BLACK",
        "vendor": "Bäckerei Müller",
    }
    return {
        "id": number,
        "admin_graphql_api_id": f"gid://shopify/Order/{number}",
        "email": "zoë@example.com",
        "created_at": _iso(now),
        "currency": "EUR",
        "financial_status": "paid",
        "name": "#9999",
        "note": TEXT,
        "total_price": "199.00",
        "customer": {"id": 115310627314723954, "first_name": "Zoë", "last_name": "Ångström"},
        "line_items": [item],
        "shipping_address": {"city": "Düsseldorf", "country": "Germany", "zip": "40213"},
    }


# ------------------------------------------------------------------------------------ Twilio


def twilio_message(delivery_id: str) -> dict[str, str]:
    sid = "SM" + hashlib.md5(delivery_id.encode()).hexdigest()
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "SAN FRANCISCO",
        "FromZip": "94105",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "SAN FRANCISCO",
        "Body": f"Hello {TEXT}",
        "FromCountry": "US",
        "To": "+15005550006",
        "ToZip": "94105",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": "+14155552671",
        "ApiVersion": "2010-04-01",
    }


def twilio_event_stream(event: str, delivery_id: str, now: float) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "type": event,
        "source": "/2010-04-01/Accounts/AC0/Messages/SM0.json",
        "id": delivery_id,
        "dataschema": "https://events-schemas.twilio.com/Messaging.MessageStatus/1",
        "datacontenttype": "application/json",
        "time": _iso(now),
        "data": {"messageStatus": "DELIVERED", "to": "+15017122661", "body": TEXT},
    }


# ------------------------------------------------------------------------------------ GitLab


def gitlab_push(delivery_id: str) -> dict[str, Any]:
    return {
        "object_kind": "push",
        "event_name": "push",
        "before": _sha("before"),
        "after": _sha(delivery_id),
        "ref": "refs/heads/main",
        "checkout_sha": _sha(delivery_id),
        "user_id": 4,
        "user_name": "Zoë Ångström",
        "user_username": "zoe",
        "project_id": 15,
        "project": {
            "id": 15,
            "name": "Diaspora",
            "path_with_namespace": "mike/diaspora",
            "default_branch": "main",
            "web_url": "http://example.com/mike/diaspora",
        },
        "commits": [
            {
                "id": _sha(delivery_id),
                "message": f"Update Catalan translation — {TEXT}",
                "author": {"name": "Jordi Mallach", "email": "jordi@softcatala.org"},
                "added": ["CHANGELOG"],
                "modified": ["app/controller/application.rb"],
                "removed": [],
            }
        ],
        "total_commits_count": 1,
    }


# ----------------------------------------------------------------------------------- Discord


def discord_event(event: str, now: float) -> dict[str, Any]:
    return {
        "version": 1,
        "application_id": "1234560123453231555",
        "type": 1,
        "event": {
            "type": event,
            "timestamp": _iso(now),
            "data": {
                "integration_type": 0,
                "scopes": ["applications.commands"],
                "user": {"id": "111111111111111111", "username": "zoë", "global_name": TEXT},
            },
        },
    }
