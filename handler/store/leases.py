"""The one rule that ties the worker's processing lease to the work queue.

A worker that dies (crash, SIGKILL, Lambda timeout or OOM) leaves its processing lease on the
deliveries it held. Their messages come back after the queue's visibility timeout; each copy that
finds the lease still live fails ("busy") and uses up one receive, and after `maxReceiveCount`
receives SQS moves the message to the DLQ, though nothing is wrong with it. So:

    lease >= worker timeout
        a processor still running must not lose its lease, or a second worker runs it too;
    lease + worker timeout + margin <= visibility timeout x (maxReceiveCount - 1)
        the last receive SQS allows comes after the lease has certainly ended. The lease starts
        when the worker reaches the record, up to a worker timeout after the message was
        received; the margin covers whole-second lease stamps and clocks.

The worker also sends a busy message back with the lease's remaining time as its visibility
(worker.py), so it normally needs one receive, not many; the rule holds even when that call fails.
Checked by Settings (lease vs timeout), by the worker at start against the queue's own attributes,
by `make run` and the reliability stack before they start anything, and for template.yaml by
tests/infra.
"""

from __future__ import annotations

import json
from typing import Any

from handler.errors import ConfigError

MARGIN_SECONDS = 2


class LeaseRuleError(ConfigError):
    """Settings under which a crashed worker's deliveries would be dead-lettered."""


def lease_too_short(lease_seconds: int, worker_timeout_seconds: int | None) -> str | None:
    if worker_timeout_seconds is not None and lease_seconds < worker_timeout_seconds:
        return (
            f"PROCESSING_LEASE_SECONDS ({lease_seconds}) is shorter than the worker timeout"
            f" ({worker_timeout_seconds} s): a processor still running would lose its lease and"
            " a second worker could run the same delivery at the same time"
        )
    return None


def lease_problem(
    lease_seconds: int,
    visibility_timeout: int,
    max_receive_count: int | None,
    worker_timeout_seconds: int | None = None,
) -> str | None:
    """Why these settings break the rule, or None. No redrive policy (`max_receive_count` None)
    means messages are never dead-lettered, so only the timeout half applies."""
    too_short = lease_too_short(lease_seconds, worker_timeout_seconds)
    if too_short or max_receive_count is None:
        return too_short
    last_receive = visibility_timeout * (max_receive_count - 1)
    lease_end = lease_seconds + (worker_timeout_seconds or 0) + MARGIN_SECONDS
    if lease_end > last_receive:
        timeout = f" + worker timeout {worker_timeout_seconds}" if worker_timeout_seconds else ""
        return (
            f"PROCESSING_LEASE_SECONDS ({lease_seconds}{timeout} + {MARGIN_SECONDS} s margin ="
            f" {lease_end} s) does not end before the work queue's last receive (visibility"
            f" timeout {visibility_timeout} s x (maxReceiveCount {max_receive_count} - 1) ="
            f" {last_receive} s): a crashed worker's deliveries would reach the DLQ. Shorten"
            " the lease, or raise the visibility timeout or maxReceiveCount"
        )
    return None


def check_lease(
    lease_seconds: int,
    visibility_timeout: int,
    max_receive_count: int | None,
    worker_timeout_seconds: int | None = None,
) -> None:
    problem = lease_problem(
        lease_seconds, visibility_timeout, max_receive_count, worker_timeout_seconds
    )
    if problem:
        raise LeaseRuleError(problem)


def queue_timing(sqs: Any, queue_url: str) -> tuple[int, int | None]:
    """(visibility timeout, maxReceiveCount or None) as the queue itself says."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
    )["Attributes"]
    policy = attributes.get("RedrivePolicy")
    max_receive = int(json.loads(policy)["maxReceiveCount"]) if policy else None
    return int(attributes["VisibilityTimeout"]), max_receive
