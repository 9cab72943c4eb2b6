"""What every operation shares: the receiver's settings, AWS clients and wired parts, and the
`Outcome` of acting on one delivery.

The CLI reads the same settings as the receiver (ARCHIVE_BUCKET, WORK_QUEUE_URL,
IDEMPOTENCY_TABLE, AWS_ENDPOINT_URL, WEBHOOK_SOURCES_FILE...), so it talks to the resources the
receiver and the worker use, on AWS or on the local stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from handler import wiring
from handler.aws import AwsClients
from handler.receive.ingest import Receiver
from handler.receive.quarantine import Quarantine
from handler.receive.sources import Source
from handler.settings import Settings
from handler.store.archive import Archive
from handler.store.dedup import DedupTable
from infra import DEMO_SOURCES

from .errors import UsageError


def cli_settings() -> Settings:
    """The receiver's settings from the environment; sources default to the demo file, as
    `make run` does. A new object per command: tests change the environment between them."""
    settings = Settings()
    if not settings.webhook_sources_file and not settings.webhook_sources and DEMO_SOURCES.exists():
        settings = settings.model_copy(update={"webhook_sources_file": str(DEMO_SOURCES)})
    return settings


@dataclass
class Outcome:
    """One delivery's fate in a replay, redrive or release."""

    id: str
    source: str
    result: str  # replayed, would_replay, skipped, rejected, failed, released, duplicate...
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "source": self.source, "result": self.result, "detail": self.detail}


@dataclass
class Context:
    """The receiver's parts, built by its composition root on first use."""

    settings: Settings = field(default_factory=cli_settings)

    @cached_property
    def clients(self) -> AwsClients:
        return AwsClients.create(self.settings)

    @cached_property
    def sources(self) -> dict[str, Source]:
        return wiring.sources(self.settings)

    @cached_property
    def archive(self) -> Archive:
        return wiring.archive(self.settings, self.clients)

    @cached_property
    def dedup(self) -> DedupTable:
        return wiring.dedup_table(self.settings, self.clients)

    @cached_property
    def quarantine(self) -> Quarantine:
        return Quarantine.from_archive(self.archive)

    @cached_property
    def queue_url(self) -> str:
        return wiring.work_queue(self.settings, self.clients).url

    @cached_property
    def receiver(self) -> Receiver:
        return wiring.receiver(self.settings, self.clients, self.sources)

    def source(self, name: str) -> Source:
        source = self.sources.get(name)
        if source is None:
            known = ", ".join(sorted(self.sources)) or "none"
            raise UsageError(f"no source named {name!r} is configured (configured: {known})")
        return source
