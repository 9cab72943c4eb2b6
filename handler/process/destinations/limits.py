"""A destination's rate limit: a fixed one-second window per item, counted in DynamoDB.

rate#<source>#<destination>#<epoch second>   requests started in that second (expires soon)
"""

from __future__ import annotations

from handler.aws import update_if

from .items import TableItems


def rate_key(source: str, destination: str, second: int) -> str:
    return f"rate#{source}#{destination}#{second}"


class RateLimit(TableItems):
    def take_token(self, source: str, destination: str, limit: int, now: float) -> bool:
        """A fixed one-second window counted by a conditional ADD: at most `limit` sends start in
        any calendar second, however many workers run (each increment is atomic in DynamoDB)."""
        second = int(now)
        return update_if(
            self.dynamodb,
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
