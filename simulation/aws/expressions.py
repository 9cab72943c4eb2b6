"""DynamoDB condition and update expressions: the subset the product writes, evaluated exactly.

Parsed once per expression string (the product's expressions are a few constant strings) into
small closures over an item of typed values (`{"S": ...}`, `{"N": ...}`, `{"L": [...]}`...).

Semantics held to DynamoDB's (and to moto's, by tests/simulation/test_conformance.py):
- a comparison with a missing attribute, or between different types, is false, except `<>`,
  which is true;
- numbers compare and add as decimals; strings compare by code point;
- `SET a = b + c`, `if_not_exists(path, value)`, `list_append(a, b)`, `ADD n :v` (numbers; a
  missing attribute counts as 0), `REMOVE a, b`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

Item = dict[str, Any]
Values = Mapping[str, Any]
Names = Mapping[str, str]

_TOKEN = re.compile(r"\s*(#\w+|:\w+|[A-Za-z_][\w]*|<>|<=|>=|[=<>(),.+\-])")
_KEYWORDS = {"AND", "OR", "NOT", "SET", "REMOVE", "ADD", "DELETE", "BETWEEN", "IN"}


class ExpressionError(ValueError):
    """An expression outside the subset (a ValidationException for the caller)."""


def tokens(expression: str) -> list[str]:
    out: list[str] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"cannot read {text[position:]!r}")
        out.append(match.group(1))
        position = match.end()
    return out


@lru_cache(maxsize=1024)
def placeholders(*texts: str) -> frozenset[str]:
    """The #names and :values the expressions use."""
    return frozenset(t for text in texts for t in tokens(text) if t[0] in "#:")


def number(value: Any) -> Decimal:
    return Decimal(value["N"])


def format_number(value: Decimal) -> str:
    """DynamoDB's canonical form: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return text


# ---------------------------------------------------------------- operands

Operand = Callable[[Item, Names, Values], Any]  # returns a typed value or None (missing)


def _path_getter(parts: tuple[str, ...]) -> Operand:
    def get(item: Item, names: Names, values: Values) -> Any:
        current: Any = {"M": item}
        for part in parts:
            name = names[part] if part.startswith("#") else part
            inner = current.get("M") if isinstance(current, dict) else None
            if inner is None or name not in inner:
                return None
            current = inner[name]
        return current

    return get


def _resolve(part: str, names: Names) -> str:
    if part.startswith("#"):
        if part not in names:
            raise ExpressionError(f"unknown name {part}")
        return names[part]
    return part


class _Parser:
    def __init__(self, expression: str) -> None:
        self.tokens = tokens(expression)
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.upper() != expected):
            raise ExpressionError(f"expected {expected or 'more'}, found {token!r}")
        self.at += 1
        return token

    def done(self) -> bool:
        return self.at >= len(self.tokens)

    # paths and values
    def path(self) -> tuple[str, ...]:
        parts = [self.take()]
        while self.peek() == ".":
            self.take()
            parts.append(self.take())
        return tuple(parts)

    def operand(self) -> Operand:
        token = self.peek()
        if token is None:
            raise ExpressionError("expected an operand")
        if token.startswith(":"):
            self.take()
            name = token
            return lambda item, names, values: values[name]
        lowered = token.lower()
        if lowered in {"if_not_exists", "list_append", "size"} and self._next_is("("):
            return self.function(lowered)
        return _path_getter(self.path())

    def _next_is(self, token: str) -> bool:
        return self.at + 1 < len(self.tokens) and self.tokens[self.at + 1] == token

    def function(self, name: str) -> Operand:
        self.take()
        self.take("(")
        if name == "if_not_exists":
            path = _path_getter(self.path())
            self.take(",")
            default = self.value()
            self.take(")")

            def if_not_exists(item: Item, names: Names, values: Values) -> Any:
                found = path(item, names, values)
                return found if found is not None else default(item, names, values)

            return if_not_exists
        if name == "list_append":
            first = self.value()
            self.take(",")
            second = self.value()
            self.take(")")

            def list_append(item: Item, names: Names, values: Values) -> Any:
                a, b = first(item, names, values), second(item, names, values)
                if a is None or b is None or "L" not in a or "L" not in b:
                    raise ExpressionError("list_append of a missing or non-list value")
                return {"L": [*a["L"], *b["L"]]}

            return list_append
        target = _path_getter(self.path())
        self.take(")")

        def size(item: Item, names: Names, values: Values) -> Any:
            found = target(item, names, values)
            if found is None:
                return None
            _kind, inner = next(iter(found.items()))
            return {"N": str(len(inner))}

        return size

    def value(self) -> Operand:
        """An operand, or `a + b` / `a - b` (numbers) in an update's SET."""
        left = self.operand()
        if self.peek() in {"+", "-"}:
            sign = self.take()
            right = self.operand()

            def arithmetic(item: Item, names: Names, values: Values) -> Any:
                a, b = left(item, names, values), right(item, names, values)
                if a is None or b is None or "N" not in a or "N" not in b:
                    raise ExpressionError("arithmetic on a missing or non-number value")
                total = number(a) + number(b) if sign == "+" else number(a) - number(b)
                return {"N": format_number(total)}

            return arithmetic
        return left

    # conditions
    def condition(self) -> Callable[[Item, Names, Values], bool]:
        return self.disjunction()

    def disjunction(self) -> Callable[[Item, Names, Values], bool]:
        parts = [self.conjunction()]
        while (self.peek() or "").upper() == "OR":
            self.take()
            parts.append(self.conjunction())
        if len(parts) == 1:
            return parts[0]
        return lambda item, names, values: any(p(item, names, values) for p in parts)

    def conjunction(self) -> Callable[[Item, Names, Values], bool]:
        parts = [self.negation()]
        while (self.peek() or "").upper() == "AND":
            self.take()
            parts.append(self.negation())
        if len(parts) == 1:
            return parts[0]
        return lambda item, names, values: all(p(item, names, values) for p in parts)

    def negation(self) -> Callable[[Item, Names, Values], bool]:
        if (self.peek() or "").upper() == "NOT":
            self.take()
            inner = self.negation()
            return lambda item, names, values: not inner(item, names, values)
        return self.primary()

    def primary(self) -> Callable[[Item, Names, Values], bool]:
        token = self.peek()
        if token == "(":
            self.take()
            inner = self.condition()
            self.take(")")
            return inner
        lowered = (token or "").lower()
        if lowered in {"attribute_exists", "attribute_not_exists"}:
            self.take()
            self.take("(")
            path = _path_getter(self.path())
            self.take(")")
            exists = lowered == "attribute_exists"
            return lambda item, names, values: (path(item, names, values) is not None) == exists
        if lowered == "begins_with":
            self.take()
            self.take("(")
            path = _path_getter(self.path())
            self.take(",")
            prefix = self.operand()
            self.take(")")

            def begins_with(item: Item, names: Names, values: Values) -> bool:
                found, wanted = path(item, names, values), prefix(item, names, values)
                if found is None or "S" not in found or wanted is None or "S" not in wanted:
                    return False
                return str(found["S"]).startswith(str(wanted["S"]))

            return begins_with
        left = self.operand()
        operator = self.take()
        if operator not in {"=", "<>", "<", "<=", ">", ">="}:
            raise ExpressionError(f"unsupported comparison {operator!r}")
        right = self.operand()
        return lambda item, names, values: compare(
            left(item, names, values), operator, right(item, names, values)
        )


