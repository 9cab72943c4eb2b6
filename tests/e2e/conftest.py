"""A real stack for end-to-end tests: a moto server and uvicorn processes on free ports."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from infra import SENDERS_SAMPLE
from infra.processes import start_worker, stop
from support import RunningStack, running_stack

# Two secrets, as during a rotation: the new one from the environment, the old one literal.
ROTATING = """
[sources.rotating]
scheme = "github"
secrets = ["env:E2E_NEW_SECRET", "old-rotating-secret"]
"""


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    env = {
        "E2E_NEW_SECRET": "new-rotating-secret",
        "CLAIM_CHECK_BYTES": "100000",
        "MAX_BODY_BYTES": "2000000",
    }
    # The demo sources, a rotating one, and one source per catalogue sender.
    extra = ROTATING + "\n" + SENDERS_SAMPLE.read_text()
    with running_stack(tmp_path_factory.mktemp("e2e"), extra, env) as running:
        yield running


@pytest.fixture
def worker_process(stack: RunningStack) -> Iterator[subprocess.Popen[bytes]]:
    with stack.log.open("ab") as output:
        process = start_worker(stack.env, stdout=output, stderr=output)
        try:
            yield process
        finally:
            stop([process])
