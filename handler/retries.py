"""Bounded retries with backoff for work done after the ack, and the metric when they run out.

After the response nobody is waiting to see an error: a failure must be retried here, then end in
one structured error line and one CloudWatch metric (EMF on stdout), never in silence.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .logs import logger

T = TypeVar("T")

METRICS_NAMESPACE = "WebhookReceiver"


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


def count_failure(metric: str, **dimensions: str) -> None:
    """One EMF metric line. Imported here, on the failure path only, so cold start never pays."""
    try:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        with single_metric(
            name=metric, unit=MetricUnit.Count, value=1, namespace=METRICS_NAMESPACE
        ) as emf:
            for name, value in dimensions.items():
                emf.add_dimension(name=name, value=value)
    except Exception:  # the metric must never hide the error being reported
        logger.exception("could not emit metric", extra={"metric": metric})


def describe(error: BaseException) -> str:
    return type(error).__name__


def callable_name(func: Any) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    return str(name or type(func).__name__)
