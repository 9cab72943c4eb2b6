"""Forwarding state in the idempotency table, changed only by conditional writes.

Three kinds of item, each its own partition key so that destinations never contend:

    dest#<source>#<delivery id>#<destination>   one delivery at one destination: its attempts
        pending ──(begin)──▶ sending ──▶ delivered | pending (retry at next_attempt_at) | dead
                                │ lease expired (the worker died): the next begin takes it over
    destination#<source>#<destination>          the circuit, pause and disable switches
    rate#<source>#<destination>#<epoch second>  the rate limit's fixed-window counter

Exactly-once per (delivery, destination): an attempt starts only by a conditional write that moves
the record to "sending" under our token, so two workers never both send; a delivered record is
never sent again, whichever message (the delivery's or a wake-up) comes later. A worker killed
mid-attempt leaves "sending" with a lease; its message comes back after the queue's visibility
timeout, longer than the lease, and the attempt is made again (at most one extra, same webhook-id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

PENDING, SENDING, DELIVERED, DEAD = "pending", "sending", "delivered", "dead"
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
HISTORY_SNIPPET = 256  # characters of a response kept per attempt in the history


def record_key(source: str, delivery_id: str, destination: str) -> str:
    return f"dest#{source}#{delivery_id}#{destination}"


def record_prefix(source: str) -> str:
    return f"dest#{source}#"


def state_key(source: str, destination: str) -> str:
    return f"destination#{source}#{destination}"


def rate_key(source: str, destination: str, second: int) -> str:
    return f"rate#{source}#{destination}#{second}"


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
class DestinationState:
    circuit: str = CLOSED
    failures: int = 0
    open_until: float = 0.0
    probe_until: float = 0.0
    paused: bool = False
    disabled: bool = False
    reason: str = ""

    @property
    def label(self) -> str:
        """What an operator reads: disabled and paused first, then the circuit."""
        if self.disabled:
            return "disabled"
        if self.paused:
            return "paused"
        return self.circuit


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain values (numbers as float, lists and maps unwrapped)."""
    return {name: _value(value) for name, value in item.items()}


def _value(value: dict[str, Any]) -> Any:
    kind, inner = next(iter(value.items()))
    if kind == "N":
        return float(inner)
    if kind == "L":
        return [_value(entry) for entry in inner]
    if kind == "M":
        return plain(inner)
    return inner


def _number(value: float) -> dict[str, str]:
    return {"N": repr(round(float(value), 3))}


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
            "at": _number(self.at),
            "status": _number(self.status),
            "latency_ms": _number(self.latency_ms),
            "snippet": {"S": self.snippet[:HISTORY_SNIPPET]},
        }
        if self.error:
            entry["error"] = {"S": self.error[:500]}
        return {"M": entry}


