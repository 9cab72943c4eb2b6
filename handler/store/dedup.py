"""Exactly-once bookkeeping in one DynamoDB item per delivery, changed only by conditional writes.

    claimed ──(worker)──▶ processing ──▶ processed
       │                      │ failed: back to "enqueued" (the message returns)
       │                      │ lease expired: another worker may retry
       │ lease expired: a retry may claim again (and enqueue a second message)

The receiver writes nothing after its message (no "enqueued" mark): a claimed record stays
"claimed" until a worker holds it. "enqueued" means a message waits for a retry (a processor
failed, or a replay reset the record).

Check-then-write would let two concurrent copies both pass; every transition here is a single
conditional write, and a claim or processing hold carries a lease so that an owner that died does
not block the delivery for the whole TTL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from handler.aws import condition_failed, update_if

CLAIMED, ENQUEUED, PROCESSING, PROCESSED = "claimed", "enqueued", "processing", "processed"

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Claim(Enum):
    CLAIMED = "claimed"  # ours: hand it off, then ack
    DUPLICATE = "duplicate"  # already durable or done: ack as a duplicate
    IN_FLIGHT = "in_flight"  # another copy holds a live claim: enqueue this one too


class Hold(Enum):
    STARTED = "started"  # ours: run the processor
    DONE = "done"  # processed before: no second effect
    BUSY = "busy"  # another worker holds a live lease: retry the message later


def dedup_key(source: str, delivery_id: str) -> str:
    return f"{source}#{delivery_id}"


def delivery_facts(event_type: str, received_at: datetime, body_size: int) -> dict[str, str | int]:
    """The archive meta's fields a list of deliveries shows, as the claim stores them."""
    return {
        "event_type": event_type,
        "received_at": received_at.isoformat(),
        "body_size": body_size,
    }


def not_replayable(record: dict[str, Any] | None, now: float, *, force: bool) -> str | None:
    """Why a delivery with this record (`DedupTable.get`) must not be replayed now, or None.

    Never while a worker holds its live lease (the two would race); a processed delivery only
    with `force` (its processor runs again); one whose record expired only with `force`, since
    nobody knows whether it was processed."""
    status = record.get("status") if record else None
    if status == PROCESSING and record and int(record.get("lease_until", 0)) >= now:
        return "being processed right now"
    if force:
        return None
    if status == PROCESSED:
        return "already processed (--force to replay)"
    if record is None:
        return "no dedup record (expired?): outcome unknown; --force"
    return None


