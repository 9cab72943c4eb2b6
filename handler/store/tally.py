"""Per-minute counts of what leaves no other trace (duplicates, rejections), for the console.

    tally#<source>#<epoch second of a 10-minute block>   {"<counter>@<minute 0-9>": n, expires_at}

A duplicate is answered without re-processing and a refused delivery is not stored at all (only a
few signature refusals are quarantined), yet the console charts both per interval. One small item
per source and 10 minutes holds them: however many requests arrive, the table grows by at most
(sources + 1) * 144 items a day, each gone after TALLY_TTL_SECONDS. A block of 10 minutes keeps an
item under 1 KB (one write unit per update) while a 24 h window reads 144 keys per source.

Counts are kept in memory first (`add`, no I/O on the request's path) and written after the
response (`flush`): one atomic ADD per item. Concurrent requests in one process share a write: a
flush already running takes the counts added meanwhile, so a flood of bad requests costs a few
writes, not one each. A failed write is logged and its counts dropped: a chart is not worth an
error, nor unbounded memory.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handler.aws import AWS_ERRORS, batch_get, error_code
from handler.logs import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TALLY_PREFIX = "tally"
BLOCK_SECONDS = 600
TALLY_TTL_SECONDS = 8 * 86400  # a day beyond the console's widest window (7 days)
DUPLICATE = "duplicate"
REJECTED = "rejected"
UNKNOWN_SOURCE = "-"  # a path naming no source: never a key made of what the request says
# Counter names become attribute names: our own codes only, anything else is "other".
_COUNTER = re.compile(r"^[a-z][a-z0-9_:]{0,62}$")


def block_of(moment: float) -> int:
    return int(moment) // BLOCK_SECONDS * BLOCK_SECONDS


def tally_key(source: str, block: int) -> str:
    return f"{TALLY_PREFIX}#{source}#{block}"


def rejected(reason: str) -> str:
    """The counter of refusals for one reason: `rejected:bad_signature`."""
    return f"{REJECTED}:{reason}"


def counter_name(counter: str) -> str:
    return counter if _COUNTER.match(counter) else f"{REJECTED}:other"


@dataclass(frozen=True)
class Count:
    source: str
    counter: str  # duplicate | rejected:<reason>
    minute: int  # epoch seconds at the start of the minute
    value: int


@dataclass(eq=False)
class Tally:
    dynamodb: DynamoDBClient
    table: str
    ttl_seconds: int = TALLY_TTL_SECONDS
    _pending: dict[str, Counter[str]] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _flushing: bool = field(init=False, default=False)

    def add(self, source: str, counter: str, now: float) -> None:
        """Count one event at `now`, in memory; `flush` writes it."""
        minute = (int(now) - block_of(now)) // 60
        key = tally_key(source, block_of(now))
        with self._lock:
            self._pending.setdefault(key, Counter())[f"{counter_name(counter)}@{minute}"] += 1

    def flush(self) -> None:
        """Write what is pending, until nothing is; AWS errors are logged, not raised (it runs
        after a response)."""
        with self._lock:
            if self._flushing:
                return  # the running flush takes our counts too
            self._flushing = True
        try:
            while True:
                with self._lock:
                    pending, self._pending = self._pending, {}
                    if not pending:
                        self._flushing = False
                        return
                for key, counts in pending.items():
                    self._write(key, counts)
        except BaseException:
            with self._lock:  # a bug must not stop every later flush of this process
                self._flushing = False
            raise

    def _write(self, key: str, counts: Counter[str]) -> None:
        names = {f"#c{index}": name for index, name in enumerate(counts)}
        values: dict[str, Any] = {
            f":c{index}": {"N": str(count)} for index, count in enumerate(counts.values())
        }
        block = int(key.rsplit("#", 1)[1])
        values[":expires"] = {"N": str(block + BLOCK_SECONDS + self.ttl_seconds)}
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET expires_at = :expires ADD "
                + ", ".join(f"{name} :c{name[2:]}" for name in names),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except AWS_ERRORS as error:
            logger.warning(
                "tally write failed; counts dropped",
                extra={"tally_key": key, "aws_error": error_code(error)},
            )

    def read(self, sources: Iterable[str], since: float, until: float) -> Iterator[Count]:
        """Every count of `sources` in [since, until), by minute (the console's charts)."""
        first, last = block_of(since), block_of(until)
        keys = [
            tally_key(source, block)
            for source in sources
            for block in range(first, last + 1, BLOCK_SECONDS)
        ]
        for item in batch_get(self.dynamodb, self.table, keys):
            yield from _counts(item, since, until)


def _counts(item: dict[str, Any], since: float, until: float) -> Iterator[Count]:
    _, source, block = str(item["pk"]["S"]).split("#")
    for name, value in item.items():
        counter, at, minute = name.rpartition("@")
        if not at or not minute.isdigit():
            continue
        moment = int(block) + int(minute) * 60
        if since <= moment < until:
            yield Count(source, counter, moment, int(value["N"]))
