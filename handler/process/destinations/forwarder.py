"""Fan a delivery out to its source's destinations, each on its own schedule.

The worker calls `forward_delivery` for a delivery it has loaded and archived: each matching
destination gets its first attempt at once. A failed attempt is not retried by failing the SQS
record (that would hold the delivery's other destinations and burn the work queue's receives):
the record of that (delivery, destination) says when the next attempt is due, and a small wake-up
message, delayed by SQS (at most 15 minutes; longer waits are chained), brings the worker back
to it. The wake-up carries the delivery's envelope with its body by reference to the archive.

Every failure ends in one log line naming delivery, destination and reason, and a metric with
the destination as a dimension; a dead-letter also goes to the destinations' dead-letter queue.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from handler import metrics
from handler.logs import logger
from handler.store.archive import body_key
from handler.store.queue import Envelope

from .config import Destination
from .forward import Delivery, Response, attempt
from .schedule import Next, Verdict, after_attempt, describe, sqs_delay
from .state import Attempt, Begin, DestinationState, ForwardTable, record_key

LEASE_MARGIN_SECONDS = 30.0  # beyond the HTTP timeout: a live sender is never taken over
PAUSED_RECHECK_SECONDS = 300.0  # a paused destination's deliveries look again this often
PAUSED = "paused"  # the hold reason of a paused destination's deliveries (resume wakes them)


class WakeUp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    destination: str
    attempt: int  # the record's attempt count when this was scheduled
    due: float


class ForwardMessage(BaseModel):
    """A wake-up on the work queue. `forward` comes first in the JSON, which `is_wake_up` reads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    forward: WakeUp
    envelope: Envelope


def is_wake_up(body: str) -> bool:
    return body.startswith('{"forward"')


def content_type(envelope: Envelope) -> str:
    for name, value in envelope.headers.items():
        if name.lower() == "content-type":
            return value
    return "application/octet-stream"


