"""The lease rule (handler/store/leases.py): refused where a crashed worker's deliveries would reach
the DLQ, accepted where they come back after the lease."""

from __future__ import annotations

import json

import pytest

from handler.settings import Settings
from handler.store.leases import LeaseRuleError, check_lease, lease_problem


@pytest.mark.parametrize(
    ("lease", "visibility", "max_receive", "timeout"),
    [
        (60, 30, 5, None),  # make run's defaults: the lease ends by the 3rd receive
        (60, 660, 5, 60),  # template.yaml's defaults
        (900, 5700, 2, 900),  # the longest worker timeout, fewest receives
        (3, 8, 1000, None),  # the reliability stack
        (5, 2, 5, None),  # the e2e stacks
        (300, 30, None, None),  # no redrive policy: nothing is ever dead-lettered
    ],
)
def test_settings_that_keep_crashed_deliveries_out_of_the_dlq(
    lease: int, visibility: int, max_receive: int | None, timeout: int | None
) -> None:
    assert lease_problem(lease, visibility, max_receive, timeout) is None
    check_lease(lease, visibility, max_receive, timeout)


@pytest.mark.parametrize(
    ("lease", "visibility", "max_receive", "timeout", "says"),
    [
        # What `make run` shipped with: a 300 s lease, 30 s x 5 receives (issue 11).
        (300, 30, 5, None, "visibility timeout 30 s x (maxReceiveCount 5 - 1) = 120 s"),
        (60, 30, 1, None, "maxReceiveCount 1"),  # the next receive is already the DLQ
        (119, 30, 5, None, "121 s"),  # no margin left for whole-second stamps
        (60, 30, 5, 120, "shorter than the worker timeout"),
        (60, 20, 5, 30, "+ worker timeout 30"),  # a hold taken late in a batch
    ],
)
def test_settings_that_would_dead_letter_a_crashed_workers_deliveries_are_refused(
    lease: int, visibility: int, max_receive: int, timeout: int | None, says: str
) -> None:
    problem = lease_problem(lease, visibility, max_receive, timeout)
    assert problem is not None and says in problem and "PROCESSING_LEASE_SECONDS" in problem
    with pytest.raises(LeaseRuleError, match="PROCESSING_LEASE_SECONDS"):
        check_lease(lease, visibility, max_receive, timeout)


def test_settings_refuse_a_lease_shorter_than_the_worker_timeout() -> None:
    secret = "whsec_must_not_be_echoed"
    sources = {"sources": {"a": {"scheme": "github", "secrets": [secret]}}}
    with pytest.raises(LeaseRuleError, match="shorter than the worker timeout") as refused:
        Settings(
            processing_lease_seconds=30,
            worker_timeout_seconds=60,
            webhook_sources=json.dumps(sources),
        )
    assert secret not in str(refused.value)
    assert Settings(processing_lease_seconds=60, worker_timeout_seconds=60)
    assert Settings().processing_lease_seconds == 60  # the default satisfies make run's queue
