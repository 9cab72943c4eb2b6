"""Fixtures shared by every layer: demo sources, AWS in-process (mock_aws), the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from moto import mock_aws
from timing import Timing

from handler import wiring
from handler.aws import AwsClients
from handler.process.worker import Worker
from handler.receive.api import create_app
from handler.receive.ingest import Receiver
from handler.settings import Settings
from infra import DEMO_SOURCES
from infra.processes import EMULATOR_CREDENTIALS
from infra.resources import Resources, create_resources

# `make test` runs the suite on two workers (pytest-xdist, --dist loadgroup). The tests of one
# group run on one worker, one after another: those sharing something fixed (`make run`'s demo
# destination on port 8099, the browser, the Docker engine and its containers) and modules whose
# module-scoped fixture is costly (set up once, not once per worker). Every other test goes to
# whichever worker is free; they use free ports and temporary directories.
XDIST_GROUPS = {
    "e2e/test_local_stack.py": "make-run",  # `make run`: port 8099, its printed curl
    "e2e/test_destinations_e2e.py": "make-run",
    "console/test_browser.py": "make-run",  # + chromium, tests/artifacts/
    "e2e/test_sam_local.py": "docker",  # Docker, the stand-in image, `sam build`, SAM's containers
    "reliability/test_quick_run.py": "reliability-quick",  # one `make reliability --quick`
    "infra/test_template_snapstart.py": "sam-transform",  # one SAM transform of the template
}
TESTS = Path(__file__).resolve().parent
TIMING = Timing()


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = XDIST_GROUPS.get(item.path.relative_to(TESTS).as_posix())
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    TIMING.add(report)  # on xdist's controller: every worker's reports


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not hasattr(terminalreporter.config, "workerinput"):  # once, by the controller
        for line in TIMING.summary():
            terminalreporter.write_line(line)


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
