"""What operators do to forwarding records: a dead one sent again (`retry`), the ones a pause
held made due (`resume`). Scans: operators' commands, never the worker's path."""

from __future__ import annotations

from typing import Any

from handler.aws import update_if

from .items import TableItems, number, plain
from .records import DEAD, PENDING, record_prefix


class Revivals(TableItems):
    def revive(self, key: str, now: float) -> bool:
        """An operator's retry of a dead record: due now, with a fresh horizon."""
        return update_if(
            self.dynamodb,
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
                ":now": number(now),
                ":expires": number(now + self.ttl_seconds),
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
            },
        )

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
        return update_if(
            self.dynamodb,
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
                ":now": number(now),
            },
        )
