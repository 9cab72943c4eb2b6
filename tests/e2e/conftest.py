"""A real stack for end-to-end tests: a moto server and uvicorn processes on free ports."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from e2e_stack import Stack

from infra.processes import (
    EMULATOR_CREDENTIALS,
    free_port,
    start_moto,
    start_receiver,
    start_worker,
    stop,
)
from infra.resources import create_resources
from support import DEMO_SOURCES

# Two secrets, as during a rotation: the new one from the environment, the old one literal.
ROTATING = """
[sources.rotating]
scheme = "github"
secrets = ["env:E2E_NEW_SECRET", "old-rotating-secret"]
"""


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("e2e")
    sources = workdir / "sources.toml"
    shutil.copy(DEMO_SOURCES, sources)
    with sources.open("a") as handle:
        handle.write(ROTATING)
    log = workdir / "processes.log"
    processes: list[subprocess.Popen[bytes]] = []
    with log.open("ab") as output:
        try:
            aws_port = free_port()
            aws_url = f"http://127.0.0.1:{aws_port}"
            processes.append(start_moto("127.0.0.1", aws_port, stdout=output, stderr=output))
            env = {**EMULATOR_CREDENTIALS, "AWS_ENDPOINT_URL": aws_url}
            with pytest.MonkeyPatch.context() as patch:
                for name, value in env.items():
                    patch.setenv(name, value)
                resources = create_resources(endpoint_url=aws_url, visibility_timeout=2)
            env |= resources.environment() | {
                "WEBHOOK_SOURCES_FILE": str(sources),
                "E2E_NEW_SECRET": "new-rotating-secret",
                "CLAIM_CHECK_BYTES": "100000",
                "MAX_BODY_BYTES": "2000000",
            }
            port = free_port()
            processes.append(start_receiver("127.0.0.1", port, env, stdout=output, stderr=output))
            yield Stack(aws_url, f"http://127.0.0.1:{port}", resources, env, log)
        finally:
            stop(processes)


@pytest.fixture
def worker_process(stack: Stack) -> Iterator[subprocess.Popen[bytes]]:
    with stack.log.open("ab") as output:
        process = start_worker(stack.env, stdout=output, stderr=output)
        try:
            yield process
        finally:
            stop([process])
