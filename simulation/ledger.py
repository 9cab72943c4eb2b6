"""What happened, as the invariants need it, and the invariants themselves.

The ledger is fed at the boundaries the simulator owns (AWS calls and their effects, HTTP
answers, the simulated processor and destinations), never by reading the product's variables:
a violation is something an outside observer of AWS, the senders and the destinations could see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from handler.retries import DEFAULT_BACKOFF

from .runtime import Actor

PROCESSED, PROCESSING, ENQUEUED, CLAIMED = "processed", "processing", "enqueued", "claimed"


class Violation(BaseException):
    """A broken invariant. A BaseException, like SimCrash, so that no `except Exception` of the
    product (the batch processor's, the worker's) can swallow it in the actor that found it."""

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"{invariant}: {detail}")
        self.invariant = invariant
        self.detail = detail


@dataclass
class Run:
    actor: Actor
    state: str = "running"  # running | completed | failed


@dataclass
class Receipt:
    actor: Actor
    status: int
    at: float
    seen: bool | None = None  # None: in progress; the forwarder got (True) or missed (False) it


@dataclass
class Plan:
    """What the simulated processor does with one delivery (drawn from the tape)."""

    poison: bool = False  # fails every attempt: the DLQ is unavoidable
    flaky: int = 0  # fails this many first attempts
    latency: float = 0.01  # a processor that hangs past the worker timeout fails every attempt

    @property
    def always_fails(self) -> bool:
        return self.poison or self.latency >= 30


@dataclass
class DeliveryFacts:
    id: str
    source: str
    body: bytes
    body_key: str = ""
    meta_key: str = ""
    plan: Plan = field(default_factory=Plan)
    acked: list[tuple[float, int]] = field(default_factory=list)  # (time, status) of each 2xx
    sent_messages: int = 0
    runs: list[Run] = field(default_factory=list)
    ever_processed: bool = False
    processing_writers: list[Actor] = field(default_factory=list)
    dead_lettered: int = 0
    wake_ups_dead_lettered: int = 0
    lost_after_ack: bool = False  # ACK_POLICY=instant: lost as the policy allows (its metric)
    reason_expected: bool = False  # a worker that survived failed it: its reason must be kept
    busy_dead_holder: int = 0
    outcome_not_recorded: bool = False
    receipts: dict[str, list[Receipt]] = field(default_factory=dict)  # by destination


class Ledger:
    def __init__(self) -> None:
        self.deliveries: dict[str, DeliveryFacts] = {}
        self.tokens: dict[str, Actor] = {}  # owner token -> the actor that made it
        self.violation: Violation | None = None
        self.metrics: dict[str, int] = {}
        self.acks = 0

    def fail(self, invariant: str, detail: str) -> None:
        if self.violation is None:
            self.violation = Violation(invariant, detail)
        raise self.violation

    # ------------------------------------------------------------------ receiver side

    def acked(self, delivery_id: str, status: int, at: float, durable: bool) -> None:
        facts = self.deliveries[delivery_id]
        facts.acked.append((at, status))
        self.acks += 1
        if durable and facts.sent_messages == 0:
            self.fail(
                "durable ack",
                f"{delivery_id} answered {status} before any SQS message of it existed",
            )

    def message_sent(self, delivery_id: str) -> None:
        facts = self.deliveries.get(delivery_id)
        if facts is not None:
            facts.sent_messages += 1

    # ------------------------------------------------------------------ the dedup record

    def record_written(
        self, delivery_id: str, old: dict[str, Any] | None, new: dict[str, Any] | None, actor: Any
    ) -> None:
        facts = self.deliveries.get(delivery_id)
        if facts is None:
            return
        old_status = (old or {}).get("status", {}).get("S")
        new_status = (new or {}).get("status", {}).get("S")
        if new_status == PROCESSED and old_status != PROCESSED:
            facts.ever_processed = True
        new_owner = (new or {}).get("owner", {}).get("S")
        old_owner = (old or {}).get("owner", {}).get("S")
        if new_status == PROCESSING and new_owner != old_owner and actor is not None:
            facts.processing_writers.append(actor)

    def busy(self, delivery_id: str, actor: Actor, item: dict[str, Any] | None) -> None:
        """The worker is failing a record as busy: someone else must hold a live lease."""
        facts = self.deliveries.get(delivery_id)
        if facts is None or item is None:
            return
        if item.get("status", {}).get("S") != PROCESSING:
            return
        holder = self.tokens.get(item.get("owner", {}).get("S", ""))
        refused = actor.data.get("release_failed", {}).get(item.get("pk", {}).get("S"), 0)
        if holder is actor and refused >= DEFAULT_BACKOFF.attempts:
            return  # it tried hard to give the lease back and AWS refused every attempt
        if holder is actor:
            self.fail(
                "busy behind its own lease",
                f"{actor.name} failed {delivery_id} as busy, but the live lease is its own",
            )
        # Behind a crashed holder's lease, with no AWS error in this invocation (a failed lease
        # lookup or deferral explains a busy receive of its own).
        seen = actor.data.setdefault("busy", set())
        if delivery_id in seen:
            return  # botocore's retry of the same write (its first reply was lost)
        seen.add(delivery_id)
        if holder is not None and holder.dead and not actor.data.get("raised"):
            facts.busy_dead_holder += 1

    # ------------------------------------------------------------------ the processor

    def run_started(self, delivery_id: str, actor: Actor) -> Run:
        facts = self.deliveries[delivery_id]
        if facts.ever_processed:
            self.fail(
                "exactly one effect",
                f"{actor.name} ran the processor of {delivery_id} after it was recorded processed",
            )
        for run in facts.runs:
            if run.state == "running" and not run.actor.dead and not run.actor.done:
                self.fail(
                    "exactly one effect",
                    f"{actor.name} ran the processor of {delivery_id} while {run.actor.name}"
                    " was running it",
                )
        run = Run(actor)
        facts.runs.append(run)
        return run

    # ------------------------------------------------------------------ destinations

    def receipt(self, delivery_id: str, destination: str, receipt: Receipt, record: Any) -> None:
        facts = self.deliveries.get(delivery_id)
        if facts is None:
            return
        receipts = facts.receipts.setdefault(destination, [])
        status = (record or {}).get("status", {}).get("S")
        if status == "delivered":
            self.fail(
                "destination at most once",
                f"{receipt.actor.name} sent {delivery_id} to {destination} again after its"
                " success was recorded",
            )
        for other in receipts:
            if other.seen is None and not other.actor.dead and not other.actor.done:
                self.fail(
                    "destination at most once",
                    f"{receipt.actor.name} and {other.actor.name} sent {delivery_id} to"
                    f" {destination} at the same time",
                )
        receipts.append(receipt)


def record_error_text(request: dict[str, Any]) -> str:
    value = (request.get("ExpressionAttributeValues") or {}).get(":error", {})
    return str(value.get("S", ""))


def envelope_id(body: str) -> tuple[str | None, bool]:
    """The delivery id a work-queue message is about, and whether it is a forwarding wake-up."""
    try:
        document = json.loads(body)
    except ValueError:
        return None, False
    if not isinstance(document, dict):
        return None, False
    if "envelope" in document:  # a forwarding wake-up
        return str(document["envelope"].get("id")), True
    return (str(document["id"]) if "id" in document else None), False
