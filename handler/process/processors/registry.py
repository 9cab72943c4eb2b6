"""What happens to a delivery, chosen by (source, event type).

    from handler.process.processors import Event, processor

    @processor("github", "push")
    def on_push(event: Event) -> dict[str, object]:
        ...  # an idempotent effect; the returned dict is recorded as the outcome

`event.payload()` reads the body as its sender encoded it (JSON, a form, JSON inside a form's
`payload` field); a body it cannot read raises `UnreadablePayload`, which fails the record with
that reason logged.

A processor runs at most once to completion per delivery: the worker records "processed" after it
returns. If it raises, the message is retried, so an effect it made before raising must be
idempotent (keyed by `event.id`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .effects import EffectStore
from .payloads import media_type, read_form, read_json, read_payload

Outcome = dict[str, Any]


@dataclass(frozen=True)
class Event:
    id: str
    source: str
    event_type: str
    received_at: datetime
    headers: dict[str, str]
    body: bytes
    # Where this delivery's processor keeps its effects: given by the worker (the archive
    # bucket, through the worker's own clients), so a processor builds nothing of its own.
    effects: EffectStore = field(repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """A received header, by any capitalisation."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def payload(self) -> Any:
        """The event as its sender encoded it, by content type: a JSON body's document; the JSON
        in a form's only field `payload` (GitHub's form setting, Slack interactivity); else a
        form's fields as a dict (Twilio, Slack slash commands). Raises `UnreadablePayload`
        (which the worker logs and fails the record with) for anything else."""
        return read_payload(self.body, self.header("content-type"))

    def form(self) -> dict[str, str | list[str]]:
        """The body's form fields, whatever the content type says."""
        return read_form(self.body, media_type(self.header("content-type"))[1])

    def json(self) -> Any:
        """The body as JSON, whatever the content type says (`payload()` reads forms too)."""
        return read_json(self.body)


Processor = Callable[[Event], Outcome | None]

ANY_EVENT = "*"
# Filled by @processor as the processor modules are imported; read by the worker.
PROCESSORS: dict[tuple[str, str], Processor] = {}


def processor(
    source: str = ANY_EVENT, event_type: str = ANY_EVENT
) -> Callable[[Processor], Processor]:
    """Register a processor for a source and event type; "*" matches any."""

    def register(function: Processor) -> Processor:
        key = (source, event_type)
        if key in PROCESSORS:
            raise ValueError(f"a processor for {source}/{event_type} is already registered")
        PROCESSORS[key] = function
        return function

    return register


def find_processor(source: str, event_type: str) -> Processor:
    for key in ((source, event_type), (source, ANY_EVENT), (ANY_EVENT, event_type)):
        if key in PROCESSORS:
            return PROCESSORS[key]
    return PROCESSORS[(ANY_EVENT, ANY_EVENT)]
