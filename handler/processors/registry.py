"""What happens to a delivery, chosen by (source, event type).

    from handler.processors import Event, processor

    @processor("github", "push")
    def on_push(event: Event) -> dict[str, object]:
        ...  # an idempotent effect; the returned dict is recorded as the outcome

A processor runs at most once to completion per delivery: the worker records "processed" after it
returns. If it raises, the message is retried, so an effect it made before raising must be
idempotent (keyed by `event.id`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Outcome = dict[str, Any]


@dataclass(frozen=True)
class Event:
    id: str
    source: str
    event_type: str
    received_at: datetime
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Processor = Callable[[Event], Outcome | None]

ANY_EVENT = "*"
_processors: dict[tuple[str, str], Processor] = {}


def processor(
    source: str = ANY_EVENT, event_type: str = ANY_EVENT
) -> Callable[[Processor], Processor]:
    """Register a processor for a source and event type; "*" matches any."""

    def register(function: Processor) -> Processor:
        key = (source, event_type)
        if key in _processors:
            raise ValueError(f"a processor for {source}/{event_type} is already registered")
        _processors[key] = function
        return function

    return register


def find_processor(source: str, event_type: str) -> Processor:
    for key in ((source, event_type), (source, ANY_EVENT), (ANY_EVENT, event_type)):
        if key in _processors:
            return _processors[key]
    return _processors[(ANY_EVENT, ANY_EVENT)]


def unregister(source: str, event_type: str) -> None:
    """For tests that register a processor of their own."""
    _processors.pop((source, event_type), None)
