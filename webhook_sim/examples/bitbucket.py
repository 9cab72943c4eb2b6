"""Bitbucket Cloud: repo:push as in support.atlassian.com/bitbucket-cloud/docs/event-payloads/
(X-Request-UUID the id, X-Event-Key the type)."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "repo:push"


def push(now: float) -> Any:
    actor = {
        "display_name": "Zoë Ångström",
        "uuid": "{d301aafa-d676-4ee0-88be-962be7417567}",
        "type": "user",
        "account_id": "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
    }
    return {
        "actor": actor,
        "repository": {
            "type": "repository",
            "full_name": "acme/ünïcödé-repo",
            "name": "ünïcödé-repo",
            "uuid": "{b5d5c3b9-87bd-4bcd-8c4b-0ae5c5a5ab1a}",
            "is_private": True,
            "workspace": {"slug": "acme", "name": "Acme", "type": "workspace"},
        },
        "push": {
            "changes": [
                {
                    "new": {
                        "type": "branch",
                        "name": "main",
                        "target": {
                            "type": "commit",
                            "hash": "709d658dc5b6d6afcd46049c2f332ee3f515a67d",
                            "message": f"Corrige l'encodage {NON_ASCII}\n",
                            "date": iso(now),
                            "author": {"raw": "Zoë Ångström <zoe@example.com>", "user": actor},
                        },
                    },
                    "old": {"type": "branch", "name": "main"},
                    "created": False,
                    "forced": False,
                    "closed": False,
                    "commits": [{"hash": "709d658dc5b6d6afcd46049c2f332ee3f515a67d"}],
                    "truncated": False,
                }
            ]
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(push(now), event)
