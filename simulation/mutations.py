"""Bugs this project had or could have, put back one at a time by monkeypatching from here.

Never by editing the product: each mutation replaces one method or setting for the duration of
a run, the way the bug looked (git history where it existed). `python -m simulation
--mutation-table` searches seeds for each until an invariant breaks, shrinks the schedule and
prints how many seeds it took and how long the shrunk trace is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from handler.aws import condition_failed
from handler.process.worker import Worker
from handler.store import dedup
from handler.store.dedup import PROCESSED, PROCESSING, DedupTable, Hold

from . import world


@dataclass(frozen=True)
class Mutation:
    name: str
    bug: str
    apply: Callable[[], AbstractContextManager[object]]


@contextmanager
def _patched(target: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, saved)


# ---------------------------------------------------------------- 1. lease vs receives


@contextmanager
def lease_300() -> Iterator[None]:
    """A 300 s processing lease against the queue's 30 s x 5 receives, as before the lease rule
    (handler/store/leases.py, a442c11) and the busy deferral (80c6a3c): nothing refuses the
    settings, and a busy message waits out the queue's visibility timeout each time."""
    draw = world.Scenario.draw

    def mutated(tape: Any, config: Any, knobs: Any = None) -> Any:
        scenario = draw(tape, config, knobs)
        return replace(scenario, lease=300, worker_timeout=30, visibility=30, max_receive=5)

    with (
        _patched(world.Scenario, "draw", staticmethod(mutated)),
        _patched(world, "check_queue_timing", lambda settings, queue: None),
        _patched(Worker, "defer", lambda self, record, lease_until: None),
    ):
        yield


# ---------------------------------------------------------------- 2. a retried hold


def _old_hold(self: DedupTable, key: str, now: float) -> tuple[Hold, str]:
    token = getattr(dedup, "uuid").uuid4().hex  # noqa: B009 (the simulator's tokens)
    try:
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression=(
                "SET #status = :processing, #owner = :token, lease_until = :lease,"
                " expires_at = :expires, attempts = if_not_exists(attempts, :zero) + :one"
            ),
            ConditionExpression=(
                "attribute_not_exists(pk) OR expires_at < :now OR (#status <> :processed"
                " AND (#status <> :processing OR lease_until < :now))"
            ),
            ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
            ExpressionAttributeValues={
                ":processing": {"S": PROCESSING},
                ":processed": {"S": PROCESSED},
                ":token": {"S": token},
                ":now": {"N": str(int(now))},
                ":lease": {"N": str(int(now) + self.processing_lease_seconds)},
                ":expires": {"N": str(int(now) + self.ttl_seconds)},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not condition_failed(error):
            raise
        item = dict(error.response.get("Item") or {})  # type: ignore[call-overload]
        done = item.get("status", {}).get("S") == PROCESSED
        return (Hold.DONE if done else Hold.BUSY), token
    return Hold.STARTED, token


@contextmanager
def busy_own_hold() -> Iterator[None]:
    with _patched(DedupTable, "hold_for_processing", _old_hold):
        yield


# ---------------------------------------------------------------- 3. releasing a claim


def _release_unconditional(self: DedupTable, key: str, token: str) -> None:
    """Give the claim back after a failed hand-off without asking whose it is: the send whose
    reply was lost may have made a message, which a worker may have processed meanwhile."""
    self.dynamodb.delete_item(TableName=self.table, Key={"pk": {"S": key}})


@contextmanager
def release_after_lost_send() -> Iterator[None]:
    with _patched(DedupTable, "release", _release_unconditional):
        yield


# ---------------------------------------------------------------- 4. delete before outcome

_ORIGINAL_HANDLE_RECORD = Worker.handle_record


def _delete_first(self: Worker, record: Any, prepared: Any = None) -> Any:
    """The worker removes its message as it starts on it (a "fire and forget" consumer), before
    the outcome is recorded: a crash or a failing processor then loses the delivery."""
    if self.queue is not None:
        self.queue.sqs.delete_message(QueueUrl=self.queue.url, ReceiptHandle=record.receipt_handle)
    return _ORIGINAL_HANDLE_RECORD(self, record, prepared)


@contextmanager
def delete_before_outcome() -> Iterator[None]:
    with _patched(Worker, "handle_record", _delete_first):
        yield


# ---------------------------------------------------------------- 5. marks without the owner

_ORIGINAL_UPDATE_IF_OWNER = DedupTable._update_if_owner


def _update_without_owner(
    self: DedupTable,
    key: str,
    token: str,
    expression: str,
    status: str,
    values: dict[str, Any] | None = None,
) -> bool:
    """mark_enqueued / mark_processed / release_processing writing whatever the record holds
    now: whoever took the record over since (a worker's hold, its outcome) is overwritten."""
    self.dynamodb.update_item(
        TableName=self.table,
        Key={"pk": {"S": key}},
        UpdateExpression=expression,
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":status": {"S": status}, **(values or {})},
    )
    return True


@contextmanager
def marks_without_owner() -> Iterator[None]:
    with _patched(DedupTable, "_update_if_owner", _update_without_owner):
        yield


# ---------------------------------------------------------------- product bugs it found


