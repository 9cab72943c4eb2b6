"""The SQS worker: load the body, archive it, process it once, report failures.

The worker is the archive's writer: one conditional PutObject per delivery (If-None-Match: *)
from the message, which holds the envelope and the body (or the key of the claim-check object
the receiver wrote before its ack, already the final archive: then nothing is written). A 412
means a redelivery found it archived: counted (`ArchiveFound`), not an error.

The worker Lambda (handler/worker_main.py) calls `handle_batch` with a batch; records that fail
are returned in `batchItemFailures` so only they are retried (and, after the queue's
maxReceiveCount, moved to the DLQ). The local worker loop (infra/local_worker.py) calls this same
function. The worker is built in one place, wiring.default_worker.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from handler import metrics
from handler.aws import AWS_ERRORS, error_code
from handler.logs import logger
from handler.process.processors.effects import EffectStore
from handler.retries import DEFAULT_BACKOFF, Backoff, retry
from handler.settings import Settings
from handler.store.archive import Archive
from handler.store.dedup import DedupTable, Hold, dedup_key
from handler.store.leases import check_lease, queue_timing
from handler.store.queue import LATE_ATTRIBUTE, Envelope, WorkQueue

from .destinations import WAKE_UP_PREFIX
from .processors import Event, Outcome, find_processor

if TYPE_CHECKING:
    from handler.process.destinations.batch import Prepared
    from handler.process.destinations.forwarder import Forwarder


class DeliveryBusy(Exception):
    """Another worker holds a live lease on this delivery: retry the message when it ends."""

    def __init__(self, message: str, lease_until: int | None = None) -> None:
        super().__init__(message)
        self.lease_until = lease_until


class BodyMismatch(Exception):
    """The body read back is not the body that was acknowledged."""


@dataclass(frozen=True)
class Arrival:
    """What the SQS record says about a message beside its envelope."""

    # SentTimestamp in seconds: when the receiver's message landed (None: not a fresh arrival,
    # such as a release from quarantine, or unknown).
    sent_at: float | None = None
    replayed: bool = False  # sent by `webhooks replay`: read from the archive, never re-written
    # Where the batch's archive object holds it (ARCHIVE_MODE=batch), once written.
    archived: str | None = None

    @classmethod
    def of(cls, record: SQSRecord) -> Arrival:
        sent = (record.raw_event.get("attributes") or {}).get("SentTimestamp")
        late = LATE_ATTRIBUTE in (record.message_attributes or {})
        return cls(
            sent_at=int(sent) / 1000 if sent and not late else None,
            replayed=metrics.is_replay(record.message_attributes),
        )


# A message known by its envelope only (a test, a direct call): no SentTimestamp, not a replay.
UNKNOWN_ARRIVAL = Arrival()


def ack_ms(envelope: Envelope, arrival: Arrival) -> float | None:
    """Verification to the message landing in SQS: under ACK_POLICY=durable the ack follows
    at once, so the console's latency chart reads it as the ack latency (README). Kept in the
    archive's meta, where it costs no write of its own."""
    if arrival.sent_at is None:
        return None
    return max(0.0, (arrival.sent_at - envelope.received_at.timestamp()) * 1000)


