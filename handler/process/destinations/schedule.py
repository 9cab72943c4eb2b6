"""What to do after an attempt: done, retry at a time, or give up (and why). Pure functions.

2xx                      delivered
410                      gone: the destination is disabled, the delivery dead-lettered
429, 5xx, 408, timeout   retry by the schedule (429/503: not before Retry-After)
connection errors        retry
other 3xx/4xx            fail fast: dead-lettered (a redirect is never followed)
a refused URL (SSRF)     retry: DNS may answer differently later; the horizon bounds it
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from .config import RetrySchedule
from .forward import Response

# SQS delays a message by at most 15 minutes: a longer wait is a chain of wake-ups.
MAX_DELAY_SECONDS = 900


class Verdict(Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAIL = "fail"  # permanent: dead-letter now
    GONE = "gone"  # 410: dead-letter now and disable the destination


RETRY_STATUSES = frozenset({408, 425, 429})


def judge(response: Response) -> Verdict:
    if 200 <= response.status < 300:
        return Verdict.DELIVERED
    if response.status == 410:
        return Verdict.GONE
    if response.status == 0 or response.status >= 500 or response.status in RETRY_STATUSES:
        return Verdict.RETRY
    return Verdict.FAIL


def backoff_seconds(
    schedule: RetrySchedule, attempts: int, rand: random.Random | None = None
) -> float:
    """The wait after the `attempts`-th failure: exponential up to the ceiling, jittered down by
    at most a fifth so that a destination's backlog does not come back in one wave."""
    ceiling = min(
        schedule.max_interval_seconds,
        schedule.initial_seconds * schedule.multiplier ** max(0, attempts - 1),
    )
    jitter = (rand or random).random() * 0.2
    return max(1.0, ceiling * (1 - jitter))


@dataclass(frozen=True)
class Next:
    verdict: Verdict
    at: float | None = None  # for RETRY: not before this time
    reason: str = ""


def after_attempt(
    schedule: RetrySchedule,
    response: Response,
    *,
    attempts: int,
    first_attempt_at: float,
    now: float,
    rand: random.Random | None = None,
) -> Next:
    """The next step after the `attempts`-th attempt (1 = the first) ended in `response`."""
    verdict = judge(response)
    if verdict is Verdict.DELIVERED:
        return Next(verdict)
    reason = describe(response)
    if verdict is not Verdict.RETRY:
        return Next(verdict, reason=reason)
    wait = backoff_seconds(schedule, attempts, rand)
    if response.retry_after is not None:
        wait = max(wait, response.retry_after)
    at = now + wait
    if at > first_attempt_at + schedule.horizon_seconds:
        return Next(
            Verdict.FAIL, reason=f"retry horizon passed after {attempts} attempts: {reason}"
        )
    return Next(Verdict.RETRY, at=at, reason=reason)


def describe(response: Response) -> str:
    return response.error or f"HTTP {response.status}"


def sqs_delay(at: float, now: float) -> int:
    """DelaySeconds for a wake-up due at `at`: rounded up, at most SQS's 15 minutes."""
    return max(0, min(MAX_DELAY_SECONDS, int(at - now + 0.999)))