@contextmanager
def retry_recorded_before_wake_up() -> Iterator[None]:
    """Outcomes.finish before the fix: the retry recorded ("pending"), then its wake-up sent;
    a worker dying in between left the record pending with no wake-up for its attempt."""
    from handler.process.destinations import outcomes
    from handler.process.destinations.schedule import Verdict

    original = outcomes.Outcomes.finish

    def finish(
        self: Any,
        destination: Any,
        envelope: Any,
        key: str,
        token: str,
        record: Any,
        response: Any,
        step: Any,
        attempts: int,
    ) -> None:
        if step.verdict is not Verdict.RETRY:
            original(self, destination, envelope, key, token, record, response, step, attempts)
            return
        if self.table.retry_at(key, token, record, step.at):
            self.schedule(envelope, destination, attempts, step.at)

    with _patched(outcomes.Outcomes, "finish", finish):
        yield


@contextmanager
def hold_not_given_back() -> Iterator[None]:
    """DedupTable.hold_for_processing before the fix: a hold that raised after one of
    botocore's attempts took the lease left it held; the next copy of the delivery in the same
    batch was answered busy behind its own worker's lease."""
    with _patched(DedupTable, "_give_back", lambda self, key, token: None):
        yield


@contextmanager
def batch_resend_is_collision() -> Iterator[None]:
    """BatchArchive.write before the fix: its own PUT resent by botocore after a lost answer
    met the object it had written (412), and the whole batch raised out of handle_batch."""
    from handler.store import batches
    from handler.store.archive import ArchiveFormatError, batch_reference

    def write(self: Any, items: Any, now: float) -> list[str]:
        from datetime import UTC, datetime

        key = batches.batch_key(datetime.fromtimestamp(now, UTC))
        data, spans = batches.encode_batch(items)
        if not self.archive.put_new(key, data):
            raise ArchiveFormatError(f"{key}: a batch object with this key exists already")
        return [batch_reference(key, offset, length) for offset, length in spans]

    with _patched(batches.BatchArchive, "write", write):
        yield


@contextmanager
def release_not_retried() -> Iterator[None]:
    """Worker.handle before the fix: the lease given back once after a failed processor; an AWS
    error there replaced the processor's and left the lease held by this very worker."""

    def release(self: Worker, key: str, token: str, reason: str, log: Any) -> None:
        self.dedup.release_processing(key, token, reason)

    with _patched(Worker, "release", release):
        yield


@contextmanager
def shared_batch_processor() -> Iterator[None]:
    """handler/process/worker.py before the fix: one BatchProcessor per process, shared by
    every batch handled at once."""
    from handler.process import worker

    shared = worker._batch()
    with _patched(worker, "_batch", lambda: shared):
        yield


MUTATIONS: dict[str, Mutation] = {
    m.name: m
    for m in (
        Mutation(
            "lease-300", "300 s lease vs 30 s x 5 receives (no lease rule, no deferral)", lease_300
        ),
        Mutation("busy-own-hold", "a retried hold answering BUSY to its own holder", busy_own_hold),
        Mutation(
            "release-after-lost-send",
            "releasing a claim (unconditionally) after a send whose reply was lost",
            release_after_lost_send,
        ),
        Mutation(
            "delete-before-outcome",
            "the worker deleting its message before recording the outcome",
            delete_before_outcome,
        ),
        Mutation(
            "marks-without-owner",
            "mark-enqueued/mark-processed without the owner condition",
            marks_without_owner,
        ),
        Mutation(
            "retry-before-wake-up",
            "found: a forward's retry recorded before its wake-up was sent",
            retry_recorded_before_wake_up,
        ),
        Mutation(
            "hold-not-given-back",
            "found: a hold whose answers were lost keeping the lease from its own worker",
            hold_not_given_back,
        ),
        Mutation(
            "batch-resend-is-collision",
            "found: ARCHIVE_MODE=batch taking its own resent PUT (412) for a collision",
            batch_resend_is_collision,
        ),
        Mutation(
            "release-not-retried",
            "found: a failed processor's lease given back once, an AWS error keeping it held",
            release_not_retried,
        ),
        Mutation(
            "shared-batch-processor",
            "found: one Powertools BatchProcessor shared by concurrent batches",
            shared_batch_processor,
        ),
    )
}


def table(processes: int | None = None, minutes: float = 2.0) -> int:
    """Each mutation: seeds searched (from 0) until an invariant broke, the invariant, and the
    shrunk trace's length. Returns 1 if any mutation went unnoticed."""
    from .__main__ import search
    from .runner import run, shrink

    rows = []
    missed = 0
    for mutation in MUTATIONS.values():
        started = time.monotonic()
        summary = search(0, None, minutes, mutation=mutation.name, processes=processes, quiet=True)
        failure = summary["failure"]
        if failure is None:
            missed += 1
            rows.append((mutation.name, f">{summary['seeds']}", "not found", "-", "-"))
            continue
        seed, invariant, _ = failure
        outcome = run(seed, mutation=mutation.apply)
        shrunk = shrink(outcome, mutation=mutation.apply, budget_seconds=60)
        rows.append(
            (
                mutation.name,
                str(seed + 1),
                invariant,
                f"{len(outcome.trace)} -> {len(shrunk.trace)}",
                f"{time.monotonic() - started:.0f} s",
            )
        )
        print(
            f"{mutation.name}: seed {seed} ({invariant}); shrunk tape: {_tape(shrunk)}", flush=True
        )
    print(
        "\n| mutation | seeds to find it | invariant broken | trace lines (found -> shrunk)"
        " | wall |"
    )
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 1 if missed else 0


def _tape(outcome: Any) -> str:
    from .tape import encode

    return encode(outcome.tape)
