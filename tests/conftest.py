"""Fixtures shared by every layer: demo sources, AWS in-process (mock_aws), the app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

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

# xdist's workers start with COLUMNS=80 and LINES=24 in their environment, which a plain run does
# not have: Rich would fix the CLI's console at 80 columns when it is made, and tests/cli widens
# the terminal through COLUMNS for each print. Before anything imports the CLI.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)

# `make test` runs the suite on two workers (pytest-xdist, --dist loadgroup). The tests of one
# group run on one worker, one after another, in file order: those sharing something fixed
# (`make run`'s demo destination on port 8099, the browser, the Docker engine and its containers),
# those sharing a session-scoped stack whose state they read in order (tests/cli, tests/e2e's
# `stack`), and modules whose module-scoped fixture is costly (set up once, not once per worker).
# Every other test goes to whichever worker is free; they use free ports and temporary dirs.
XDIST_GROUPS = {
    # `make run` (port 8099, its printed curl), and the quick reliability run: each starts a stack
    # of processes and holds it to deadlines (a hard time limit, a lease + 30 s), so they do not
    # run side by side on a 2-core machine.
    "e2e/test_local_stack.py": "timed-stacks",
    "e2e/test_destinations_e2e.py": "timed-stacks",
    "console/test_browser.py": "timed-stacks",  # + chromium, tests/artifacts/
    "reliability/test_quick_run.py": "timed-stacks",  # one `make reliability --quick`
    "e2e/test_sam_local.py": "docker",  # Docker, the stand-in image, `sam build`, SAM's containers
    "e2e/test_http.py": "e2e-stack",  # the session's moto server + uvicorn (tests/e2e/conftest.py)
    "cli/": "cli-stack",  # the session's stack the CLI runs against (tests/cli/conftest.py)
    "infra/test_template_snapstart.py": "sam-transform",  # one SAM transform of the template
}
TIMING = Timing()


def xdist_group(nodeid: str) -> str | None:
    """The group of a test, from its path (tests/e2e/test_http.py::... -> "e2e-stack")."""
    path = nodeid.split("::", 1)[0].removeprefix("tests/")
    return next((g for prefix, g in XDIST_GROUPS.items() if path.startswith(prefix)), None)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's loadgroup, reading the groups above. (xdist 3.8 marks a group by appending
    "@group" to each test's id, which pytest 9.2's structured ids ignore: pytest-xdist#1386.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class PathGroups(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            group = xdist_group(nodeid)
            return f"group:{group}" if group else str(super()._split_scope(nodeid))

    return PathGroups(config, log)


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
