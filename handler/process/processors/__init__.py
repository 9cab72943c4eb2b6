"""Processors by (source, event type). Add a module here and import it below to register it.

`github` (pull_request) and `stripe` (invoice.paid) are worked examples of idempotent effects.
"""

from . import default, github, stripe
from .payloads import UnreadablePayload
from .registry import PROCESSORS, Event, Outcome, Processor, find_processor, processor

__all__ = [
    "PROCESSORS",
    "Event",
    "Outcome",
    "Processor",
    "UnreadablePayload",
    "default",
    "find_processor",
    "github",
    "processor",
    "stripe",
]
