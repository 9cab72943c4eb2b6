"""Mux: video.asset.ready; the delivery id is the body's `id`."""

from __future__ import annotations

from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "video.asset.ready"
TIMESTAMPED = True


def mux_event(event_id: str, event: str, at_iso: str) -> Any:
    """https://docs.mux.com/core/listen-for-webhooks (video.asset.ready)."""
    return {
        "type": event,
        "object": {"type": "asset", "id": "0201p02fGKPE7MrbC269XRD7LpcHhrmbu0002"},
        "id": event_id,
        "environment": {"name": "Production", "id": "uc6fo1"},
        "data": {
            "tracks": [
                {"type": "video", "max_width": 1280, "max_height": 544, "max_frame_rate": 23.976},
                {"type": "audio", "max_channels": 2, "max_channel_layout": "stereo"},
            ],
            "status": "ready",
            "passthrough": f"Zoë's upload — {NON_ASCII}",
            "playback_ids": [{"policy": "public", "id": "YueVs1u5k00YZ01qY8b3w7WsLcw"}],
            "mp4_support": "none",
            "max_stored_resolution": "HD",
            "master_access": "none",
            "id": "0201p02fGKPE7MrbC269XRD7LpcHhrmbu0002",
            "duration": 23.857167,
            "created_at": 1607876845,
            "aspect_ratio": "40:17",
        },
        "created_at": at_iso,
        "attempts": [],
        "accessor_source": None,
        "accessor": None,
        "request_id": None,
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = mux_event(delivery_id, event, iso(now, millis=True))
    return json_sample(document, event)
