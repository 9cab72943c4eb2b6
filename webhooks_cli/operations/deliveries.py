"""Finding archived deliveries: by id, by time window, with their dedup records and bodies."""

from __future__ import annotations

import base64
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from handler.receive.signatures import SignedRequest
from handler.store.archive import (
    ARCHIVE_PREFIX,
    dated_keys,
    delivery_id_of,
    envelope_fields,
    is_delivery_key,
)
from handler.store.dedup import dedup_key
from handler.store.queue import Envelope
from webhooks_cli.operations.listing import READERS, Listing, read_records

from .context import Context
from .errors import CliError, NotFound


@dataclass
class ArchivedDelivery:
    meta: dict[str, Any]  # every Envelope field but the body (archive.archive_meta)
    # Where it is archived, as `Archive.read` takes it: `<id>.delivery`, a volume-mode batch
    # reference, or `<id>.json` (the layout before `.delivery`).
    key: str
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
    def locations(self) -> dict[str, str]:
        """Where its meta and its body are: one object, or the pair before `.delivery`."""
        return {"meta": self.key, "body": self.body_reference}

    @property
    def body_reference(self) -> str:
        """What a message carries to have the worker read the body from the archive."""
        return self.key.removesuffix(".json") + ".body" if self.key.endswith(".json") else self.key

    @property
    def status(self) -> str:
        return str(self.record["status"]) if self.record else "unknown"

    def signed_request(self, body: bytes) -> SignedRequest:
        return SignedRequest("POST", str(self.meta["url"]), dict(self.meta["headers"]), body)

    def envelope(self, body: bytes, claim_check_bytes: int) -> Envelope:
        """Inline when small, else pointing at the archived body (the worker reads it there)."""
        fields = envelope_fields(self.meta)  # not ack_ms: the model forbids what it lacks
        if len(body) > claim_check_bytes:
            return Envelope.model_validate({**fields, "body_key": self.body_reference})
        return Envelope.model_validate({**fields, "body_b64": base64.b64encode(body).decode()})


# An archive's meta is written once and never changed, so a long-lived caller (the console,
# which re-lists every few seconds) can keep what it read; bounded so it cannot grow forever.
META_CACHE_LIMIT = 50_000


@dataclass
class Deliveries(Context):
    """Archived deliveries with their dedup records; the metas read are kept."""

    _metas: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)

    def read_meta(self, key: str) -> dict[str, Any]:
        document = self._metas.get(key)
        if document is None:
            document = self.archive.read_meta(key)
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
            if record.get("archive_ref"):  # volume mode: its place in a batch object
                reference = str(record["archive_ref"])
                return ArchivedDelivery(self.read_meta(reference), reference, record)
            stamps = [int(record[k]) for k in ("claimed_at", "processed_at") if k in record]
            for stamp in stamps:
                day = datetime.fromtimestamp(stamp, UTC)
                for shift in (0, -1, 1):
                    key = self.archive.find(name, delivery_id, day + timedelta(days=shift))
                    if key is not None:
                        return ArchivedDelivery(self.read_meta(key), key, record)
        s3, bucket = self.clients.s3, self.settings.archive_bucket
        for key in dated_keys(s3, bucket, ARCHIVE_PREFIX, source, None, None):
            if is_delivery_key(key) and delivery_id_of(key) == delivery_id:
                delivery = ArchivedDelivery(self.read_meta(key), key)
                delivery.record = self.dedup.get(dedup_key(delivery.source, delivery.id))
                return delivery
        # Volume mode, its record expired: the batch objects' indexes.
        for reference in self.listing.batched(source, None, None):
            facts = self.listing.facts[reference]
            if facts.id == delivery_id:
                delivery = ArchivedDelivery(self.read_meta(reference), reference)
                delivery.record = self.dedup.get(dedup_key(facts.source, facts.id))
                return delivery
        where = f" for source {source!r}" if source else ""
        raise NotFound(f"no archived delivery with id {delivery_id!r}{where}")

    @cached_property
    def listing(self) -> Listing:
        """What the process learnt of the archive: the console lists it every few seconds."""
        return Listing(
            self.clients.s3,
            self.settings.archive_bucket,
            self.clients.dynamodb,
            self.settings.idempotency_table,
            self.read_meta,
        )

    def deliveries(
        self,
        source: str | None,
        since: datetime,
        until: datetime | None = None,
    ) -> list[ArchivedDelivery]:
        """Archived deliveries received in [since, until], newest first, with dedup records and
        whole metas (a replay needs the URL and headers); a list needs `listing` only."""
        listed = self.listing.deliveries(source, since, until)
        with ThreadPoolExecutor(READERS) as pool:
            metas = list(pool.map(self.read_meta, [found.key for found in listed]))
        return [
            ArchivedDelivery(meta, found.key, found.record)
            for found, meta in zip(listed, metas, strict=True)
        ]

    def records(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """Dedup items by key, without the processor's outcome (`locate` reads whole records)."""
        return read_records(self.clients.dynamodb, self.settings.idempotency_table, keys)

    def body(self, delivery: ArchivedDelivery) -> bytes:
        body = self.archive.read(delivery.key).body
        if hashlib.sha256(body).hexdigest() != delivery.meta.get("body_sha256"):
            raise CliError(f"delivery {delivery.id}: the archived body does not match its sha256")
        return body
