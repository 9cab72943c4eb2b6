"""The console over in-process AWS (mock_aws): deliveries go in through the receiver app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_helpers import BASE, PORT, TOKEN
from fastapi.testclient import TestClient

from handler.settings import MiB, Settings
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
