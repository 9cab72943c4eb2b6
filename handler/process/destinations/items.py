"""What the forwarding items share: the table they live in, and DynamoDB's typed values.

Every kind of item (records.py, revivals.py, circuit.py, limits.py) is a class over `TableItems`;
state.py puts them together as the one `ForwardTable` the forwarder and the operators use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def number(value: float) -> dict[str, str]:
    return {"N": repr(round(float(value), 3))}


@dataclass(frozen=True)
class TableItems:
    dynamodb: Any
    table: str
    ttl_seconds: int

    def get(self, key: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True
        ).get("Item")
        return None if item is None else plain(item)
