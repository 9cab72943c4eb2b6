"""Replicate: the prediction a webhook reports (its `status` is the event); the delivery id
travels in webhook-id."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "succeeded"
TIMESTAMPED = True


def replicate_prediction(status: str, at_iso: str) -> Any:
    """https://replicate.com/docs/topics/webhooks (the prediction object, as the webhook posts it;
    its `status` says which stage the webhook reports)."""
    return {
        "id": "ufawqhfynnddngldkgtslldrkq",
        "model": "replicate/hello-world",
        "version": "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
        "input": {"text": f"Alice {NON_ASCII}"},
        "logs": "",
        "output": f"hello Alice {NON_ASCII}" if status == "succeeded" else None,
        "data_removed": False,
        "error": None,
        "status": status,
        "created_at": at_iso,
        "started_at": at_iso,
        "completed_at": at_iso if status == "succeeded" else None,
        "urls": {
            "cancel": "https://api.replicate.com/v1/predictions/ufawqhfynnddngldkgtslldrkq/cancel",
            "get": "https://api.replicate.com/v1/predictions/ufawqhfynnddngldkgtslldrkq",
        },
        "metrics": {"predict_time": 0.012},
    }


def new_id() -> str:
    return "msg_" + secrets.token_urlsafe(20)


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = replicate_prediction(event, iso(now, millis=True))
    return json_sample(document, event)
