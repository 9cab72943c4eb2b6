"""Bounded retries with backoff for work done after the ack.

After the response nobody is waiting to see an error: a failure is retried here, and when the
retries run out the caller ends it in one structured error line and one metric (handler/metrics),
never in silence.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    attempts: int = 3
    first_delay: float = 0.1  # seconds; doubles each attempt, with jitter
    max_delay: float = 2.0

    def delay(self, attempt: int) -> float:
        """Jittered: concurrent retries against one failing dependency spread out, not herd."""
        ceiling = min(self.max_delay, self.first_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.random() * ceiling / 2


DEFAULT_BACKOFF = Backoff()


def retry(
    call: Callable[[], T],
    *,
    backoff: Backoff,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`call()` until it returns, at most `backoff.attempts` times; the last error propagates."""
    attempt = 1
    while True:
        try:
            return call()
        except retry_on:
            if attempt >= backoff.attempts:
                raise
            sleep(backoff.delay(attempt))
            attempt += 1


def describe(error: BaseException) -> str:
    return type(error).__name__


def callable_name(func: Any) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    return str(name or type(func).__name__)
