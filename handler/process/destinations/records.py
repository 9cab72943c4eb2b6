"""One delivery at one destination: its attempts, changed only by conditional writes.

    dest#<source>#<delivery id>#<destination>
        pending ──(begin)──▶ sending ──▶ delivered | pending (retry at next_attempt_at) | dead
                                │ lease expired (the worker died): the next begin takes it over

Exactly-once per (delivery, destination): an attempt starts only by a conditional write that moves
the record to "sending" under our token, so two workers (or two threads of one batch) never both
send; a delivered record is never sent again, whichever message (the delivery's or a wake-up) comes
later. A worker killed mid-attempt leaves "sending" with a lease; its message comes back after the
queue's visibility timeout, longer than the lease, and the attempt is made again (at most one
extra, same webhook-id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from handler.aws import condition_failed, update_if

from .items import TableItems, number, plain

PENDING, SENDING, DELIVERED, DEAD = "pending", "sending", "delivered", "dead"
HISTORY_SNIPPET = 256  # characters of a response kept per attempt in the history


def record_key(source: str, delivery_id: str, destination: str) -> str:
    return f"dest#{source}#{delivery_id}#{destination}"


def record_prefix(source: str) -> str:
    return f"dest#{source}#"


class Begin(Enum):
    STARTED = "started"  # ours: make the attempt
    DONE = "done"  # delivered or dead: nothing to do
    SCHEDULED = "scheduled"  # pending, but not due yet
    BUSY = "busy"  # another worker holds a live lease
    STALE = "stale"  # a wake-up for an attempt that has been made since


@dataclass(frozen=True)
class Started:
    begin: Begin
    token: str = ""
    attempts: int = 0
    first_attempt_at: float = 0.0
    next_attempt_at: float = 0.0  # SCHEDULED: when it is due; BUSY: when the lease ends


@dataclass(frozen=True)
class Attempt:
    """One attempt, as kept in the record's history and shown by the CLI."""

    at: float
    status: int
    latency_ms: float
    snippet: str = ""
    error: str | None = None

    def item(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "at": number(self.at),
            "status": number(self.status),
            "latency_ms": number(self.latency_ms),
            "snippet": {"S": self.snippet[:HISTORY_SNIPPET]},
        }
        if self.error:
            entry["error"] = {"S": self.error[:500]}
        return {"M": entry}


class Records(TableItems):
    """The attempt's lifecycle, as the forwarder drives it."""

    def begin(
        self,
        key: str,
        *,
        now: float,
        lease_seconds: float,
        labels: dict[str, str],
        expected_attempts: int | None = None,
    ) -> Started:
        """Take the record for one attempt, if it is new, due, or its sender died.

        `expected_attempts` (a wake-up's): only the attempt it was scheduled for may start, so a
        duplicated or outdated wake-up never starts a second chain of retries.
        """
        token = uuid.uuid4().hex
        due = "(#status = :pending AND next_attempt_at <= :now)"
        values: dict[str, Any] = {
            ":sending": {"S": SENDING},
            ":pending": {"S": PENDING},
            ":token": {"S": token},
            ":now": number(now),
            ":lease": number(now + lease_seconds),
            ":expires": number(now + self.ttl_seconds),
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
            **{f":{name}": {"S": value} for name, value in labels.items()},
        }
        if expected_attempts is not None:
            due = "(#status = :pending AND next_attempt_at <= :now AND attempts = :expected)"
            values[":expected"] = {"N": str(expected_attempts)}
        label_sets = "".join(f", #{name} = :{name}" for name in labels)
        try:
            response = self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression=(
                    "SET #status = :sending, #owner = :token, lease_until = :lease,"
                    " first_attempt_at = if_not_exists(first_attempt_at, :now),"
                    " expires_at = if_not_exists(expires_at, :expires),"
                    " attempts = if_not_exists(attempts, :zero) + :one" + label_sets
                ),
                ConditionExpression=(
                    f"attribute_not_exists(pk) OR {due}"
                    " OR (#status = :sending AND lease_until < :now)"
                ),
                ExpressionAttributeNames={
                    "#status": "status",
                    "#owner": "owner",
                    **{f"#{name}": name for name in labels},
                },
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            old = plain(dict(error.response.get("Item") or {}))  # type: ignore[call-overload]
            return self._why_not(old, now, expected_attempts)
        new = plain(response["Attributes"])
        return Started(Begin.STARTED, token, int(new["attempts"]), float(new["first_attempt_at"]))

    @staticmethod
    def _why_not(old: dict[str, Any], now: float, expected: int | None) -> Started:
        status, attempts = old.get("status"), int(old.get("attempts", 0))
        if status in {DELIVERED, DEAD}:
            return Started(Begin.DONE, attempts=attempts)
        if status == SENDING:
            return Started(Begin.BUSY, attempts=attempts, next_attempt_at=old["lease_until"])
        if expected is not None and attempts != expected:
            return Started(Begin.STALE, attempts=attempts)
        return Started(Begin.SCHEDULED, attempts=attempts, next_attempt_at=old["next_attempt_at"])

    def delivered(self, key: str, token: str, attempt: Attempt) -> bool:
        return self._finish(
            key, token, attempt, "SET #status = :done, delivered_at = :at", DELIVERED
        )

    def retry_at(self, key: str, token: str, attempt: Attempt, at: float) -> bool:
        return self._finish(
            key,
            token,
            attempt,
            "SET #status = :done, next_attempt_at = :next",
            PENDING,
            {":next": number(at)},
        )

    def dead(self, key: str, token: str, attempt: Attempt | None, reason: str, now: float) -> bool:
        return self._finish(
            key,
            token,
            attempt,
            "SET #status = :done, dead_reason = :reason, dead_at = :deadat",
            DEAD,
            {":reason": {"S": reason[:500]}, ":deadat": number(now)},
        )

    def defer(self, key: str, token: str, at: float, reason: str) -> bool:
        """Not attempted after all (circuit open, paused, no rate token): due again at `at`.
        The attempt does not count."""
        return update_if(
            self.dynamodb,
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression=(
                "SET #status = :pending, next_attempt_at = :next, hold_reason = :reason,"
                " attempts = attempts - :one REMOVE #owner, lease_until"
            ),
            ConditionExpression="#owner = :token",
            ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
            ExpressionAttributeValues={
                ":pending": {"S": PENDING},
                ":next": number(at),
                ":reason": {"S": reason},
                ":one": {"N": "1"},
                ":token": {"S": token},
            },
        )

    def _finish(
        self,
        key: str,
        token: str,
        attempt: Attempt | None,
        expression: str,
        status: str,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """Record an attempt's end, if we still own the record (our lease was not taken over)."""
        values = {":done": {"S": status}, ":token": {"S": token}, **(values or {})}
        if attempt is not None:
            expression += (
                ", last_status = :status, last_latency_ms = :latency, last_snippet = :snippet,"
                " last_error = :error, last_at = :at,"
                " history = list_append(if_not_exists(history, :empty), :entry)"
            )
            values.update(
                {
                    ":status": number(attempt.status),
                    ":latency": number(attempt.latency_ms),
                    ":snippet": {"S": attempt.snippet[:HISTORY_SNIPPET]},
                    ":error": {"S": attempt.error or ""},
                    ":at": number(attempt.at),
                    ":empty": {"L": []},
                    ":entry": {"L": [attempt.item()]},
                }
            )
        return update_if(
            self.dynamodb,
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression=expression + " REMOVE #owner, lease_until",
            ConditionExpression="#owner = :token",
            ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
            ExpressionAttributeValues=values,
        )
