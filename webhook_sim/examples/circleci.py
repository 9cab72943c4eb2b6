"""CircleCI: workflow-completed; the delivery id is the body's `id`."""

from __future__ import annotations

from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "workflow-completed"
TIMESTAMPED = False


def circleci_workflow_completed(event_id: str, event_type: str, at_iso: str) -> Any:
    """https://circleci.com/docs/webhooks-reference/ (workflow-completed, GitHub project)."""
    return {
        "type": event_type,
        "id": event_id,
        "happened_at": at_iso,
        "webhook": {"id": "cf8c4fdd-0587-4da1-b4ca-4846e9640af9", "name": "Sample Webhook"},
        "project": {
            "id": "84996744-a854-4f5e-aea3-04e2851dc1d2",
            "name": "webhook-service",
            "slug": "github/circleci/webhook-service",
        },
        "organization": {"id": "f22b6566-597d-46d5-ba74-99ef5bb3d85c", "name": "circleci"},
        "workflow": {
            "id": "fda08377-fe7e-46b1-8992-3a7aaecac9c3",
            "name": "build-test-deploy",
            "created_at": at_iso,
            "stopped_at": at_iso,
            "url": "https://app.circleci.com/pipelines/github/circleci/webhook-service/130/workflows/fda08377",
            "status": "success",
        },
        "pipeline": {
            "id": "1285fe1d-d3a6-44fc-8886-8979558254c4",
            "number": 130,
            "created_at": at_iso,
            "trigger": {"type": "webhook"},
            "vcs": {
                "provider_name": "github",
                "origin_repository_url": "https://github.com/circleci/webhook-service",
                "target_repository_url": "https://github.com/circleci/webhook-service",
                "revision": "1dc6aa69429bff4806ad6afe58d3d8f57e25973e",
                "commit": {
                    "subject": f"Description of change — {NON_ASCII}",
                    "body": "More details about the change",
                    "author": {"name": "Zoë Ångström", "email": "zoe@example.com"},
                    "authored_at": at_iso,
                    "committer": {"name": "Zoë Ångström", "email": "zoe@example.com"},
                    "committed_at": at_iso,
                },
                "branch": "main",
            },
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = circleci_workflow_completed(delivery_id, event, iso(now, millis=True))
    return json_sample(document, event)
