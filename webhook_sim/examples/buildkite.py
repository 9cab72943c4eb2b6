"""Buildkite: build.finished (no delivery id: the body's hash stands in)."""

from __future__ import annotations

from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "build.finished"
TIMESTAMPED = True


def buildkite_build(event: str) -> Any:
    """https://buildkite.com/docs/apis/webhooks/pipelines/build-events (build.finished)."""
    return {
        "event": event,
        "build": {
            "id": "f62a1b4d-10f9-4790-bc1c-e2c3a0c80983",
            "graphql_id": "QnVpbGQtLS1mYmQ2Zjk3OS0yOTRhLTQ3ZjItOTU0Ni1lNTk0M2VlMTAwNzE=",
            "url": "https://api.buildkite.com/v2/organizations/acme-inc/pipelines/my-pipeline/builds/1",
            "web_url": "https://buildkite.com/acme-inc/my-pipeline/builds/1",
            "number": 1,
            "state": "passed",
            "blocked": False,
            "message": f"Bumping to version 0.2-beta.6 — {NON_ASCII}",
            "commit": "abcd0b72a1e580e90712cdd9eb26d3fb41cd09c8",
            "branch": "main",
            "source": "webhook",
            "creator": {"id": "3d3c3bf0-7d58-4afe-8fe7-b3017d5504de", "name": "Zoë Ångström"},
            "created_at": "2026-12-07T23:00:00.000Z",
            "started_at": "2026-12-07T23:00:05.000Z",
            "finished_at": "2026-12-07T23:01:05.000Z",
            "meta_data": {},
        },
        "pipeline": {
            "id": "849411f9-9e6d-4739-a0d8-e247088e9b52",
            "slug": "my-pipeline",
            "name": "My Pipeline",
            "repository": "git@github.com:acme-inc/my-pipeline.git",
        },
        "sender": {"id": "8a7693f8-dbae-4783-9137-84090fce9045", "name": "Some Person"},
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = buildkite_build(event)
    document["build"]["id"] = delivery_id
    document["build"]["finished_at"] = iso(now, millis=True)
    return json_sample(document, event)
