"""Processors by (source, event type). Add a module here and import it below to register it."""

from . import default
from .registry import Event, Outcome, Processor, find_processor, processor, unregister

__all__ = ["Event", "Outcome", "Processor", "default", "find_processor", "processor", "unregister"]
