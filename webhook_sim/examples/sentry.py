"""Sentry: an issue.created webhook as in docs.sentry.io/integrations/integration-platform/
webhooks/issues/ (Sentry-Hook-Resource "issue", action "created")."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "issue.created"


def issue(action: str, now: float) -> Any:
    return {
        "action": action,
        "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},
        "data": {
            "issue": {
                "id": "1170820242",
                "shortId": "SENTRY-API-EXAMPLE-1",
                "title": f"UnicodeDecodeError: 'ascii' codec can't decode — {NON_ASCII}",
                "culprit": "app.views.checkout in post",
                "level": "error",
                "status": "unresolved",
                "platform": "python",
                "project": {"id": "1", "name": "Python", "slug": "python", "platform": "python"},
                "firstSeen": iso(now, millis=True),
                "lastSeen": iso(now, millis=True),
                "count": "1",
                "userCount": 1,
                "web_url": "https://sentry.io/organizations/acme/issues/1170820242/",
            }
        },
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    resource, _, action = event.partition(".")
    return json_sample(issue(action or "created", now), f"{resource}.{action or 'created'}")
