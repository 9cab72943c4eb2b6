"""Gitea: a push; the delivery id travels in X-Gitea-Delivery, the event in X-Gitea-Event."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from webhook_sim.published import FORM, JSON, NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso

ENCODINGS: tuple[Encoding, ...] = ("json", "payload")  # the webhook's "POST Content Type"
DEFAULT_EVENT = "push"
TIMESTAMPED = False


def gitea_push(at_iso: str) -> Any:
    """https://docs.gitea.com/usage/webhooks (the push payload example)."""
    user = {
        "id": 1,
        "login": "gitea",
        "full_name": "Zoë Ångström",
        "email": "gitea@fake.local",
        "avatar_url": "https://gitea.example.com/avatars/1",
        "username": "gitea",
    }
    return {
        "secret": "",
        "ref": "refs/heads/develop",
        "before": "28e1879d029cb852e4844d9c718537df08844e03",
        "after": "bffeb74224043ba2feb48d137756c8a9331c449a",
        "compare_url": "http://localhost:3000/gitea/webhooks/compare/28e1879d...bffeb742",
        "commits": [
            {
                "id": "bffeb74224043ba2feb48d137756c8a9331c449a",
                "message": f"Webhooks Yay! — {NON_ASCII}\n",
                "url": "http://localhost:3000/gitea/webhooks/commit/bffeb742",
                "author": {"name": "Gitea", "email": "someone@gitea.io", "username": "gitea"},
                "committer": {"name": "Gitea", "email": "someone@gitea.io", "username": "gitea"},
                "timestamp": at_iso,
            }
        ],
        "repository": {
            "id": 140,
            "owner": user,
            "name": "webhooks",
            "full_name": "gitea/webhooks",
            "description": "",
            "private": False,
            "fork": False,
            "html_url": "http://localhost:3000/gitea/webhooks",
            "ssh_url": "ssh://gitea@localhost:2222/gitea/webhooks.git",
            "clone_url": "http://localhost:3000/gitea/webhooks.git",
            "website": "",
            "stars_count": 0,
            "forks_count": 1,
            "watchers_count": 1,
            "open_issues_count": 7,
            "default_branch": "master",
            "created_at": "2017-02-26T04:29:06-05:00",
            "updated_at": at_iso,
        },
        "pusher": user,
        "sender": user,
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = json.dumps(gitea_push(iso(now, millis=True)), ensure_ascii=False)
    if encoding == "payload":
        return Sample(urlencode({"payload": document}).encode(), FORM, event)
    return Sample(document.encode(), JSON, event)
