"""A moto server and a receiver on free ports; the CLI runs in-process against them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

import pytest
from cli_stack_helpers import CliStack

from handler.process.processors.effects import EffectStore
from infra import SENDERS_SAMPLE
from support import running_stack

# The receiver still holds the old secret; the sender already signs with the new one.
ROTATING = """
[sources.rotating]
scheme = "github"
secrets = ["old-rotating-secret"]
"""


@pytest.fixture(scope="session")
def cli_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliStack]:
    env = {"CLAIM_CHECK_BYTES": "20000"}
    extra = ROTATING + "\n" + SENDERS_SAMPLE.read_text()  # and one source per catalogue sender
    with running_stack(tmp_path_factory.mktemp("cli"), extra, env) as running:
        yield CliStack(**{field.name: getattr(running, field.name) for field in fields(running)})


@pytest.fixture
def effects(cli_stack: CliStack) -> EffectStore:
    """Where the example processors write their effects: the stack's bucket (the worker's)."""
    return EffectStore(cli_stack.client("s3"), cli_stack.resources.bucket)
