"""Fan a delivery out to its source's destinations, each on its own schedule.

The worker calls `forward_delivery` for a delivery it has loaded and archived: each matching
destination gets its first attempt at once. A failed attempt is not retried by failing the SQS
record (that would hold the delivery's other destinations and burn the work queue's receives):
the record of that (delivery, destination) says when the next attempt is due, and a small wake-up
message, delayed by SQS (at most 15 minutes; longer waits are chained), brings the worker back
to it. The wake-up carries the delivery's envelope with its body by reference to the archive.

Before an attempt, guards.py (pause, circuit, rate limit); after it, outcomes.py (delivered, the
next wake-up, or a dead-letter); a batch's attempts side by side, batch.py.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handler import metrics
from handler.logs import logger
from handler.store.queue import Envelope

from .config import Destination
from .forward import Delivery, Response, attempt
from .guards import LEASE_MARGIN_SECONDS, Guards
from .messages import ForwardMessage, WakeUp, content_type, log_fields
from .outcomes import Outcomes
from .records import Attempt, Begin, record_key
from .schedule import after_attempt
from .state import ForwardTable


@dataclass
class Forwarder(Guards, Outcomes):
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
                extra=log_fields(envelope, message.forward.destination, reason="not_configured"),
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
            # A wake-up that finds the attempt running keeps its own count: the holder may give
            # its attempt back (a deferral) and count the wake-up's attempt again.
            attempts = started.attempts if wake is None else wake.attempt
            self.schedule(envelope, destination, attempts, started.next_attempt_at + 1)
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
            # The wake-up first, as for a retry (outcomes.py): deferred first, a worker dying
            # between the two calls after taking over a crashed attempt leaves the record
            # pending with no wake-up for its count (simulator seed 436). Taken while the
            # record still says "sending", the wake-up finds it busy and comes back with its
            # own count, the one the deferral gives the record.
            self.schedule(envelope, destination, started.attempts - 1, at)
            self.table.defer(key, token, at, reason)
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
