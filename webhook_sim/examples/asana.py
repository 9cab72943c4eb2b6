"""Asana: a task change event as in developers.asana.com/docs/webhooks-guide (events carry no id:
the body's hash is the delivery's), and the empty heartbeat."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "task.changed"


def task_changed(now: float) -> Any:
    return {
        "events": [
            {
                "user": {"gid": "1234567890", "resource_type": "user", "name": "Zoë Ångström"},
                "created_at": iso(now, millis=True),
                "action": "changed",
                "resource": {
                    "gid": "1200000000000001",
                    "resource_type": "task",
                    "resource_subtype": "default_task",
                    "name": f"Réviser le devis {NON_ASCII}",
                },
                "parent": None,
                "change": {"field": "assignee", "action": "changed"},
            }
        ]
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    if event == "heartbeat":
        return json_sample({"events": []}, "heartbeat")
    return json_sample(task_changed(now), "task.changed")
