"""pytest fixtures for processor authors, registered by the project's `pytest11` entry point.

    def test_invoice_paid_has_one_effect(webhooks):
        sent = webhooks.send("stripe", "invoice.paid")
        ...

Override `webhook_sources` (a TOML file) or `webhook_settings` (receiver settings by field name)
in a conftest.py or a test module to change what the kit runs; `webhook_kit_factory` builds a
second kit with other settings inside one test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from infra import DEMO_SOURCES

# The kit (FastAPI, moto, the receiver) is imported when a fixture is first used, not when pytest
# loads this plugin: a suite that never asks for it pays nothing, and coverage sees the imports.
if TYPE_CHECKING:
    from .kit import WebhookKit

KitFactory = Callable[..., "WebhookKit"]


@pytest.fixture
def webhook_sources() -> Path:
    """The sources file the kit's receiver serves: the demo sources unless overridden."""
    return DEMO_SOURCES


@pytest.fixture
def webhook_settings() -> Mapping[str, Any]:
    """Receiver settings for the kit, by field name (e.g. {"ack_policy": "instant"})."""
    return {}


@pytest.fixture
def webhook_kit_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[KitFactory]:
    """Builds kits on in-process AWS: `factory(sources=..., **settings)`."""
    from infra.processes import EMULATOR_CREDENTIALS

    from .kit import UNSET, webhook_kit

    for name, value in EMULATOR_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    with ExitStack() as stack:

        def factory(sources: Path | str = DEMO_SOURCES, **settings: Any) -> WebhookKit:
            return stack.enter_context(webhook_kit(sources, settings))

        yield factory


class Processors:
    """Processors registered for one test (pytest's monkeypatch undoes them): a test's own
    processor may stand in for an example's, and nothing outlives the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def __call__(self, source: str = "*", event_type: str = "*") -> Callable[[Any], Any]:
        from handler.process.processors import PROCESSORS

        def register(function: Any) -> Any:
            self.monkeypatch.setitem(PROCESSORS, (source, event_type), function)
            return function

        return register

    def remove(self, source: str = "*", event_type: str = "*") -> None:
        from handler.process.processors import PROCESSORS

        self.monkeypatch.delitem(PROCESSORS, (source, event_type), raising=False)


@pytest.fixture
def processors(monkeypatch: pytest.MonkeyPatch) -> Processors:
    """`@processors("stripe", "invoice.paid")` registers a processor for this test only."""
    return Processors(monkeypatch)


@pytest.fixture
def webhooks(
    webhook_kit_factory: KitFactory, webhook_sources: Path, webhook_settings: Mapping[str, Any]
) -> WebhookKit:
    """A receiver and worker on fresh in-process AWS resources, for one test."""
    return webhook_kit_factory(webhook_sources, **webhook_settings)
