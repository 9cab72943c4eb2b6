"""Before an attempt and after it: the pause, the circuit and the rate limit, for the forwarder.

A mixin of Forwarder (forwarder.py): the attributes below are the forwarder's fields.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from handler import metrics
from handler.logs import logger
from handler.store.queue import Envelope

from .circuit import DestinationState
from .config import Destination
from .forward import Response
from .messages import log_fields
from .schedule import describe
from .state import ForwardTable

LEASE_MARGIN_SECONDS = 30.0  # beyond the HTTP timeout: a live sender is never taken over
PAUSED_RECHECK_SECONDS = 300.0  # a paused destination's deliveries look again this often
PAUSED = "paused"  # the hold reason of a paused destination's deliveries (resume wakes them)


class Guards:
    table: ForwardTable
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    rand: random.Random

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
        log = log_fields(envelope, destination.name)
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