@dataclass(frozen=True)
class Worker:
    dedup: DedupTable
    archive: Archive
    clock: Callable[[], float] = time.time
    backoff: Backoff = DEFAULT_BACKOFF
    sleep: Callable[[float], None] = time.sleep
    # The work queue, to send a busy message back for its lease's remaining time (Lambda's SQS
    # event source leaves a failed record's visibility to us). None: it waits out the queue's.
    queue: WorkQueue | None = None
    forwarder: Forwarder | None = None  # set when a source has destinations
    archive_mode: str = "delivery"  # "batch": one archive object per SQS batch (batches.py)

    def handle(
        self,
        envelope: Envelope,
        prepared: Prepared | None = None,
        arrival: Arrival = UNKNOWN_ARRIVAL,
    ) -> Outcome | None:
        """`prepared`: the batch's forwarding step already done for this record (batch.py)."""
        log = {"delivery_id": envelope.id, "source": envelope.source}
        if prepared is not None:
            if prepared.error is not None:
                raise prepared.error
            assert prepared.body is not None
            body = prepared.body
        else:
            body = self.load_and_archive(envelope, arrival)
            if self.forwarder is not None:
                # Independent of the processor: each destination's record makes a repeat a no-op.
                self.forwarder.forward_delivery(envelope, body)
        key = dedup_key(envelope.source, envelope.id)
        hold, token = self.dedup.hold_for_processing(key, self.clock(), arrival.archived)
        if hold is Hold.DONE:
            logger.info("already processed; no second effect", extra=log)
            return None
        if hold is Hold.BUSY:
            try:
                lease_until = self.dedup.lease_until(key)
            except AWS_ERRORS:  # still busy; it then waits out the queue's visibility timeout
                lease_until = None
            until = f" until {lease_until}" if lease_until is not None else ""
            raise DeliveryBusy(f"another worker holds its processing lease{until}", lease_until)
        event = Event(
            id=envelope.id,
            source=envelope.source,
            event_type=envelope.event_type,
            received_at=envelope.received_at,
            headers=envelope.headers,
            body=body,
            effects=EffectStore(self.archive.s3, self.archive.bucket),
        )
        try:
            outcome = find_processor(envelope.source, envelope.event_type)(event) or {}
        except Exception as error:
            self.release(key, token, f"{type(error).__name__}: {error}", log)
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

    def release(self, key: str, token: str, reason: str, log: dict[str, str]) -> None:
        """Give the lease back after the processor failed, retried like the outcome's write
        (conditional on our token, so safe to repeat). Failing, it must not replace the
        processor's error (the record's reason) and the lease runs out on its own; unretried,
        the next copy of the delivery in the same batch found it busy behind this worker's own
        lease (found by the simulator)."""
        try:
            retry(
                lambda: self.dedup.release_processing(key, token, reason),
                backoff=self.backoff,
                retry_on=AWS_ERRORS,
                sleep=self.sleep,
            )
        except AWS_ERRORS as error:
            logger.warning(
                "processing lease not given back; it runs out on its own",
                extra={**log, "aws_error": error_code(error)},
            )

    def load_and_archive(self, envelope: Envelope, arrival: Arrival = UNKNOWN_ARRIVAL) -> bytes:
        body = self.load_body(envelope)
        # A replay was read from the archive; the batch step archived it already.
        if not arrival.replayed and arrival.archived is None:
            self.archive_once(envelope, body, arrival)
        return body

    def load_body(self, envelope: Envelope) -> bytes:
        inline = envelope.inline_body()
        body = inline if inline is not None else self.archive.body(str(envelope.body_key))
        if hashlib.sha256(body).hexdigest() != envelope.body_sha256:
            raise BodyMismatch(f"delivery {envelope.id}: the body does not match its sha256")
        return body

    def archive_once(self, envelope: Envelope, body: bytes, arrival: Arrival) -> None:
        """Archive the delivery, unless its message points at its archive already (the
        claim-check). Never over an existing object: found there, it is counted."""
        reason = None
        if envelope.body_key is not None:
            if not envelope.body_key.endswith(".body"):
                return  # the receiver's claim-check object is the final archive
            # A message sent before the `.delivery` layout: its raw `.body` claim-check has no
            # meta beside it unless the old receiver's after-response work wrote one.
            reason = "claim-check in the layout before .delivery"
        if reason is not None:
            logger.warning(
                "re-creating the archive", extra={"delivery_id": envelope.id, "reason": reason}
            )
            metrics.emit({"ArchiveRecreated": 1}, source=envelope.source)
        if not self.archive.write(envelope, body, ack_ms=ack_ms(envelope, arrival)):
            # A redelivery (a failed attempt, a second message after a re-claim): one line and
            # one count, never a second write.
            logger.info(
                "archive found; not written again",
                extra={"delivery_id": envelope.id, "archive": "found"},
            )
            metrics.emit({"ArchiveFound": 1}, source=envelope.source)

    def archive_batch(
        self, records: list[SQSRecord], arrivals: dict[str, Arrival]
    ) -> dict[str, Prepared]:
        """ARCHIVE_MODE=batch: the batch's deliveries (inline bodies, not replays) in one
        object; each one's place goes into `arrivals` (the hold keeps it on its record). What
        each record came to, by message id: its body, or why it must fail."""
        from handler.process.destinations.batch import Prepared
        from handler.store.batches import BatchArchive

        loaded: dict[str, Prepared] = {}
        items: list[tuple[Envelope, bytes, float | None]] = []
        ids: list[str] = []
        for record in records:
            if record.body.startswith(WAKE_UP_PREFIX):
                continue
            try:
                envelope = Envelope.model_validate_json(record.body)
            except ValidationError:
                continue  # failed on its own by handle_record
            arrival = arrivals[record.message_id]
            if arrival.replayed or envelope.body_key is not None:
                continue  # read from the archive, or the receiver's claim-check object
            try:
                body = self.load_body(envelope)
            except Exception as error:
                loaded[record.message_id] = Prepared(error=error)
                continue
            items.append((envelope, body, ack_ms(envelope, arrival)))
            ids.append(record.message_id)
            loaded[record.message_id] = Prepared(body=body)
        if not items:
            return loaded
        try:
            references = BatchArchive(self.archive).write(items, self.clock())
        except AWS_ERRORS as error:
            logger.warning("batch archive failed", extra={"aws_error": error_code(error)})
            return {**loaded, **{message_id: Prepared(error=error) for message_id in ids}}
        for message_id, reference in zip(ids, references, strict=True):
            arrivals[message_id] = replace(arrivals[message_id], archived=reference)
        return loaded

    def handle_record(
        self,
        record: SQSRecord,
        prepared: Prepared | None = None,
        arrival: Arrival | None = None,
    ) -> Outcome | None:
        if record.body.startswith(WAKE_UP_PREFIX):
            if prepared is None:
                self.wake_up(record.body)
            elif prepared.error is not None:
                raise prepared.error
            return None
        try:
            envelope = Envelope.model_validate_json(record.body)
        except ValidationError as error:
            self.record_failed(record, None, error)
            raise
        arrival = arrival or Arrival.of(record)
        with (
            metrics.delivery_log_keys(delivery_id=envelope.id, source=envelope.source),
            metrics.processing(envelope.source, replayed=arrival.replayed),
        ):
            try:
                return self.handle(envelope, prepared, arrival)
            except DeliveryBusy as busy:
                self.defer(record, busy.lease_until)
                self.record_failed(record, envelope, busy)
                raise
            except Exception as error:
                self.record_failed(record, envelope, error)
                raise

    def wake_up(self, body: str) -> None:
        """A destination's retry is due (handler/process/destinations/forwarder.py)."""
        if self.forwarder is None:
            logger.warning("forwarding wake-up but no destinations are configured; dropped")
            return
        self.forwarder.wake_up(body)

    def record_failed(self, record: SQSRecord, envelope: Envelope | None, error: Exception) -> None:
        """One log line per failed record, and the reason kept on its dedup record.

        Powertools' batch processor keeps the exception to itself: without this line an
        operator looking at a DLQ message has nothing to go on. Never the body or headers."""
        reason = describe(error)
        fields = {
            "delivery_id": envelope.id if envelope else None,
            "source": envelope.source if envelope else None,
            "event_type": envelope.event_type if envelope else None,
            "message_id": record.message_id,
            "receive_count": record.attributes.approximate_receive_count,
            "error_type": type(error).__name__,
            "error": reason,
        }
        busy = isinstance(error, DeliveryBusy)
        (logger.warning if busy else logger.error)("record failed", extra=fields)
        if envelope is None:
            return  # not an envelope: no delivery id to keep the reason under
        try:
            self.dedup.record_error(dedup_key(envelope.source, envelope.id), reason, self.clock())
        except AWS_ERRORS as aws_error:
            logger.warning(
                "could not keep the failure on the dedup record",
                extra={**fields, "aws_error": error_code(aws_error)},
            )

    def defer(self, record: SQSRecord, lease_until: int | None) -> None:
        """Hide a busy message until its lease has ended, so it comes back once, when a worker
        can take it, instead of using up its receives every visibility timeout."""
        if self.queue is None or lease_until is None:
            return
        # The hold succeeds once `lease_until < now` in whole seconds: one second after it, on
        # the clock of the worker that wrote the lease. One more second for the skew between
        # two workers' clocks: back a moment early, the message would be busy again and use up
        # another receive (simulator seed 3015613: dead-lettered after two busy receives).
        wait = lease_until + 1 + CLOCK_SKEW_SECONDS - self.clock()
        seconds = min(MAX_VISIBILITY_SECONDS, max(1, math.ceil(wait)))
        try:
            self.queue.sqs.change_message_visibility(
                QueueUrl=self.queue.url,
                ReceiptHandle=record.receipt_handle,
                VisibilityTimeout=seconds,
            )
        except AWS_ERRORS as error:
            logger.warning(
                "could not defer a busy delivery; it returns after the queue's visibility timeout",
                extra={"message_id": record.message_id, "aws_error": error_code(error)},
            )


