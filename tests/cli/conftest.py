"""A moto server and a receiver on free ports; the CLI runs in-process against them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from cli_stack_helpers import CliStack

from handler.processors.effects import EffectStore, use_store
from infra.processes import EMULATOR_CREDENTIALS, free_port, start_moto, start_receiver, stop
from infra.resources import create_resources
from support import DEMO_SOURCES

# The receiver still holds the old secret; the sender already signs with the new one.
ROTATING = """
[sources.rotating]
scheme = "github"
secrets = ["old-rotating-secret"]
"""


@pytest.fixture(scope="session")
def cli_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliStack]:
    workdir = tmp_path_factory.mktemp("cli")
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
                "CLAIM_CHECK_BYTES": "20000",
            }
            port = free_port()
            processes.append(start_receiver("127.0.0.1", port, env, stdout=output, stderr=output))
            yield CliStack(aws_url, f"http://127.0.0.1:{port}", resources, env, workdir)
        finally:
            stop(processes)


@pytest.fixture(autouse=True)
def effects(cli_stack: CliStack) -> Iterator[EffectStore]:
    """The example processors write their effects to the stack's bucket."""
    store = EffectStore(cli_stack.client("s3"), cli_stack.resources.bucket)
    use_store(store)
    yield store
    use_store(None)
