"""ClickUp: taskCreated (no delivery id: the body's hash stands in)."""

from __future__ import annotations

from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "taskCreated"
TIMESTAMPED = False


def clickup_task_created(webhook_id: str, task_id: str) -> Any:
    """https://developer.clickup.com/docs/webhooktaskpayloads (taskCreated)."""
    return {
        "event": "taskCreated",
        "history_items": [
            {
                "id": "2800763136717140857",
                "type": 1,
                "date": "1642734631523",
                "field": "status",
                "parent_id": "162641062",
                "data": {"status_type": "open"},
                "source": None,
                "user": {
                    "id": 183,
                    "username": "Zoë Ångström",
                    "email": "zoe@example.com",
                    "color": "#7b68ee",
                },
                "before": {"status": None, "color": "#000000", "type": "removed"},
                "after": {"status": "to do", "color": "#f9d900", "type": "open"},
            }
        ],
        "task_id": task_id,
        "webhook_id": webhook_id,
        "task_name": f"Write the launch note — {NON_ASCII}",
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = clickup_task_created("7689a169-a000-4985-8676-6902b96d6627", delivery_id[:9])
    document["event"] = event
    document["history_items"][0]["date"] = str(int(now * 1000))
    return json_sample(document, event)
