"""retries.py: bounded attempts, jittered exponential delays, only the errors asked for."""

from __future__ import annotations

import pytest

from handler.retries import Backoff, retry


def test_delays_double_within_jitter_up_to_the_ceiling() -> None:
    backoff = Backoff(attempts=6, first_delay=0.1, max_delay=0.5)
    for attempt, ceiling in ((1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (5, 0.5)):
        delays = {backoff.delay(attempt) for _ in range(200)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # jittered, so concurrent retries spread out


def test_retry_returns_once_the_call_succeeds_sleeping_between_attempts() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("refused")
        return "done"

    assert retry(flaky, backoff=Backoff(attempts=3), sleep=slept.append) == "done"
    assert len(calls) == 3 and len(slept) == 2


def test_retry_gives_up_after_its_attempts_with_the_last_error() -> None:
    calls: list[int] = []

    def failing() -> None:
        calls.append(1)
        raise ConnectionError(f"attempt {len(calls)}")

    with pytest.raises(ConnectionError, match="attempt 4"):
        retry(failing, backoff=Backoff(attempts=4), sleep=lambda _: None)
    assert len(calls) == 4


def test_retry_does_not_retry_errors_it_was_not_asked_to() -> None:
    calls: list[int] = []

    def buggy() -> None:
        calls.append(1)
        raise KeyError("a bug, not an outage")

    with pytest.raises(KeyError):
        retry(buggy, backoff=Backoff(), retry_on=(ConnectionError,), sleep=lambda _: None)
    assert calls == [1]
