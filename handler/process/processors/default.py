"""The processor for every delivery no other processor claims: record that it arrived."""

from __future__ import annotations

from handler.logs import logger

from .registry import ANY_EVENT, Event, Outcome, processor


@processor(ANY_EVENT, ANY_EVENT)
def log_delivery(event: Event) -> Outcome:
    logger.info(
        "processed",
        extra={"delivery_id": event.id, "source": event.source, "event_type": event.event_type},
    )
    return {"processor": "default", "bytes": len(event.body)}