# SQS's ceiling for a message's visibility timeout (12 hours).
MAX_VISIBILITY_SECONDS = 43_200
# How far two workers' clocks may disagree when one waits out the other's lease.
CLOCK_SKEW_SECONDS = 1


def describe(error: BaseException) -> str:
    """`Type: message` for logs and the dedup record. A pydantic error leaves out the input it
    quotes (the message body)."""
    if isinstance(error, ValidationError):
        problems = error.errors(include_url=False, include_context=False, include_input=False)
        text = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
            for problem in problems
        )
        text = f"not an envelope: {text}"
    else:
        text = str(error)
    return f"{type(error).__name__}: {text}"[:1000]


def _batch() -> BatchProcessor:
    """A batch processor for one invocation. Every record is reported on its own, so a batch
    where all fail is still a partial response. One per call, not one per process: it keeps the
    batch's successes and failures, and two batches handled at once in one process (Lambda
    Managed Instances run several invocations per environment; the simulator runs workers side
    by side) would otherwise report each other's records (found by the simulator,
    tests/simulation/test_regressions.py)."""
    return BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)


def check_queue_timing(settings: Settings, queue: WorkQueue) -> None:
    """Refuse to start when the processing lease could outlive the queue's receives
    (store/leases.py), with the queue's own attributes, not what a template meant them to be."""
    try:
        visibility, max_receive = queue_timing(queue.sqs, queue.url)
    except AWS_ERRORS as error:  # cannot check: processing still works
        logger.warning(
            "could not read the work queue's attributes to check the processing lease",
            extra={"aws_error": error_code(error)},
        )
        return
    check_lease(
        settings.processing_lease_seconds, visibility, max_receive, settings.worker_timeout_seconds
    )


