"""An in-memory DynamoDB: one table keyed by `pk`, single-item conditional writes, lazy TTL.

Single-item writes are atomic (the simulator runs one actor at a time, and each write is applied
in one step). TTL: an item whose `expires_at` has passed is still returned until DynamoDB's sweep
deletes it, which happens "some time later": the first time such an item is touched after its
expiry the tape decides, once per touch, whether the sweep has come (then it is gone for good).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import expressions
from .errors import client_error, with_metadata

Item = dict[str, Any]


class DynamoStore:
    def __init__(self, swept: Callable[[str, Item], bool], now: Callable[[], float]) -> None:
        self.tables: dict[str, dict[str, Item]] = {}
        self.ttl_attribute: dict[str, str] = {}
        self._swept = swept  # the tape: has the TTL sweep deleted this expired item yet?
        self._now = now
        self.on_write: Callable[[str, str, Item | None, Item | None], None] = lambda *a: None

    def create_table(self, name: str, ttl_attribute: str | None = "expires_at") -> None:
        self.tables[name] = {}
        if ttl_attribute:
            self.ttl_attribute[name] = ttl_attribute

    def _table(self, operation: str, name: str) -> dict[str, Item]:
        table = self.tables.get(name)
        if table is None:
            raise client_error(
                operation, "ResourceNotFoundException", "Requested resource not found"
            )
        return table

    def _current(self, name: str, table: dict[str, Item], key: str) -> Item | None:
        item = table.get(key)
        if item is None:
            return None
        attribute = self.ttl_attribute.get(name)
        expires = item.get(attribute) if attribute else None
        if (
            expires is not None
            and "N" in expires
            and Decimal(expires["N"]) < Decimal(int(self._now()))
            and self._swept(key, item)
        ):
            del table[key]
            self.on_write(name, key, item, None)
            return None
        return item

    @staticmethod
    def _key(key: dict[str, Any]) -> str:
        return str(key["pk"]["S"])

    @staticmethod
    def _validate(operation: str, request: dict[str, Any]) -> None:
        """DynamoDB refuses names and values an expression does not use."""
        provided = [
            *(request.get("ExpressionAttributeNames") or ()),
            *(request.get("ExpressionAttributeValues") or ()),
        ]
        if not provided:
            return
        used = expressions.placeholders(
            request.get("ConditionExpression") or "", request.get("UpdateExpression") or ""
        )
        unused = [name for name in provided if name not in used]
        if unused:
            raise client_error(
                operation, "ValidationException", f"unused in expressions: {', '.join(unused)}"
            )

    def _check(
        self, operation: str, request: dict[str, Any], old: Item | None, want_item: bool
    ) -> None:
        self._validate(operation, request)
        condition = request.get("ConditionExpression")
        if condition is None:
            return
        test = expressions.condition(condition)
        names = request.get("ExpressionAttributeNames") or {}
        values = request.get("ExpressionAttributeValues") or {}
        if not test(old or {}, names, values):
            extra: dict[str, Any] = {}
            if (
                want_item
                and old is not None
                and request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
            ):
                extra["Item"] = dict(old)
            raise client_error(
                operation,
                "ConditionalCheckFailedException",
                "The conditional request failed",
                **extra,
            )

    # ------------------------------------------------------------------ operations

    def put_item(self, **request: Any) -> dict[str, Any]:
        name = request["TableName"]
        table = self._table("PutItem", name)
        item = dict(request["Item"])
        key = self._key(item)
        old = self._current(name, table, key)
        self._check("PutItem", request, old, want_item=True)
        table[key] = item
        self.on_write(name, key, old, item)
        response: dict[str, Any] = {}
        if request.get("ReturnValues") == "ALL_OLD" and old is not None:
            response["Attributes"] = dict(old)
        return with_metadata(response)

    def update_item(self, **request: Any) -> dict[str, Any]:
        name = request["TableName"]
        table = self._table("UpdateItem", name)
        key_value = request["Key"]
        key = self._key(key_value)
        old = self._current(name, table, key)
        self._check("UpdateItem", request, old, want_item=True)
        new = dict(old) if old is not None else dict(key_value)
        try:
            expressions.update(request["UpdateExpression"])(
                new,
                request.get("ExpressionAttributeNames") or {},
                request.get("ExpressionAttributeValues") or {},
            )
        except expressions.ExpressionError as error:
            raise client_error("UpdateItem", "ValidationException", str(error)) from None
        table[key] = new
        self.on_write(name, key, old, new)
        response: dict[str, Any] = {}
        wanted = request.get("ReturnValues", "NONE")
        if wanted == "ALL_NEW":
            response["Attributes"] = dict(new)
        elif wanted == "ALL_OLD" and old is not None:
            response["Attributes"] = dict(old)
        return with_metadata(response)

    def delete_item(self, **request: Any) -> dict[str, Any]:
        name = request["TableName"]
        table = self._table("DeleteItem", name)
        key = self._key(request["Key"])
        old = self._current(name, table, key)
        self._check("DeleteItem", request, old, want_item=True)
        if old is not None:
            del table[key]
            self.on_write(name, key, old, None)
        response: dict[str, Any] = {}
        if request.get("ReturnValues") == "ALL_OLD" and old is not None:
            response["Attributes"] = dict(old)
        return with_metadata(response)

    def get_item(self, **request: Any) -> dict[str, Any]:
        name = request["TableName"]
        table = self._table("GetItem", name)
        item = self._current(name, table, self._key(request["Key"]))
        response: dict[str, Any] = {}
        if item is not None:
            response["Item"] = self._project(item, request)
        return with_metadata(response)

    def batch_get_item(self, **request: Any) -> dict[str, Any]:
        responses: dict[str, list[Item]] = {}
        for name, wanted in request["RequestItems"].items():
            table = self._table("BatchGetItem", name)
            found = []
            for key in wanted["Keys"]:
                item = self._current(name, table, self._key(key))
                if item is not None:
                    found.append(self._project(item, wanted))
            responses[name] = found
        return with_metadata({"Responses": responses, "UnprocessedKeys": {}})

    @staticmethod
    def _project(item: Item, request: dict[str, Any]) -> Item:
        projection = request.get("ProjectionExpression")
        if not projection:
            return dict(item)
        names = request.get("ExpressionAttributeNames") or {}
        wanted = {names.get(p.strip(), p.strip()) for p in projection.split(",")}
        return {k: v for k, v in item.items() if k in wanted}
