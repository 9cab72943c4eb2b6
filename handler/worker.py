"""The SQS worker: load the body, make sure it is archived, process it once, report failures.

Lambda calls `lambda_handler` with a batch; records that fail are returned in
`batchItemFailures` so only they are retried (and, after the queue's maxReceiveCount, moved to
the DLQ). The local worker loop (infra/local_worker.py) calls this same function.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from . import metrics, wiring
from .aws import AWS_ERRORS, error_code
from .dedup import DedupTable, Hold, dedup_key
from .destinations import WAKE_UP_PREFIX
from .logs import logger
from .processors import Event, Outcome, find_processor
from .queue import Envelope
from .retries import DEFAULT_BACKOFF, Backoff, retry
from .settings import get_settings
from .storage import Archive, meta_key

if TYPE_CHECKING:
    from .destinations.forwarder import Forwarder


class DeliveryBusy(Exception):
    """Another worker holds a live lease on this delivery: retry the message later."""


class BodyMismatch(Exception):
    """The body read back is not the body that was acknowledged."""


@dataclass(frozen=True)
class Worker:
    dedup: DedupTable
    archive: Archive
    clock: Callable[[], float] = time.time
    backoff: Backoff = DEFAULT_BACKOFF
    sleep: Callable[[float], None] = time.sleep
    forwarder: Forwarder | None = None  # set when a source has destinations

    def handle(self, envelope: Envelope) -> Outcome | None:
        log = {"delivery_id": envelope.id, "source": envelope.source}
        body = self.load_body(envelope)
        self.ensure_archived(envelope, body)
        if self.forwarder is not None:
            # Independent of the processor: each destination's record makes a repeat a no-op.
            self.forwarder.forward_delivery(envelope, body)
        key = dedup_key(envelope.source, envelope.id)
        hold, token = self.dedup.hold_for_processing(key, self.clock())
        if hold is Hold.DONE:
            logger.info("already processed; no second effect", extra=log)
            return None
        if hold is Hold.BUSY:
            raise DeliveryBusy(f"delivery {envelope.id} is being processed by another worker")
        event = Event(
            id=envelope.id,
            source=envelope.source,
            event_type=envelope.event_type,
            received_at=envelope.received_at,
            headers=envelope.headers,
            body=body,
        )
        try:
            outcome = find_processor(envelope.source, envelope.event_type)(event) or {}
        except Exception as error:
            self.dedup.release_processing(key, token, f"{type(error).__name__}: {error}")
            raise
        # The effect has happened: if recording it fails, a redelivery would run it again. The
        # write is conditional on our own token, so retrying it is safe.
        try:
            recorded = retry(
                lambda: self.dedup.mark_processed(key, token, outcome, self.clock()),
                backoff=self.backoff,
                retry_on=AWS_ERRORS,
                sleep=self.sleep,
            )
        except AWS_ERRORS as error:
            # Still a success for SQS: failing the record would redeliver it and repeat the
            # effect. The record stays "processing" (its lease ends; a later copy may run again,
            # which is why processors key their effects by delivery id).
            logger.error(
                "outcome not recorded; the message is not retried",
                extra={**log, "aws_error": error_code(error)},
            )
            metrics.emit({"OutcomeNotRecorded": 1}, source=envelope.source)
            return outcome
        if not recorded:
            logger.warning("processing lease was lost before the outcome was recorded", extra=log)
        return outcome

    def load_body(self, envelope: Envelope) -> bytes:
        inline = envelope.inline_body()
        body = inline if inline is not None else self.archive.get(str(envelope.body_key))
        if hashlib.sha256(body).hexdigest() != envelope.body_sha256:
            raise BodyMismatch(f"delivery {envelope.id}: the body does not match its sha256")
        return body

    def ensure_archived(self, envelope: Envelope, body: bytes) -> None:
        """The receiver archives after its response; if that was lost, archive it here."""
        if self.archive.exists(meta_key(envelope.source, envelope.id, envelope.received_at)):
            return
        logger.info("re-creating the archive", extra={"delivery_id": envelope.id})
        # A claim-check body was just read from its archive key: only the meta is missing.
        self.archive.record(envelope, body, body_written=envelope.body_key is not None)

    def handle_record(self, record: SQSRecord) -> Outcome | None:
        if record.body.startswith(WAKE_UP_PREFIX):
            self.wake_up(record.body)
            return None
        envelope = Envelope.model_validate_json(record.body)
        replayed = metrics.is_replay(record.message_attributes)
        with (
            metrics.delivery_log_keys(delivery_id=envelope.id, source=envelope.source),
            metrics.processing(envelope.source, replayed=replayed),
        ):
            return self.handle(envelope)

    def wake_up(self, body: str) -> None:
        """A destination's retry is due (handler/destinations/forwarder.py)."""
        if self.forwarder is None:
            logger.warning("forwarding wake-up but no destinations are configured; dropped")
            return
        self.forwarder.wake_up(body)


# Every record is reported on its own, so a batch where all fail is still a partial response.
_batch = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)


@cache
def default_worker() -> Worker:
    settings, clients = get_settings(), wiring.default_clients()
    worker = Worker(wiring.dedup_table(settings, clients), wiring.archive(settings, clients))
    forwarder = wiring.forwarder(settings, clients, worker.load_body)
    return worker if forwarder is None else replace(worker, forwarder=forwarder)


def handle_batch(worker: Worker, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return dict(process_partial_response(event, worker.handle_record, _batch, context))


@metrics.lambda_entry
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_batch(default_worker(), event, context)