def compare(a: Any, operator: str, b: Any) -> bool:
    # A missing attribute, or values of different types, are unequal: `<>` is true, every
    # other comparison false (as moto, which the conformance suite holds this to).
    if a is None or b is None:
        return operator == "<>"
    (kind_a, value_a), (kind_b, value_b) = next(iter(a.items())), next(iter(b.items()))
    if kind_a != kind_b:
        return operator == "<>"
    if kind_a == "N":
        value_a, value_b = Decimal(value_a), Decimal(value_b)
    elif kind_a not in {"S", "B"}:
        if operator == "=":
            return bool(a == b)
        if operator == "<>":
            return bool(a != b)
        return False
    if operator == "=":
        return bool(value_a == value_b)
    if operator == "<>":
        return bool(value_a != value_b)
    if operator == "<":
        return bool(value_a < value_b)
    if operator == "<=":
        return bool(value_a <= value_b)
    if operator == ">":
        return bool(value_a > value_b)
    return bool(value_a >= value_b)


@lru_cache(maxsize=512)
def condition(expression: str) -> Callable[[Item, Names, Values], bool]:
    parser = _Parser(expression)
    test = parser.condition()
    if not parser.done():
        raise ExpressionError(f"unexpected {parser.peek()!r} in {expression!r}")
    return test


Action = Callable[[Item, Names, Values], None]


@lru_cache(maxsize=512)
def update(expression: str) -> Action:
    """The update as one function that changes `item` in place (values read before any write,
    as DynamoDB evaluates every right-hand side against the old item)."""
    parser = _Parser(expression)
    sets: list[tuple[tuple[str, ...], Operand]] = []
    adds: list[tuple[tuple[str, ...], Operand]] = []
    removes: list[tuple[str, ...]] = []
    while not parser.done():
        clause = parser.take().upper()
        if clause not in {"SET", "ADD", "REMOVE"}:
            raise ExpressionError(f"unsupported clause {clause!r}")
        while True:
            path = parser.path()
            if clause == "SET":
                parser.take("=")
                sets.append((path, parser.value()))
            elif clause == "ADD":
                adds.append((path, parser.operand()))
            else:
                removes.append(path)
            if parser.peek() != ",":
                break
            parser.take()

    def apply(item: Item, names: Names, values: Values) -> None:
        old = dict(item)
        new_values = [(path, value(old, names, values)) for path, value in sets]
        added = []
        for path, value in adds:
            current = _path_getter(path)(old, names, values)
            increment = value(old, names, values)
            if "N" not in increment:
                raise ExpressionError("ADD supports numbers only here")
            base = number(current) if current is not None else Decimal(0)
            added.append((path, {"N": format_number(base + number(increment))}))
        for path, result in [*new_values, *added]:
            if len(path) != 1:
                raise ExpressionError("nested paths are not written here")
            item[_resolve(path[0], names)] = result
        for path in removes:
            if len(path) != 1:
                raise ExpressionError("nested paths are not removed here")
            item.pop(_resolve(path[0], names), None)

    return apply
