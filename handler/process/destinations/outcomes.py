"""After an attempt: delivered, a wake-up for the next one, or a dead-letter, for the forwarder.

A mixin of Forwarder (forwarder.py): the attributes below are the forwarder's fields. Every failure
ends in one log line naming delivery, destination and reason, and a metric with the destination
as a dimension; a dead-letter also goes to the destinations' dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from handler import metrics
from handler.logs import logger
from handler.store.archive import delivery_key
from handler.store.queue import Envelope

from .config import Destination
from .forward import Response
from .messages import ForwardMessage, WakeUp, log_fields
from .records import Attempt
from .schedule import Next, Verdict, describe, sqs_delay
from .state import ForwardTable


class Outcomes:
    table: ForwardTable
    sqs: Any
    queue_url: str
    dlq_url: str
    clock: Callable[[], float]

    def finish(
        self,
        destination: Destination,
        envelope: Envelope,
        key: str,
        token: str,
        record: Attempt,
        response: Response,
        step: Next,
        attempts: int,
    ) -> None:
        log = log_fields(envelope, destination.name, attempt=attempts, status=response.status)
        latency = {"ForwardLatency": response.latency_ms}
        if step.verdict is Verdict.DELIVERED:
            if not self.table.delivered(key, token, record):
                logger.warning("forward lease lost before the success was recorded", extra=log)
            metrics.emit(
                {"Forwarded": 1},
                milliseconds=latency,
                source=envelope.source,
                destination=destination.name,
            )
            return
        if step.verdict is Verdict.RETRY:
            assert step.at is not None
            logger.warning(
                "forward attempt failed; retrying",
                extra={**log, "reason": step.reason, "next_attempt_at": round(step.at, 3)},
            )
            metrics.emit(
                {"ForwardFailed": 1},
                milliseconds=latency,
                source=envelope.source,
                destination=destination.name,
            )
            # The wake-up before the record says "pending": the other way round, a worker dying
            # (or SQS failing) in between left a pending record with no wake-up for its attempt,
            # and the redelivered previous wake-up is stale, so nothing ever tried it again
            # (found by the simulator, tests/simulator/test_simulation.py). A wake-up that
            # finds the record still "sending" waits for its lease; one left over is stale.
            self.schedule(envelope, destination, attempts, step.at)
            if not self.table.retry_at(key, token, record, step.at):
                logger.warning("forward lease lost before the retry was recorded", extra=log)
            return
        if step.verdict is Verdict.GONE:
            self.table.set_switch(
                destination.source, destination.name, "disabled", True, "HTTP 410 Gone"
            )
            logger.error("destination answered 410 Gone: disabled", extra={**log, "reason": "410"})
            metrics.emit(
                {"DestinationDisabled": 1}, source=envelope.source, destination=destination.name
            )
        self.dead_letter(
            destination, envelope, key, token, record, step.reason or describe(response)
        )

    def dead_letter(
        self,
        destination: Destination,
        envelope: Envelope,
        key: str,
        token: str,
        record: Attempt | None,
        reason: str,
    ) -> None:
        log = log_fields(envelope, destination.name, reason=reason)
        if not self.table.dead(key, token, record, reason, self.clock()):
            logger.warning("forward lease lost before the dead-letter was recorded", extra=log)
            return
        logger.error("forward dead-lettered", extra=log)
        metrics.emit(
            {"ForwardDeadLettered": 1}, source=envelope.source, destination=destination.name
        )
        if self.dlq_url:
            self.sqs.send_message(
                QueueUrl=self.dlq_url,
                MessageBody=json.dumps(
                    {
                        "source": envelope.source,
                        "delivery_id": envelope.id,
                        "destination": destination.name,
                        "reason": reason,
                        "last_status": record.status if record else None,
                        "last_snippet": record.snippet[:256] if record else "",
                        "record": key,
                    }
                ),
            )

    def schedule(
        self, envelope: Envelope, destination: Destination, attempts: int, due: float
    ) -> None:
        """A wake-up for the attempt after `attempts`, due at `due` (or a link of the chain)."""
        reference = envelope.model_copy(
            update={
                "body_b64": None,
                # The worker archived it before forwarding (or it was archived before the
                # `.delivery` layout: the reader finds that pair under the same stem).
                "body_key": envelope.body_key
                or delivery_key(envelope.source, envelope.id, envelope.received_at),
            }
        )
        message = ForwardMessage(
            forward=WakeUp(destination=destination.name, attempt=attempts, due=round(due, 3)),
            envelope=reference,
        )
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=message.model_dump_json(exclude_none=True),
            DelaySeconds=sqs_delay(due, self.clock()),
            MessageAttributes={
                "source": {"DataType": "String", "StringValue": envelope.source},
                "destination": {"DataType": "String", "StringValue": destination.name},
            },
        )
