"""What operators read: CloudWatch EMF metrics (Powertools' format) and a delivery's log keys.

Each call below prints one EMF line to stdout, where Lambda's log pipeline turns it into
CloudWatch metrics (namespace `WebhookReceiver`, dimensions `service` + `source`, and `reason` or
`stage` where named). One line per event, not Powertools' shared `Metrics` set: that set is one
per process and would mix concurrent requests under uvicorn, and would only be flushed at the end
of a Lambda invocation, never under uvicorn.

    receiver  Accepted | Duplicate (+ AckLatency ms), Rejected{reason}, HandoffFailed{stage},
              Quarantined, QuarantineSkipped{reason}
    worker    Processed (+ ProcessingTime ms), ProcessingFailed, Replayed, ArchiveFound (a
              redelivery found its archive written), ArchiveRecreated (written for a reason
              other than the normal path; 0 in a clean run)
    both      ColdStart (init on the invocation's path), Restore (first after a SnapStart restore)
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from handler.store.queue import REPLAY_ATTRIBUTE

from . import snapstart
from .logs import SERVICE, logger

NAMESPACE = "WebhookReceiver"
# The SQS message attribute the CLI sets on a replayed delivery: the worker counts it.

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def emit(
    counts: dict[str, float],
    *,
    milliseconds: dict[str, float] | None = None,
    **dimensions: str,
) -> None:
    """One EMF line holding `counts` (Count) and `milliseconds` (Milliseconds) with `dimensions`.

    The very line Powertools' EphemeralMetrics prints (tests/unit/test_emf.py holds them
    together), written directly: building and validating a Powertools metric set per line cost
    ~100 µs per delivery, a third of a warm invocation. Never raises: a metric must not turn a
    delivery into an error.
    """
    try:
        labels = {name: str(value) for name, value in dimensions.items()}
        labels["service"] = SERVICE
        units = [("Count", counts), ("Milliseconds", milliseconds or {})]
        document: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [list(labels)],
                        "Metrics": [
                            {"Name": name, "Unit": unit}
                            for unit, values in units
                            for name in values
                        ],
                    }
                ],
            },
            **labels,
        }
        for _, values in units:
            for name, value in values.items():
                document[name] = [float(value)]
        # One write per line: print() writes the newline separately, and the worker's forwarding
        # threads (destinations/batch.py) would interleave two lines into unreadable EMF.
        sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    except Exception:
        logger.exception("could not emit metrics", extra={"metrics": sorted(counts)})


# The receiver ---------------------------------------------------------------------------------


def delivery_acked(source: str, *, duplicate: bool, started: float) -> float:
    """`started` is `time.perf_counter()` when the request reached the route; returns the ack
    latency in ms (the archive keeps it too)."""
    latency = (time.perf_counter() - started) * 1000
    name = "Duplicate" if duplicate else "Accepted"
    emit({name: 1}, milliseconds={"AckLatency": latency}, source=source)
    return latency


def delivery_rejected(source: str, reason: str) -> None:
    """A refusal by reason: bad_signature, stale_timestamp, unknown_source, body_too_large..."""
    emit({"Rejected": 1}, source=source, reason=reason)


def handoff_failed(source: str, stage: str) -> None:
    """The 503 path. `stage` says where ("handoff" from the route; finer stages if ingest
    ever reports them), a small fixed set: never a value taken from the request."""
    emit({"HandoffFailed": 1}, source=source, stage=stage)


def quarantined(source: str) -> None:
    emit({"Quarantined": 1}, source=source)


def quarantine_skipped(source: str, reason: str) -> None:
    emit({"QuarantineSkipped": 1}, source=source, reason=reason)


# The worker -----------------------------------------------------------------------------------


@contextmanager
def processing(source: str, *, replayed: bool = False) -> Iterator[None]:
    """Around one record: Processed + ProcessingTime, or ProcessingFailed; Replayed if it was."""
    started = time.perf_counter()
    extra = {"Replayed": 1.0} if replayed else {}
    try:
        yield
    except Exception:
        emit({"ProcessingFailed": 1, **extra}, source=source)
        raise
    elapsed = (time.perf_counter() - started) * 1000
    emit({"Processed": 1, **extra}, milliseconds={"ProcessingTime": elapsed}, source=source)


def is_replay(message_attributes: dict[str, Any] | None) -> bool:
    """Whether an SQS record (Lambda's event shape) was sent by `webhooks replay`."""
    return bool(message_attributes) and REPLAY_ATTRIBUTE in (message_attributes or {})


# Log keys -------------------------------------------------------------------------------------


@contextmanager
def delivery_log_keys(**keys: str | None) -> Iterator[None]:
    """Put `delivery_id`, `source`... on every log line inside the block (this thread/task only).

    Powertools' thread-safe keys live in a ContextVar, so concurrent requests under uvicorn (each
    its own task, each boto3 call a thread carrying a copy of the context) never mix keys. The
    previous keys come back on exit: a Lambda environment runs invocations one after another.
    """
    previous = dict(logger.thread_safe_get_current_keys())
    logger.thread_safe_append_keys(**{k: v for k, v in keys.items() if v is not None})
    try:
        yield
    finally:
        logger.thread_safe_clear_keys()
        if previous:
            logger.thread_safe_append_keys(**previous)


def add_delivery_log_keys(**keys: str | None) -> None:
    """Within a `delivery_log_keys` block: add a key learned later (the id, after verification)."""
    logger.thread_safe_append_keys(**{k: v for k, v in keys.items() if v is not None})


class EnvironmentStart:
    """Whether the next invocation is the first of this environment, and how it started."""

    def __init__(self) -> None:
        self.fresh = True

    def metric(self) -> str | None:
        """`ColdStart` for the first invocation after an init on its path, `Restore` for the
        first after a SnapStart restore, else None (provisioned environments are initialised
        ahead: no invocation waited for them)."""
        if snapstart.restores.take_restored():
            self.fresh = False
            return "Restore"
        fresh, self.fresh = self.fresh, False
        if fresh and os.environ.get(snapstart.INITIALIZATION_TYPE) != "provisioned-concurrency":
            return "ColdStart"
        return None


environment_start = EnvironmentStart()


def lambda_entry(handler: HandlerT) -> HandlerT:
    """Wrap a Lambda handler: the Lambda context on every log line, and the ColdStart metric.

    The keys are Powertools' `inject_lambda_context` keys (function_name, function_memory_size,
    function_arn, function_request_id, cold_start), set here directly: its decorator rebuilt
    the formatter on every invocation (~30 µs, a tenth of a warm delivery).
    `cold_start` is true, and ColdStart counted, only when the invocation waited for init;
    the first invocation after a SnapStart restore has `cold_start: false`, `restored: true`
    and counts `Restore` instead. Both metrics carry Powertools' ColdStart dimensions
    (function_name, service). Per-delivery keys are thread-safe keys, cleared per delivery
    (delivery_log_keys); `restored` is removed on the next invocation.
    """
    restored_key = False

    @functools.wraps(handler)
    def entry(event: Any, context: Any) -> Any:
        nonlocal restored_key
        started = environment_start.metric()
        function_name = getattr(context, "function_name", "unknown")
        logger.append_keys(
            cold_start=started == "ColdStart",
            function_name=function_name,
            function_memory_size=getattr(context, "memory_limit_in_mb", None),
            function_arn=getattr(context, "invoked_function_arn", None),
            function_request_id=getattr(context, "aws_request_id", None),
        )
        if restored_key:
            logger.remove_keys(["restored"])
            restored_key = False
        if started is not None:
            if started == "Restore":
                logger.append_keys(restored=True)
                restored_key = True
            emit({started: 1}, function_name=function_name)
        return handler(event, context)

    wrapped: HandlerT = entry  # type: ignore[assignment]
    return wrapped
