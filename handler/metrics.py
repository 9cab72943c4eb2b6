"""What operators read: CloudWatch EMF metrics (Powertools) and the log keys of one delivery.

Each call below prints one EMF line to stdout, where Lambda's log pipeline turns it into
CloudWatch metrics (namespace `WebhookReceiver`, dimensions `service` + `source`, and `reason` or
`stage` where named). An `EphemeralMetrics` per line: the shared `Metrics` set is one per process
and would mix concurrent requests under uvicorn, and would only be flushed at the end of a Lambda
invocation, never under uvicorn. One line costs ~30 µs; importing Powertools Metrics costs
~1.5 ms on top of the receiver's 380 ms of imports, so it is imported at module level.

    receiver  Accepted | Duplicate (+ AckLatency ms), Rejected{reason}, HandoffFailed{stage},
              Quarantined, QuarantineSkipped{reason}
    worker    Processed (+ ProcessingTime ms), ProcessingFailed, Replayed
    both      ColdStart (init on the invocation's path), Restore (first after a SnapStart restore)
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from aws_lambda_powertools.logging import logger as powertools_logger
from aws_lambda_powertools.metrics import EphemeralMetrics, Metrics, MetricUnit
from aws_lambda_powertools.metrics.provider import cold_start as powertools_cold_start

from . import snapstart
from .logs import SERVICE, logger

NAMESPACE = "WebhookReceiver"
# The SQS message attribute the CLI sets on a replayed delivery: the worker counts it.
REPLAY_ATTRIBUTE = "replayed_by"

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def emit(
    counts: dict[str, float],
    *,
    milliseconds: dict[str, float] | None = None,
    **dimensions: str,
) -> None:
    """One EMF line holding `counts` (Count) and `milliseconds` (Milliseconds) with `dimensions`.

    Never raises: a metric must not turn a delivery into an error.
    """
    try:
        emf = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        for dimension, label in dimensions.items():
            emf.add_dimension(name=dimension, value=label)
        for name, value in counts.items():
            emf.add_metric(name=name, unit=MetricUnit.Count, value=value)
        for name, value in (milliseconds or {}).items():
            emf.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)
        emf.flush_metrics()
    except Exception:
        logger.exception("could not emit metrics", extra={"metrics": sorted(counts)})


# The receiver ---------------------------------------------------------------------------------


def delivery_acked(source: str, *, duplicate: bool, started: float) -> None:
    """`started` is `time.perf_counter()` when the request reached the route."""
    latency = (time.perf_counter() - started) * 1000
    name = "Duplicate" if duplicate else "Accepted"
    emit({name: 1}, milliseconds={"AckLatency": latency}, source=source)


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


_cold_start_metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def not_a_cold_start() -> None:
    """After a SnapStart restore: the next invocation did not wait for init, it waited for a
    restore. Powertools would call it a cold start (its flags were set at init, in the
    snapshot); `lambda_entry` logs `restored` and counts `Restore` instead."""
    powertools_logger.is_cold_start = False
    powertools_cold_start.is_cold_start = False


snapstart.after_restore(not_a_cold_start)


def lambda_entry(handler: HandlerT) -> HandlerT:
    """Wrap a Lambda handler: Lambda context + `cold_start` on every log line, ColdStart metric.

    Both by Powertools: `inject_lambda_context` and `log_metrics(capture_cold_start_metric=True)`.
    `cold_start` is true, and ColdStart counted, only when the invocation waited for init;
    the first invocation after a SnapStart restore has `cold_start: false`, `restored: true`
    and counts `Restore` (with the same function_name dimension) instead.
    Application metrics go out as they happen (above), so the shared set is flushed empty on
    purpose: its "no application metrics" warning is silenced.
    """
    with_metrics = _cold_start_metrics.log_metrics(handler, capture_cold_start_metric=True)

    @functools.wraps(handler)
    def quiet(event: Any, context: Any) -> Any:
        if snapstart.restores.take_restored():
            logger.append_keys(restored=True)  # until the next invocation clears the keys
            emit({"Restore": 1}, function_name=getattr(context, "function_name", "unknown"))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No application metrics to publish")
            return with_metrics(event, context)

    wrapped: HandlerT = logger.inject_lambda_context(quiet, clear_state=True)  # type: ignore[assignment]
    return wrapped