@dataclass(frozen=True)
class ForwardTable:
    dynamodb: Any
    table: str
    ttl_seconds: int

    # -------------------------------------------------------------- (delivery, destination)

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
            ":now": _number(now),
            ":lease": _number(now + lease_seconds),
            ":expires": _number(now + self.ttl_seconds),
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
            if not _condition_failed(error):
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
            {":next": _number(at)},
        )

    def dead(self, key: str, token: str, attempt: Attempt | None, reason: str, now: float) -> bool:
        return self._finish(
            key,
            token,
            attempt,
            "SET #status = :done, dead_reason = :reason, dead_at = :deadat",
            DEAD,
            {":reason": {"S": reason[:500]}, ":deadat": _number(now)},
        )

    def defer(self, key: str, token: str, at: float, reason: str) -> bool:
        """Not attempted after all (circuit open, paused, no rate token): due again at `at`.
        The attempt does not count."""
        try:
            self.dynamodb.update_item(
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
                    ":next": _number(at),
                    ":reason": {"S": reason},
                    ":one": {"N": "1"},
                    ":token": {"S": token},
                },
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return False
        return True

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
                    ":status": _number(attempt.status),
                    ":latency": _number(attempt.latency_ms),
                    ":snippet": {"S": attempt.snippet[:HISTORY_SNIPPET]},
                    ":error": {"S": attempt.error or ""},
                    ":at": _number(attempt.at),
                    ":empty": {"L": []},
                    ":entry": {"L": [attempt.item()]},
                }
            )
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression=expression + " REMOVE #owner, lease_until",
                ConditionExpression="#owner = :token",
                ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return False
        return True

    def get(self, key: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True
        ).get("Item")
        return None if item is None else plain(item)

    def revive(self, key: str, now: float) -> bool:
        """An operator's retry of a dead record: due now, with a fresh horizon."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression=(
                    "SET #status = :pending, next_attempt_at = :now, first_attempt_at = :now,"
                    " revived_at = :now, revivals = if_not_exists(revivals, :zero) + :one,"
                    " expires_at = :expires REMOVE dead_reason"
                ),
                ConditionExpression="#status = :dead",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":pending": {"S": PENDING},
                    ":dead": {"S": DEAD},
                    ":now": _number(now),
                    ":expires": _number(now + self.ttl_seconds),
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return False
        return True

    def dead_records(self, source: str, destination: str) -> list[dict[str, Any]]:
        """Every dead record of one destination. A Scan: an operator's command, not a hot path."""
        found: list[dict[str, Any]] = []
        paginator = self.dynamodb.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.table,
            FilterExpression="begins_with(pk, :prefix) AND #status = :dead AND #dest = :d",
            ExpressionAttributeNames={"#status": "status", "#dest": "destination"},
            ExpressionAttributeValues={
                ":prefix": {"S": record_prefix(source)},
                ":dead": {"S": DEAD},
                ":d": {"S": destination},
            },
            ConsistentRead=True,
        ):
            found.extend(plain(item) for item in page.get("Items", []))
        return found

    def held_records(
        self, source: str, destination: str, reason: str, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` pending records of one destination held for `reason`, and whether there
        are more. A Scan, like dead_records: an operator's command."""
        found: list[dict[str, Any]] = []
        paginator = self.dynamodb.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.table,
            FilterExpression=(
                "begins_with(pk, :prefix) AND #status = :pending AND #dest = :d"
                " AND hold_reason = :reason"
            ),
            ExpressionAttributeNames={"#status": "status", "#dest": "destination"},
            ExpressionAttributeValues={
                ":prefix": {"S": record_prefix(source)},
                ":pending": {"S": PENDING},
                ":d": {"S": destination},
                ":reason": {"S": reason},
            },
            ConsistentRead=True,
        ):
            found.extend(plain(item) for item in page.get("Items", []))
            if len(found) > limit:
                return found[:limit], True
        return found, False

    def release(self, key: str, reason: str, attempts: int, now: float) -> bool:
        """A record held for `reason` due now (its wake-up follows), if it is still as read."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET next_attempt_at = :now REMOVE hold_reason",
                ConditionExpression=(
                    "#status = :pending AND hold_reason = :reason AND attempts = :attempts"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":pending": {"S": PENDING},
                    ":reason": {"S": reason},
                    ":attempts": {"N": str(attempts)},
                    ":now": _number(now),
                },
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return False
        return True

    # -------------------------------------------------------------- the destination

    def state(self, source: str, destination: str) -> DestinationState:
        item = self.get(state_key(source, destination)) or {}
        return DestinationState(
            circuit=str(item.get("circuit", CLOSED)),
            failures=int(item.get("failures", 0)),
            open_until=float(item.get("open_until", 0)),
            probe_until=float(item.get("probe_until", 0)),
            paused=bool(item.get("paused", False)),
            disabled=bool(item.get("disabled", False)),
            reason=str(item.get("reason", "")),
        )

    def claim_probe(self, source: str, destination: str, now: float, lease: float) -> bool:
        """Half-open: exactly one worker sends the probe once the open period is over."""
        return self._conditional_state(
            source,
            destination,
            "SET circuit = :half, probe_until = :lease",
            "(circuit = :open AND open_until <= :now) OR (circuit = :half AND probe_until < :now)",
            {
                ":half": {"S": HALF_OPEN},
                ":open": {"S": OPEN},
                ":now": _number(now),
                ":lease": _number(now + lease),
            },
        )

    def close_circuit(self, source: str, destination: str) -> str | None:
        """After a success: closed, failures forgotten. Returns the circuit it was in if it was
        not already closed and clean (then the caller logs the closing); else None (no write)."""
        try:
            response = self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": state_key(source, destination)}},
                UpdateExpression="SET circuit = :closed, failures = :zero",
                ConditionExpression="circuit <> :closed OR failures > :zero",
                ExpressionAttributeValues={":closed": {"S": CLOSED}, ":zero": {"N": "0"}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return None
        return str(plain(response.get("Attributes", {})).get("circuit", CLOSED))

    def count_failure(
        self, source: str, destination: str, *, threshold: int, open_seconds: float, now: float
    ) -> bool:
        """One more consecutive failure; True if this one opened (or re-opened) the circuit."""
        response = self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": state_key(source, destination)}},
            UpdateExpression="SET circuit = if_not_exists(circuit, :closed) ADD failures :one",
            ExpressionAttributeValues={":closed": {"S": CLOSED}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        new = plain(response["Attributes"])
        if new["circuit"] == OPEN or (new["circuit"] == CLOSED and new["failures"] < threshold):
            return False
        # Closed at the threshold, or a failed probe (half-open): open, once, whoever wins.
        return self._conditional_state(
            source,
            destination,
            "SET circuit = :open, open_until = :until",
            "circuit = :was",
            {
                ":open": {"S": OPEN},
                ":until": _number(now + open_seconds),
                ":was": {"S": str(new["circuit"])},
            },
        )

    def set_switch(self, source: str, destination: str, name: str, on: bool, reason: str) -> None:
        """pause / disable (on) or resume (off: also closes the circuit and clears failures)."""
        if on:
            expression, values = (
                f"SET {name} = :on, reason = :reason",
                {":on": {"BOOL": True}, ":reason": {"S": reason}},
            )
        else:
            expression = (
                "SET paused = :off, disabled = :off, circuit = :closed, failures = :zero,"
                " reason = :reason"
            )
            values = {
                ":off": {"BOOL": False},
                ":closed": {"S": CLOSED},
                ":zero": {"N": "0"},
                ":reason": {"S": reason},
            }
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": state_key(source, destination)}},
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
        )

    def _conditional_state(
        self, source: str, destination: str, expression: str, condition: str, values: Any
    ) -> bool:
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": state_key(source, destination)}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return False
        return True

    # -------------------------------------------------------------- the rate limit

    def take_token(self, source: str, destination: str, limit: int, now: float) -> bool:
        """A fixed one-second window counted by a conditional ADD: at most `limit` sends start in
        any calendar second, however many workers run (each increment is atomic in DynamoDB)."""
        second = int(now)
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": rate_key(source, destination, second)}},
                UpdateExpression="SET expires_at = :expires ADD n :one",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(second + 120)},
                },
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return False
        return True
