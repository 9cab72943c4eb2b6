"""Vercel: deployment.succeeded; the delivery id is the body's `id`."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "deployment.succeeded"
TIMESTAMPED = False


def vercel_deployment(event_id: str, event: str, at_ms: int) -> Any:
    """https://vercel.com/docs/webhooks/webhooks-api (deployment.succeeded)."""
    return {
        "id": event_id,
        "type": event,
        "createdAt": at_ms,
        "region": "iad1",
        "payload": {
            "team": {"id": "team_fo6M3Gn1UwSxzzR8v2GX2iem"},
            "user": {"id": "vKFzIn0oTn9u4GX0NgXb7FpA"},
            "deployment": {
                "id": "dpl_2RP5sTw6AMaHJwN94Yw3hRoqqTPp",
                "meta": {"githubCommitMessage": f"Fix typo — {NON_ASCII}"},
                "url": "my-app-7xkcoqj3t.vercel.app",
                "name": "my-app",
                "inspectorUrl": "https://vercel.com/acme/my-app/2RP5sTw6AMaHJwN94Yw3hRoqqTPp",
            },
            "links": {
                "deployment": "https://vercel.com/acme/my-app/2RP5sTw6AMaHJwN94Yw3hRoqqTPp",
                "project": "https://vercel.com/acme/my-app",
            },
            "name": "my-app",
            "plan": "pro",
            "project": {"id": "prj_ndlgr43fadlPyCtREAqxxdyFK"},
            "regions": ["iad1"],
            "target": "production",
            "type": "LAMBDAS",
            "url": "my-app-7xkcoqj3t.vercel.app",
        },
    }


def new_id() -> str:
    return "uev_" + secrets.token_urlsafe(18)


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = vercel_deployment(delivery_id, event, int(now * 1000))
    return json_sample(document, event)
