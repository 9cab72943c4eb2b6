"""The console over in-process AWS (mock_aws): deliveries go in through the receiver app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

import pytest
from console_helpers import BASE, PORT, TOKEN
from fastapi.testclient import TestClient

from handler import wiring
from handler.aws import AwsClients
from handler.receive.ingest import Receiver
from handler.settings import MiB, Settings
from handler.store.queue import Envelope
from webhooks_cli.console import create_console
from webhooks_cli.console.security import Guard
from webhooks_cli.operations import Operations


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The receiver's default body limit (4 MiB): the console must show the largest body."""
    return settings.model_copy(update={"max_body_bytes": 4 * MiB})


@pytest.fixture
def operations(settings: Settings) -> Operations:
    return Operations(settings)


@pytest.fixture
def guard() -> Guard:
    return Guard(token=TOKEN, port=PORT)


@pytest.fixture
def anonymous(operations: Operations, guard: Guard) -> Iterator[TestClient]:
    """A browser that has not opened the one-time URL."""
    with TestClient(create_console(operations, guard), base_url=BASE) as browser:
        yield browser


@pytest.fixture
def browser(anonymous: TestClient) -> TestClient:
    """A browser that opened the one-time URL: it holds the session cookie."""
    answer = anonymous.get(f"/?token={TOKEN}", follow_redirects=False)
    assert answer.status_code == 303
    return anonymous


@pytest.fixture
def receiver(settings: Settings, clients: AwsClients) -> Receiver:
    """The receiver, with the worker's first step (the archive) done at once for each delivery
    it accepts: pages show a delivery the worker has archived but not processed yet."""
    base = wiring.receiver(settings, clients, wiring.sources(settings))
    return ArchivingReceiver(**{f.name: getattr(base, f.name) for f in fields(base)})


@dataclass
class ArchivingReceiver(Receiver):
    def _enqueue(self, envelope: Envelope, body: bytes, *, late: bool = False) -> None:
        super()._enqueue(envelope, body, late=late)
        # As the worker does, from the message: ack_ms is SentTimestamp - received_at.
        elapsed = (self.clock() - envelope.received_at.timestamp()) * 1000
        self.archive.write(envelope, body, ack_ms=max(elapsed, 0.001))
