"""Fixtures shared by every layer: demo sources, AWS in-process (mock_aws), the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from handler import wiring
from handler.aws import AwsClients
from handler.process.worker import Worker
from handler.receive.api import create_app
from handler.receive.ingest import Receiver
from handler.settings import Settings
from infra import DEMO_SOURCES
from infra.processes import EMULATOR_CREDENTIALS
from infra.resources import Resources, create_resources


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, and no endpoint or sources leaking in from the developer's shell."""
    for name, value in EMULATOR_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "WEBHOOK_SOURCES", "WEBHOOK_SOURCES_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def resources(aws_env: None) -> Iterator[Resources]:
    with mock_aws():
        yield create_resources()


@pytest.fixture
def settings(resources: Resources) -> Settings:
    return Settings(
        webhook_sources_file=str(DEMO_SOURCES),
        archive_bucket=resources.bucket,
        work_queue_url=resources.queue_url,
        idempotency_table=resources.table,
        claim_check_bytes=64_000,
        max_body_bytes=2_000_000,
    )


@pytest.fixture
def clients(settings: Settings) -> AwsClients:
    return AwsClients.create(settings)


@pytest.fixture
def receiver(settings: Settings, clients: AwsClients) -> Receiver:
    return wiring.receiver(settings, clients, wiring.sources(settings))


@pytest.fixture
def client(receiver: Receiver) -> Iterator[TestClient]:
    with TestClient(create_app(receiver), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def worker(settings: Settings, clients: AwsClients) -> Worker:
    return Worker(wiring.dedup_table(settings, clients), wiring.archive(settings, clients))