def handle_batch(worker: Worker, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if worker.forwarder is None and worker.archive_mode != "batch":
        return dict(process_partial_response(event, worker.handle_record, _batch(), context))
    records = [SQSRecord(r) for r in event.get("Records") or []]
    arrivals = {r.message_id: Arrival.of(r) for r in records}
    loaded = worker.archive_batch(records, arrivals) if worker.archive_mode == "batch" else {}
    prepared = loaded
    if worker.forwarder is not None:
        # The batch's forwards first, side by side (destinations/batch.py); then the records in
        # order. A wake-up refers to the body where the batch step archived it.
        from handler.process.destinations.batch import prepare_batch

        messages = [(r.message_id, forwarded_body(r.body, arrivals[r.message_id])) for r in records]

        def load(message_id: str, envelope: Envelope) -> bytes:
            done = loaded.get(message_id)
            if done is None:
                return worker.load_and_archive(envelope, arrivals[message_id])
            if done.error is not None:
                raise done.error
            assert done.body is not None
            return done.body

        prepared = prepare_batch(messages, load, worker.forwarder)

    def handle(record: SQSRecord) -> Outcome | None:
        message_id = record.message_id
        return worker.handle_record(record, prepared.get(message_id), arrivals[message_id])

    return dict(process_partial_response(event, handle, _batch(), context))


def forwarded_body(body: str, arrival: Arrival) -> str:
    """The message as the forwarding step sees it: with the body by reference to the batch
    object when the volume mode archived it there (a wake-up carries that reference)."""
    if arrival.archived is None:
        return body
    envelope = Envelope.model_validate_json(body)
    reference = envelope.model_copy(update={"body_b64": None, "body_key": arrival.archived})
    return reference.model_dump_json(exclude_none=True)