@dataclass
class Forwarder:
    table: ForwardTable
    sqs: Any
    queue_url: str
    dlq_url: str
    destinations: dict[str, tuple[Destination, ...]]  # by source
    load_body: Callable[[Envelope], bytes]
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    send: Callable[[Destination, Delivery, float], Response] = attempt
    rand: random.Random = field(default_factory=random.Random)
    concurrency: int = 8  # threads for one batch's forwards (batch.py)

    # ------------------------------------------------------------------ entry points

    def forward_delivery(self, envelope: Envelope, body: bytes) -> None:
        for destination in self.matching(envelope, body):
            self.run(destination, envelope, body, wake=None)

    def matching(self, envelope: Envelope, body: bytes) -> list[Destination]:
        return [
            destination
            for destination in self.destinations.get(envelope.source, ())
            if destination.matches(envelope.event_type, body)
        ]

    def wake_up(self, message_body: str) -> None:
        message = ForwardMessage.model_validate_json(message_body)
        envelope = message.envelope
        named = {d.name: d for d in self.destinations.get(envelope.source, ())}
        destination = named.get(message.forward.destination)
        if destination is None:
            logger.warning(
                "wake-up for a destination no longer configured; dropped",
                extra=self._log(envelope, message.forward.destination, reason="not_configured"),
            )
            return
        now = self.clock()
        if message.forward.due > now + 1:  # a wait longer than SQS's 15 minutes: chain it
            self.schedule(envelope, destination, message.forward.attempt, message.forward.due)
            return
        self.run(destination, envelope, None, wake=message.forward)

    # ------------------------------------------------------------------ one destination

    def run(
        self,
        destination: Destination,
        envelope: Envelope,
        body: bytes | None,
        wake: WakeUp | None,
    ) -> None:
        key = record_key(envelope.source, envelope.id, destination.name)
        now = self.clock()
        started = self.table.begin(
            key,
            now=now,
            lease_seconds=destination.timeout_seconds + LEASE_MARGIN_SECONDS,
            labels={
                "source": envelope.source,
                "destination": destination.name,
                "delivery_id": envelope.id,
                "received_at": envelope.received_at.isoformat(),
                "event_type": envelope.event_type,
            },
            expected_attempts=None if wake is None else wake.attempt,
        )
        if started.begin in {Begin.DONE, Begin.STALE}:
            return
        if started.begin in {Begin.SCHEDULED, Begin.BUSY}:
            # A wake-up must exist for a pending record (the one that scheduled it may be lost
            # with a failed message), and a watchdog for a live lease whose worker may die.
            # A duplicate is harmless: only the wake-up for the current attempt count starts.
            self.schedule(envelope, destination, started.attempts, started.next_attempt_at + 1)
            return
        token = started.token
        state = self.table.state(destination.source, destination.name)
        if state.disabled:
            # Disabled (a 410, or by an operator): no sending; `retry` revives it once resumed.
            self.dead_letter(
                destination, envelope, key, token, None, f"destination disabled ({state.reason})"
            )
            return
        held = self.hold_reason(destination, state, now)
        if held is None:
            if body is None:
                body = self.load_body(envelope)
            # The token last, right before the request: the limit counts requests as they start.
            if destination.rate_limit_per_second is not None and not self.take_token(destination):
                held = "rate_limited", self.clock() + 1 + self.rand.random()
        if held is not None or body is None:
            reason, at = held or ("", now)
            self.table.defer(key, token, at, reason)
            self.schedule(envelope, destination, started.attempts - 1, at)
            metrics.emit(
                {"ForwardDeferred": 1}, source=envelope.source, destination=destination.name
            )
            return
        now = self.clock()
        delivery = Delivery(
            envelope.id, envelope.source, envelope.event_type, body, content_type(envelope)
        )
        response = self.send(destination, delivery, now)
        ended = self.clock()
        record = Attempt(
            now, response.status, response.latency_ms, response.snippet, response.error
        )
        step = after_attempt(
            destination.retry,
            response,
            attempts=started.attempts,
            first_attempt_at=started.first_attempt_at,
            now=ended,
            rand=self.rand,
        )
        self.update_circuit(destination, envelope, response, ended, state)
        self.finish(destination, envelope, key, token, record, response, step, started.attempts)

    def hold_reason(
        self, destination: Destination, state: DestinationState, now: float
    ) -> tuple[str, float] | None:
        """Why not to send now (paused, circuit open or probed elsewhere), and when to look again.
        A paused destination's deliveries wait (the horizon is not checked while paused)."""
        if state.paused:
            return PAUSED, now + PAUSED_RECHECK_SECONDS
        if state.circuit != "closed":
            probe_lease = destination.timeout_seconds + LEASE_MARGIN_SECONDS
            if state.circuit == "open" and state.open_until > now:
                return "circuit_open", state.open_until + self.rand.random()
            if not self.table.claim_probe(destination.source, destination.name, now, probe_lease):
                # Another worker probes: look again when its answer must be known.
                return "circuit_probing", now + min(probe_lease, destination.circuit.open_seconds)
        return None

    def take_token(self, destination: Destination) -> bool:
        """A token now, or in the next one-second window (waiting for it once, at most ~1 s:
        cheaper than a wake-up message, and it keeps a busy destination at its full rate)."""
        limit = int(destination.rate_limit_per_second or 0)
        for waited in (False, True):
            now = self.clock()
            if self.table.take_token(destination.source, destination.name, limit, now):
                return True
            if not waited:
                # Into the next window, spread over its first 50 ms so waiters do not collide.
                self.sleep((int(now) + 1 - now) + self.rand.random() * 0.05)
        metrics.emit(
            {"ForwardRateLimited": 1}, source=destination.source, destination=destination.name
        )
        return False

    def update_circuit(
        self,
        destination: Destination,
        envelope: Envelope,
        response: Response,
        now: float,
        before: DestinationState,
    ) -> None:
        """Timeouts, connection errors and 5xx count against the circuit; any answer below 500
        (even a 4xx) shows the destination is up."""
        log = self._log(envelope, destination.name)
        if response.status == 0 or response.status >= 500:
            opened = self.table.count_failure(
                destination.source,
                destination.name,
                threshold=destination.circuit.failure_threshold,
                open_seconds=destination.circuit.open_seconds,
                now=now,
            )
            if opened:
                logger.warning(
                    "destination circuit opened: attempts paused",
                    extra={**log, "reason": describe(response)},
                )
                metrics.emit(
                    {"CircuitOpened": 1}, source=destination.source, destination=destination.name
                )
            return
        if before.circuit == "closed" and before.failures == 0:
            # The common case, no write (a failure counted meanwhile by another worker is reset by
            # the next success that reads it).
            return
        was = self.table.close_circuit(destination.source, destination.name)
        if was in {"open", "half_open"}:
            logger.info("destination circuit closed", extra={**log, "reason": "probe succeeded"})
            metrics.emit(
                {"CircuitClosed": 1}, source=destination.source, destination=destination.name
            )

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
        log = self._log(envelope, destination.name, attempt=attempts, status=response.status)
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
            if self.table.retry_at(key, token, record, step.at):
                self.schedule(envelope, destination, attempts, step.at)
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
        log = self._log(envelope, destination.name, reason=reason)
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
                "body_key": envelope.body_key
                or body_key(envelope.source, envelope.id, envelope.received_at),
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

    @staticmethod
    def _log(envelope: Envelope, destination: str, **extra: Any) -> dict[str, Any]:
        return {
            "delivery_id": envelope.id,
            "source": envelope.source,
            "destination": destination,
            **extra,
        }
