"""The deliveries the cost case sends: GitHub `push` events of ~700 bytes, signed as GitHub
signs them with the demo source's secret (infra/demo-sources.toml), each with its own id."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

DEMO_GITHUB_SECRET = "demo-github-secret"  # infra/demo-sources.toml's public demo value
BASE_URL = "https://hooks.example.com"


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    body: bytes
    headers: dict[str, str]


def push_body(delivery_id: str) -> bytes:
    """A GitHub `push` shaped like GitHub's published example, trimmed to ~700 bytes."""
    commit = delivery_id.replace("-", "")[:40].ljust(40, "0")
    document = {
        "ref": "refs/heads/main",
        "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": commit,
        "created": False,
        "deleted": False,
        "repository": {
            "id": 186853002,
            "name": "octo-repo",
            "full_name": "octo-org/octo-repo",
            "private": False,
            "default_branch": "main",
        },
        "pusher": {"name": "octocat", "email": "octocat@github.com"},
        "sender": {"login": "octocat", "id": 583231, "type": "User"},
        "head_commit": {
            "id": commit,
            "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433",
            "message": "Update README.md",
            "timestamp": "2026-12-07T23:00:00Z",
            "author": {"name": "Mona Octocat", "email": "octocat@github.com"},
            "added": [],
            "removed": [],
            "modified": ["README.md"],
        },
    }
    return json.dumps(document).encode()


def signed_push(delivery_id: str | None = None) -> Delivery:
    from webhook_sim.senders import configured_source, sign

    delivery_id = delivery_id or str(uuid.uuid4())
    source = configured_source("github", {"scheme": "github", "secrets": [DEMO_GITHUB_SECRET]})
    body = push_body(delivery_id)
    signed = sign(source, body, base_url=BASE_URL, event_type="push", sender_id=delivery_id)
    return Delivery(delivery_id, body, dict(signed.headers))
