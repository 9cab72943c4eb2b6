"""Example: GitHub `pull_request` keeps the latest known state of each pull request.

GitHub sends one delivery per change (opened, synchronize, closed...), may deliver them out of
order, and an operator may redeliver or replay any of them. The effect is one document per pull
request, written only when the event is newer (`updated_at`) than what is stored: applying the
same event twice, or an old one after a new one, changes nothing. A webhook set to GitHub's
`application/x-www-form-urlencoded` content type sends the same JSON in a `payload` form field:
`event.payload()` reads both.
"""

from __future__ import annotations

from typing import Any

from .registry import Event, Outcome, processor


@processor("github", "pull_request")
def track_pull_request(event: Event) -> Outcome:
    document = event.payload()
    pull: Any = document.get("pull_request") if isinstance(document, dict) else None
    repository: Any = document.get("repository") if isinstance(document, dict) else None
    if not isinstance(pull, dict) or not isinstance(repository, dict):
        return {"processor": "github.pull_request", "ignored": "no pull request in the event"}
    name = f"{repository.get('full_name')}/{pull.get('number')}".replace("/", "-")
    updated_at = str(pull.get("updated_at") or "")
    store = event.effects
    key = store.key("github", "pulls", name)
    existing = store.get(key)
    if existing is not None and str(existing.get("updated_at") or "") >= updated_at:
        return {"processor": "github.pull_request", "pull": name, "changed": False}
    store.put(
        key,
        {
            "repository": repository.get("full_name"),
            "number": pull.get("number"),
            "action": document.get("action"),
            "state": pull.get("state"),
            "merged": bool(pull.get("merged")),
            "head": (pull.get("head") or {}).get("sha"),
            "updated_at": updated_at,
            "event_id": event.id,
        },
    )
    return {"processor": "github.pull_request", "pull": name, "changed": True}