def plain_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A record as DynamoDB returns it, each attribute's value without its type (numbers stay
    the strings DynamoDB sends)."""
    return {name: next(iter(value.values())) for name, value in item.items()}


def _old_attribute(error: ClientError, name: str) -> str | None:
    """An attribute of the item a failed condition found (ReturnValuesOnConditionCheckFailure)."""
    item: dict[str, Any] = dict(error.response.get("Item") or {})  # type: ignore[call-overload]
    value = item.get(name, {}).get("S")
    return str(value) if value is not None else None


@dataclass(frozen=True)
class DedupTable:
    dynamodb: DynamoDBClient
    table: str
    ttl_seconds: int
    claim_lease_seconds: int
    processing_lease_seconds: int

    def claim(
        self, key: str, now: float, facts: Mapping[str, str | int] | None = None
    ) -> tuple[Claim, str, str | None]:
        """Claim a delivery for hand-off; returns the outcome, our owner token and, when another
        copy's record stands, the `received_at` it claimed with (its archive key's day: a copy
        enqueued again must archive under the same key). `facts` (what never changes about the
        delivery: `delivery_facts`) ride along in the same write, so a list of deliveries reads
        them with the status instead of one archive GET each."""
        token = uuid.uuid4().hex
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    **{
                        name: {"N": str(value)} if isinstance(value, int) else {"S": value}
                        for name, value in (facts or {}).items()
                    },
                    "pk": {"S": key},
                    "status": {"S": CLAIMED},
                    "owner": {"S": token},
                    "lease_until": {"N": str(int(now) + self.claim_lease_seconds)},
                    "expires_at": {"N": str(int(now) + self.ttl_seconds)},
                    "claimed_at": {"N": str(int(now))},
                },
                # Expired items linger until DynamoDB's TTL sweep deletes them: treat them as gone.
                ConditionExpression=(
                    "attribute_not_exists(pk) OR expires_at < :now"
                    " OR (#status = :claimed AND lease_until < :now)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":now": {"N": str(int(now))},
                    ":claimed": {"S": CLAIMED},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            status = _old_attribute(error, "status")
            if status == CLAIMED and _old_attribute(error, "owner") == token:
                # botocore retried a PutItem that had succeeded (its answer was lost or late):
                # the claim in the table is this very one, not another copy's.
                return Claim.CLAIMED, token, None
            outcome = Claim.IN_FLIGHT if status == CLAIMED else Claim.DUPLICATE
            return outcome, token, _old_attribute(error, "received_at")
        return Claim.CLAIMED, token, None

    def release(self, key: str, token: str) -> None:
        """Give a claim back after a failed hand-off, so the sender's retry is not blocked."""
        try:
            self.dynamodb.delete_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                ConditionExpression="#owner = :token AND #status = :claimed",
                ExpressionAttributeNames={"#owner": "owner", "#status": "status"},
                ExpressionAttributeValues={":token": {"S": token}, ":claimed": {"S": CLAIMED}},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise

    def note_duplicate(self, key: str, now: float) -> bool:
        """Count a repeat of a delivery on its record (`duplicates`, `last_duplicate_at`), after
        its ack: two numbers, however often a sender retries. Never creates a record."""
        return update_if(
            self.dynamodb,
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression="SET last_duplicate_at = :now ADD duplicates :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":now": {"N": str(int(now))}, ":one": {"N": "1"}},
        )

    def hold_for_processing(
        self, key: str, now: float, archive_ref: str | None = None
    ) -> tuple[Hold, str]:
        """`archive_ref`: where the volume mode archived the delivery (handler/store/batches.py),
        kept in this same write."""
        token = uuid.uuid4().hex
        ref: dict[str, Any] = {":ref": {"S": archive_ref}} if archive_ref else {}
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression=(
                    "SET #status = :processing, #owner = :token, lease_until = :lease,"
                    " expires_at = :expires, attempts = if_not_exists(attempts, :zero) + :one"
                    + (", archive_ref = :ref" if archive_ref else "")
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
                    **ref,
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not condition_failed(error):
                self._give_back(key, token)
                raise
            status = _old_attribute(error, "status")
            if status == PROCESSING and _old_attribute(error, "owner") == token:
                # botocore retried an UpdateItem that had succeeded: the hold is this one.
                return Hold.STARTED, token
            return (Hold.DONE if status == PROCESSED else Hold.BUSY), token
        except BotoCoreError:
            self._give_back(key, token)
            raise
        return Hold.STARTED, token

    def _give_back(self, key: str, token: str) -> None:
        """After a hold that raised: one of botocore's attempts may have taken the lease before
        the answers were lost. Give it back at once (only if it is ours), or this worker (the
        next copy of the delivery in its batch, found by the simulator) and every other would
        wait for it to run out as if its owner had died."""
        with suppress(BotoCoreError, ClientError):  # else it runs out on its own
            self.release_processing(key, token, "hold failed; lease given back")

    def mark_processed(self, key: str, token: str, outcome: dict[str, Any], now: float) -> bool:
        """Record the outcome; False if our lease was lost to another worker meanwhile."""
        return self._update_if_owner(
            key,
            token,
            "SET #status = :status, outcome = :outcome, processed_at = :now REMOVE lease_until",
            PROCESSED,
            {":outcome": {"S": json.dumps(outcome, default=str)}, ":now": {"N": str(int(now))}},
        )

    def release_processing(self, key: str, token: str, error: str) -> None:
        self._update_if_owner(
            key,
            token,
            "SET #status = :status, last_error = :error REMOVE lease_until",
            ENQUEUED,
            {":error": {"S": error[:1000]}},
        )

    def lease_until(self, key: str) -> int | None:
        """When the live processing lease on a delivery ends (None: no lease)."""
        item = self.get(key)
        if item is None or item.get("status") != PROCESSING or "lease_until" not in item:
            return None
        return int(item["lease_until"])

    def record_error(self, key: str, error: str, now: float) -> bool:
        """Keep why the latest attempt failed, whoever holds the record: `webhooks show` and
        `list`, and `redrive --dry-run` for a message in the DLQ, read it. Never creates a record
        (a delivery without one was never acknowledged by this table)."""
        return update_if(
            self.dynamodb,
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression=("SET last_error = :error, last_error_at = :now ADD failures :one"),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={
                ":error": {"S": error[:1000]},
                ":now": {"N": str(int(now))},
                ":one": {"N": "1"},
            },
        )

    def reset_for_replay(self, key: str, now: float) -> None:
        """A forced replay: back to "enqueued" so the worker takes it again; history is kept."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression=(
                "SET #status = :enqueued, replayed_at = :now,"
                " replays = if_not_exists(replays, :zero) + :one REMOVE lease_until, #owner"
            ),
            ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
            ExpressionAttributeValues={
                ":enqueued": {"S": ENQUEUED},
                ":now": {"N": str(int(now))},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
            },
        )

    def get(self, key: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            return None
        return plain_item(item)

    def _update_if_owner(
        self,
        key: str,
        token: str,
        expression: str,
        status: str,
        values: dict[str, Any] | None = None,
    ) -> bool:
        return update_if(
            self.dynamodb,
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression=expression,
            ConditionExpression="#owner = :token",
            ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
            ExpressionAttributeValues={
                ":token": {"S": token},
                ":status": {"S": status},
                **(values or {}),
            },
        )
