"""Finding archived deliveries: by id, by time window, with their dedup records and bodies."""

from __future__ import annotations

import base64
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handler.receive.signatures import SignedRequest
from handler.store.archive import ARCHIVE_PREFIX, dated_keys, envelope_fields, meta_key
from handler.store.dedup import dedup_key
from handler.store.queue import Envelope

from .context import Context
from .errors import CliError, NotFound


@dataclass
class ArchivedDelivery:
    meta: dict[str, Any]  # the archive's .json: every Envelope field but the body
    meta_key: str
    record: dict[str, Any] | None = None  # the dedup item, when read

    @property
    def id(self) -> str:
        return str(self.meta["id"])

    @property
    def source(self) -> str:
        return str(self.meta["source"])

    @property
    def received_at(self) -> datetime:
        return datetime.fromisoformat(str(self.meta["received_at"]))

    @property
    def body_key(self) -> str:
        return self.meta_key.removesuffix(".json") + ".body"

    @property
    def status(self) -> str:
        return str(self.record["status"]) if self.record else "unknown"

    def signed_request(self, body: bytes) -> SignedRequest:
        return SignedRequest("POST", str(self.meta["url"]), dict(self.meta["headers"]), body)

    def envelope(self, body: bytes, claim_check_bytes: int) -> Envelope:
        """Inline when small, else pointing at the archived body (the worker reads it there)."""
        fields = envelope_fields(self.meta)  # not ack_ms: the model forbids what it lacks
        if len(body) > claim_check_bytes:
            return Envelope.model_validate({**fields, "body_key": self.body_key})
        return Envelope.model_validate({**fields, "body_b64": base64.b64encode(body).decode()})


# An archive's .json is written once and never changed, so a long-lived caller (the console,
# which re-lists every few seconds) can keep what it read; bounded so it cannot grow forever.
META_CACHE_LIMIT = 50_000
# Parallel S3 reads when listing: one GET per delivery is the cost of a list; botocore's
# connection pool holds 10.
LIST_READERS = 8
# What a list of deliveries shows of each dedup record.
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


@dataclass
class Deliveries(Context):
    """Archived deliveries with their dedup records; the .json files read are kept."""

    _metas: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)

    def read_meta(self, key: str) -> dict[str, Any]:
        document = self._metas.get(key)
        if document is None:
            document = json.loads(self.archive.get(key))
            if len(self._metas) >= META_CACHE_LIMIT:
                self._metas.clear()
            self._metas[key] = document
        return document

    def locate(self, delivery_id: str, source: str | None = None) -> ArchivedDelivery:
        """The archived delivery: the dedup record says when it came (so which day's key);
        without one, the archive of the source (or every source) is listed."""
        candidates = [source] if source else sorted(self.sources)
        for name in candidates:
            record = self.dedup.get(dedup_key(name, delivery_id))
            if record is None:
                continue
            stamps = [int(record[k]) for k in ("claimed_at", "processed_at") if k in record]
            for stamp in stamps:
                day = datetime.fromtimestamp(stamp, UTC)
                for shift in (0, -1, 1):
                    key = meta_key(name, delivery_id, day + timedelta(days=shift))
                    if self.archive.exists(key):
                        return ArchivedDelivery(self.read_meta(key), key, record)
        s3, bucket = self.clients.s3, self.settings.archive_bucket
        for key in dated_keys(s3, bucket, ARCHIVE_PREFIX, source, None, None):
            if key.endswith(f"/{delivery_id}.json"):
                delivery = ArchivedDelivery(self.read_meta(key), key)
                delivery.record = self.dedup.get(dedup_key(delivery.source, delivery.id))
                return delivery
        where = f" for source {source!r}" if source else ""
        raise NotFound(f"no archived delivery with id {delivery_id!r}{where}")

    def deliveries(
        self,
        source: str | None,
        since: datetime,
        until: datetime | None = None,
    ) -> list[ArchivedDelivery]:
        """Archived deliveries received in [since, until], newest first, with dedup records.

        The key names the source and id, so the dedup records are fetched while the listing
        goes on, 100 per request, at the same time as the .json files are read."""
        s3, bucket = self.clients.s3, self.settings.archive_bucket
        keys: list[str] = []
        batches = []
        with ThreadPoolExecutor(LIST_READERS) as pool:
            for key in dated_keys(s3, bucket, ARCHIVE_PREFIX, source, since, until):
                if key.endswith(".json"):
                    keys.append(key)
                    if len(keys) % 100 == 0:
                        batches.append(pool.submit(self.records, _dedup_keys(keys[-100:])))
            if len(keys) % 100:
                batches.append(pool.submit(self.records, _dedup_keys(keys[-(len(keys) % 100) :])))
            metas = list(pool.map(self.read_meta, keys))
            records = {k: v for batch in batches for k, v in batch.result().items()}
        found = []
        for key, meta in zip(keys, metas, strict=True):
            delivery = ArchivedDelivery(meta, key)
            if delivery.received_at >= since and (until is None or delivery.received_at <= until):
                delivery.record = records.get(dedup_key(delivery.source, delivery.id))
                found.append(delivery)
        return sorted(found, key=lambda d: d.received_at, reverse=True)

    def records(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """Dedup items by key, 100 per BatchGetItem (its limit), without the processor's
        outcome (the largest attribute; `locate` reads whole records)."""
        found: dict[str, dict[str, Any]] = {}
        table = self.settings.idempotency_table
        names = {f"#a{index}": name for index, name in enumerate(LISTED_ATTRIBUTES)}
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                table: {
                    "Keys": [
                        {"pk": {"S": key}} for key in dict.fromkeys(keys[start : start + 100])
                    ],
                    "ConsistentRead": True,
                    "ProjectionExpression": ", ".join(names),
                    "ExpressionAttributeNames": names,
                }
            }
            while request:
                response = self.clients.dynamodb.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(table, []):
                    plain = {name: next(iter(value.values())) for name, value in item.items()}
                    found[str(plain["pk"])] = plain
                request = response.get("UnprocessedKeys") or {}
        return found

    def body(self, delivery: ArchivedDelivery) -> bytes:
        body = self.archive.get(delivery.body_key)
        if hashlib.sha256(body).hexdigest() != delivery.meta.get("body_sha256"):
            raise CliError(f"delivery {delivery.id}: the archived body does not match its sha256")
        return body


def _dedup_keys(archive_keys: list[str]) -> list[str]:
    """`archive/<source>/<yyyy>/<mm>/<dd>/<id>.json` -> `<source>#<id>` (storage.archive_prefix)."""
    return [
        dedup_key(key.split("/")[1], key.rsplit("/", 1)[-1].removesuffix(".json"))
        for key in archive_keys
    ]
