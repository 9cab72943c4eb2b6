"""Archived deliveries in a time window, with their dedup records: what a list of them shows.

A long-lived caller (the console re-lists every 5 s) keeps what never changes and re-reads what
does, every time:

- the keys: per day, one listing with Delimiter "." (one CommonPrefix `<id>.` per delivery: its
  `.delivery` object, or the `.body` and `.json` of the layout before it, together; a prefix
  costs the emulator a fraction of an object). A prefix seen before to hold exactly one delivery
  is taken as it; an unknown one (a new id, an id with a dot) is listed in full, and each day is
  listed in full once a minute;
- the facts of a delivery (id, source, event type, time, size) never change: from its dedup
  record, where the receiver writes them with the claim, or else (older records, expired ones)
  from its archived meta (a ranged read of the object's start), once per process;
- the dedup records, so the statuses and the counts, are read again on every call: 100 keys per
  BatchGetItem, several at a time;
- volume mode (ARCHIVE_MODE=batch): the batch objects written from the day before `since` on
  are listed too, and each one's index read once per process (one ranged GET: an object never
  changes); its deliveries are listed by reference, `<key>#<offset>+<length>`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from handler.aws import batch_get
from handler.store.archive import (
    ARCHIVE_PREFIX,
    DELIVERY_SUFFIX,
    Archive,
    day_prefixes,
    delivery_id_of,
    source_names,
)
from handler.store.batches import BATCH_PREFIX, BatchArchive, IndexEntry
from handler.store.dedup import dedup_key, plain_item

# Parallel reads: botocore's connection pool holds 10 per client.
READERS = 8
# What a list of deliveries shows of each dedup record (not the outcome: the largest attribute).
LISTED_ATTRIBUTES = (
    "pk",
    "status",
    "attempts",
    "replays",
    "last_error",
    "last_error_at",
    "failures",
    "claimed_at",
    "processed_at",
    "replayed_at",
    "lease_until",
    "expires_at",
)
# Enough for a delivery's status (views.delivery_status) and so the counts: what a page reads of
# every delivery in its window each time. A read costs the emulator per attribute and item:
# these three cost a fifth of the list above.
STATUS_ATTRIBUTES = ("pk", "status", "last_error")
# The receiver's copy of the facts (dedup.delivery_facts): read once per delivery per process.
FACT_ATTRIBUTES = ("pk", "event_type", "received_at", "body_size")
# A day listed with the delimiter trusts what it learnt of each prefix; a full listing this
# often catches what the delimiter hides (an id `a.b` arriving next to an id `a`).
FULL_LISTING_SECONDS = 60.0
# Bounds on what a process keeps (a few facts per delivery, a set of prefixes per day).
CACHE_LIMIT = 200_000
DAYS_LIMIT = 1_000


@dataclass(frozen=True)
class Facts:
    """What never changes about an archived delivery."""

    id: str
    source: str
    event_type: str
    received_at: datetime
    body_size: int

    @classmethod
    def of_meta(cls, meta: dict[str, Any]) -> Facts:
        return cls(
            id=str(meta["id"]),
            source=str(meta["source"]),
            event_type=str(meta.get("event_type", "")),
            received_at=datetime.fromisoformat(str(meta["received_at"])),
            body_size=int(meta.get("body_size", 0)),
        )

    @classmethod
    def of_record(cls, record: dict[str, Any] | None, key: str) -> Facts | None:
        """From the claim's copy, if it has one and it is this archive's (a claim made again
        after the record expired describes a later copy, archived under a later day)."""
        if not record or not {"event_type", "received_at", "body_size"} <= record.keys():
            return None
        received_at = datetime.fromisoformat(str(record["received_at"]))
        if f"/{received_at.astimezone(UTC):%Y/%m/%d}/" not in key:
            return None
        source, _, delivery_id = str(record["pk"]).partition("#")
        return cls(
            delivery_id, source, str(record["event_type"]), received_at, int(record["body_size"])
        )


@dataclass(frozen=True)
class Listed:
    """One archived delivery as a list shows it: its facts and its dedup record, as read now."""

    facts: Facts
    key: str  # the archive's: `<id>.delivery`, or `<id>.json` (the layout before it)
    record: dict[str, Any] | None

    @property
    def id(self) -> str:
        return self.facts.id

    @property
    def source(self) -> str:
        return self.facts.source

    @property
    def received_at(self) -> datetime:
        return self.facts.received_at


def dedup_keys(keys: list[str]) -> list[str]:
    """`archive/<source>/<yyyy>/<mm>/<dd>/<id>.delivery` (or `.json`) -> `<source>#<id>`."""
    return [dedup_key(key.split("/")[1], delivery_id_of(key)) for key in keys]


def read_records(
    dynamodb: Any,
    table: str,
    keys: list[str],
    attributes: tuple[str, ...] = LISTED_ATTRIBUTES,
    readers: int = 1,
) -> dict[str, dict[str, Any]]:
    """Dedup items by key (plain values, these attributes), 100 per BatchGetItem (its limit),
    `readers` at once (the emulator answers one at a time: only the parsing overlaps)."""
    names = {f"#a{index}": name for index, name in enumerate(attributes)}
    unique = list(dict.fromkeys(keys))

    def batch(chunk: list[str]) -> list[dict[str, Any]]:
        found = batch_get(
            dynamodb,
            table,
            chunk,
            ConsistentRead=True,
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
        )
        return [plain_item(item) for item in found]

    chunks = [unique[start : start + 100] for start in range(0, len(unique), 100)]
    if readers > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(min(readers, len(chunks))) as pool:
            items = [item for found in pool.map(batch, chunks) for item in found]
    else:
        items = [item for chunk in chunks for item in batch(chunk)]
    return {str(item["pk"]): item for item in items}


class Listing:
    """Lists a bucket's archive for one process; `read_meta` reads (and may cache) a meta."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        dynamodb: Any,
        table: str,
        read_meta: Callable[[str], dict[str, Any]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.s3, self.bucket, self.dynamodb, self.table = s3, bucket, dynamodb, table
        self.read_meta, self.clock = read_meta, clock
        # day prefix -> its `<day><id>.` prefixes that hold exactly one delivery, and when it
        # was last listed in full
        self.singles: dict[str, dict[str, str]] = {}
        self.listed_at: dict[str, float] = {}
        self.facts: dict[str, Facts] = {}  # archive key (or batch reference) -> facts
        self.indexes: dict[str, list[IndexEntry]] = {}  # batch object key -> its index
        self.lock = threading.Lock()  # the console's requests run on a thread pool

    def deliveries(
        self,
        source: str | None,
        since: datetime,
        until: datetime | None = None,
        attributes: tuple[str, ...] = LISTED_ATTRIBUTES,
    ) -> list[Listed]:
        """Archived deliveries received in [since, until], newest first, with these attributes
        of their records as they are now."""
        with ThreadPoolExecutor(READERS) as pool:
            days = self.day_prefixes(source, since, until)
            keys = [key for found in pool.map(self.delivery_keys, days) for key in found]
            listed = set(dedup_keys(keys))
            for reference in self.batched(source, since, until):
                pk = self.dedup_keys([reference])[0]
                if pk not in listed:  # one place per delivery (a redelivery archives it again)
                    listed.add(pk)
                    keys.append(reference)
            # The first time a key is seen, its record is read with the facts' copy too.
            unknown = [key for key in keys if key not in self.facts]
            known = [key for key in keys if key in self.facts]
            wider = tuple(dict.fromkeys(attributes + FACT_ATTRIBUTES))
            records = self.records(dedup_keys(unknown), wider) if unknown else {}
            learnt = pool.map(lambda key: (key, self._facts(key, records)), unknown)
            for key, facts in learnt:
                if facts is not None:
                    self._keep(key, facts)
            records.update(self.records(self.dedup_keys(known), attributes))
            pks = self.dedup_keys(keys)
            pairs = [(key, records.get(pk)) for key, pk in zip(keys, pks, strict=True)]
        found = []
        for key, record in pairs:
            facts = self.facts.get(key)
            if (
                facts
                and facts.received_at >= since
                and (until is None or facts.received_at <= until)
            ):
                found.append(Listed(facts, key, record))
        return sorted(found, key=lambda listed: listed.received_at, reverse=True)

    def dedup_keys(self, keys: list[str]) -> list[str]:
        """Dedup keys of archive keys, and of batch references (by their indexed facts)."""
        return [
            dedup_key(self.facts[key].source, self.facts[key].id)
            if "#" in key and key in self.facts
            else dedup_keys([key])[0]
            for key in keys
        ]

    def batched(
        self, source: str | None, since: datetime | None, until: datetime | None
    ) -> list[str]:
        """References of the deliveries in the batch objects that may hold [since, until]
        (written that day or the day after; every one when `since` is None), of `source` or
        all; their facts kept."""
        references = []
        prefixes = [f"{BATCH_PREFIX}/"]
        if since is not None:
            day = since.astimezone(UTC).date()
            last = ((until or datetime.now(UTC)) + timedelta(days=1)).astimezone(UTC).date()
            prefixes = []
            while day <= last:
                prefixes.append(f"{BATCH_PREFIX}/{day:%Y/%m/%d}/")
                day += timedelta(days=1)
        for prefix in prefixes:
            for key in self._list(prefix):
                for entry in self._index(key):
                    if source is None or entry.source == source:
                        facts = Facts(
                            entry.id,
                            entry.source,
                            entry.event_type,
                            entry.received_at,
                            entry.body_size,
                        )
                        self._keep(entry.reference, facts)
                        references.append(entry.reference)
        return references

    def _index(self, key: str) -> list[IndexEntry]:
        entries = self.indexes.get(key)
        if entries is None:
            entries = BatchArchive(Archive(self.s3, self.bucket)).index(key)
            with self.lock:
                if len(self.indexes) >= DAYS_LIMIT * 10:
                    self.indexes.clear()
                self.indexes[key] = entries
        return entries

    def records(self, keys: list[str], attributes: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        return read_records(self.dynamodb, self.table, keys, attributes, READERS)

    def day_prefixes(
        self, source: str | None, since: datetime, until: datetime | None
    ) -> list[str]:
        sources = [source] if source else source_names(self.s3, self.bucket, ARCHIVE_PREFIX)
        end = until or datetime.now(UTC)
        return [p for name in sources for p in day_prefixes(ARCHIVE_PREFIX, name, since, end)]

    def delivery_keys(self, day: str) -> list[str]:
        """The deliveries' keys under one day prefix, exactly (see the module's docstring)."""
        if self.clock() - self.listed_at.get(day, float("-inf")) >= FULL_LISTING_SECONDS:
            return self._full_listing(day)
        prefixes = [p for p in self._list(day, delimiter=".") if p.endswith(".")]
        singles = self.singles.get(day, {})
        unknown = [prefix for prefix in prefixes if prefix not in singles]
        if len(unknown) > 10:  # cheaper in one listing than one request each
            return self._full_listing(day)
        keys = [singles[prefix] for prefix in prefixes if prefix in singles]
        for prefix in unknown:
            keys += self._resolve(day, prefix, list(self._list(prefix)))
        return keys

    def _full_listing(self, day: str) -> list[str]:
        started = self.clock()
        grouped: dict[str, list[str]] = {}
        for key in self._list(day):
            rest = key[len(day) :]
            if "." in rest:
                grouped.setdefault(day + rest.split(".", 1)[0] + ".", []).append(key)
        with self.lock:
            if len(self.singles) >= DAYS_LIMIT:
                self.singles.clear()
                self.listed_at.clear()
            self.singles[day] = {}
        keys = [
            key for prefix, under in grouped.items() for key in self._resolve(day, prefix, under)
        ]
        self.listed_at[day] = started
        return keys

    def _resolve(self, day: str, prefix: str, under: list[str]) -> list[str]:
        """The deliveries' keys among the keys under `<day><first part of an id>.`; remembers
        the prefix when it holds exactly one delivery (`<id>.delivery`; or `<id>.json`, and
        `<id>.body` or not). A delivery in both layouts is listed once, as `.delivery`."""
        delivery, legacy = prefix + DELIVERY_SUFFIX.lstrip("."), prefix + "json"
        single = None
        if set(under) == {delivery}:
            single = delivery
        elif legacy in under and set(under) <= {legacy, prefix + "body"}:
            single = legacy
        if single is not None:
            with self.lock:
                self.singles.setdefault(day, {})[prefix] = single
        found = [key for key in under if key.endswith(DELIVERY_SUFFIX)]
        ids = {delivery_id_of(key) for key in found}
        return found + [k for k in under if k.endswith(".json") and delivery_id_of(k) not in ids]

    def _list(self, prefix: str, delimiter: str | None = None) -> Iterator[str]:
        extra = {"Delimiter": delimiter} if delimiter else {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, **extra
        ):
            for entry in page.get("Contents", []):
                yield str(entry["Key"])
            for common in page.get("CommonPrefixes", []):
                yield str(common["Prefix"])

    def _facts(self, key: str, records: dict[str, dict[str, Any]]) -> Facts | None:
        facts = Facts.of_record(records.get(dedup_keys([key])[0]), key)
        if facts is not None:
            return facts
        try:
            return Facts.of_meta(self.read_meta(key))
        except self.s3.exceptions.NoSuchKey:  # gone since it was listed: list its day again
            with self.lock:
                self.listed_at.pop(key.rsplit("/", 1)[0] + "/", None)
            return None

    def _keep(self, key: str, facts: Facts) -> None:
        with self.lock:
            if len(self.facts) >= CACHE_LIMIT:
                self.facts.clear()
            self.facts[key] = facts
