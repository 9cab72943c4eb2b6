"""Deliveries refused for their signature, kept so that a secret-rotation mistake loses nothing.

    quarantine/<source>/<yyyy>/<mm>/<dd>/<uuid>.body   the body exactly as received
    quarantine/<source>/<yyyy>/<mm>/<dd>/<uuid>.json   reason, headers, url, size, sha256

Only 401s are kept (a wrong signature, a stale timestamp: what a corrected secret or clock can
explain); never unknown sources or oversized bodies (refused before verification), never a body
above QUARANTINE_MAX_BYTES, and at most QUARANTINE_PER_MINUTE per process, so that a flood of
junk cannot fill the bucket. Nothing here is ever processed: `webhooks quarantine replay`
re-verifies a delivery with the secrets configured now, at the time it arrived, and only then
hands it off like a new one.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from handler import metrics
from handler.aws import AWS_ERRORS, error_code
from handler.logs import logger
from handler.settings import Settings, get_settings
from handler.store.archive import Archive, dated_keys, day_prefix

from .ingest import archived_headers
from .signatures import SignatureError, SignedRequest, VerificationError

QUARANTINE_PREFIX = "quarantine"

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def quarantine_prefix(source: str, quarantine_id: str, received_at: datetime) -> str:
    return day_prefix(QUARANTINE_PREFIX, source, received_at) + quarantine_id


@dataclass(frozen=True)
class QuarantinedDelivery:
    id: str
    source: str
    received_at: datetime
    method: str
    url: str
    headers: dict[str, str]
    reason: str
    detail: str
    body_sha256: str
    body_size: int
    released: dict[str, Any] | None = None  # {"at", "delivery_id"} once replayed

    @property
    def body_key(self) -> str:
        return quarantine_prefix(self.source, self.id, self.received_at) + ".body"

    @property
    def meta_key(self) -> str:
        return quarantine_prefix(self.source, self.id, self.received_at) + ".json"

    def signed_request(self, body: bytes) -> SignedRequest:
        return SignedRequest(method=self.method, url=self.url, headers=self.headers, body=body)

    def meta(self) -> dict[str, Any]:
        document = {
            "id": self.id,
            "source": self.source,
            "received_at": self.received_at.isoformat(),
            "method": self.method,
            "url": self.url,
            "headers": self.headers,
            "reason": self.reason,
            "detail": self.detail,
            "body_sha256": self.body_sha256,
            "body_size": self.body_size,
        }
        if self.released is not None:
            document["released"] = self.released
        return document

    @classmethod
    def from_meta(cls, document: Mapping[str, Any]) -> QuarantinedDelivery:
        return cls(
            id=str(document["id"]),
            source=str(document["source"]),
            received_at=datetime.fromisoformat(str(document["received_at"])),
            method=str(document.get("method", "POST")),
            url=str(document["url"]),
            headers=dict(document.get("headers", {})),
            reason=str(document["reason"]),
            detail=str(document.get("detail", "")),
            body_sha256=str(document["body_sha256"]),
            body_size=int(document["body_size"]),
            released=document.get("released"),
        )


@dataclass
class RateLimit:
    """A token bucket: `per_minute` tokens, refilled continuously; thread-safe."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _last: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A full bucket from now: at init, and after a SnapStart restore (the monotonic clock
        read at init belongs to the machine the snapshot was taken on)."""
        with self._lock:
            self._tokens = float(self.per_minute)
            self._last = self.clock()

    def take(self) -> bool:
        with self._lock:
            now = self.clock()
            rate = self.per_minute / 60.0
            # max(0, ...): a clock that went backwards must not drain the bucket for as long.
            elapsed = max(0.0, now - self._last)
            self._tokens = min(float(self.per_minute), self._tokens + elapsed * rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@dataclass
class Quarantine:
    s3: S3Client
    bucket: str
    settings: Settings = field(default_factory=get_settings)
    clock: Callable[[], float] = time.time
    limit: RateLimit = field(init=False)

    def __post_init__(self) -> None:
        self.limit = RateLimit(self.settings.quarantine_per_minute)

    @classmethod
    def from_archive(cls, archive: Archive, settings: Settings | None = None) -> Quarantine:
        """Next to the archive, in the same bucket, with limits from QUARANTINE_* variables."""
        return cls(archive.s3, archive.bucket, settings or get_settings())

    def keep(
        self, source: str, request: SignedRequest, error: VerificationError
    ) -> QuarantinedDelivery | None:
        """Store a delivery refused for its signature; never raises (it runs after the 401)."""
        if not isinstance(error, SignatureError) or not self.settings.quarantine_enabled:
            return None
        if len(request.body) > self.settings.quarantine_max_bytes:
            self._skip(source, "too_large")
            return None
        if not self.limit.take():
            self._skip(source, "rate_limited")
            return None
        item = QuarantinedDelivery(
            id=uuid.uuid4().hex,
            source=source,
            received_at=datetime.fromtimestamp(self.clock(), UTC),
            method=request.method,
            url=request.url,
            headers=archived_headers(request.headers),
            reason=error.reason,
            detail=error.detail,
            body_sha256=hashlib.sha256(request.body).hexdigest(),
            body_size=len(request.body),
        )
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=item.body_key,
                Body=request.body,
                ContentType="application/octet-stream",
            )
            self._put_meta(item)
        except AWS_ERRORS as failure:
            logger.warning(
                "quarantine failed",
                extra={"source": source, "reason": error.reason, "aws_error": error_code(failure)},
            )
            self._skip(source, "store_failed")
            return None
        logger.info(
            "quarantined",
            extra={"source": source, "quarantine_id": item.id, "reason": error.reason},
        )
        metrics.quarantined(source)
        return item

    def _skip(self, source: str, reason: str) -> None:
        logger.info("not quarantined", extra={"source": source, "skipped": reason})
        metrics.quarantine_skipped(source, reason)

    def _put_meta(self, item: QuarantinedDelivery) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=item.meta_key,
            Body=json.dumps(item.meta(), sort_keys=True).encode(),
            ContentType="application/json",
        )

    def items(
        self,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[QuarantinedDelivery]:
        """Quarantined deliveries, oldest day first (within a day, in key order)."""
        for key in dated_keys(self.s3, self.bucket, QUARANTINE_PREFIX, source, since, until):
            if key.endswith(".json"):
                item = QuarantinedDelivery.from_meta(self._read_json(key))
                if (since is None or item.received_at >= since) and (
                    until is None or item.received_at <= until
                ):
                    yield item

    def load(self, quarantine_id: str, source: str | None = None) -> QuarantinedDelivery | None:
        for key in dated_keys(self.s3, self.bucket, QUARANTINE_PREFIX, source, None, None):
            if key.endswith(f"/{quarantine_id}.json"):
                return QuarantinedDelivery.from_meta(self._read_json(key))
        return None

    def body(self, item: QuarantinedDelivery) -> bytes:
        response = self.s3.get_object(Bucket=self.bucket, Key=item.body_key)
        return bytes(response["Body"].read())

    def mark_released(self, item: QuarantinedDelivery, delivery_id: str) -> QuarantinedDelivery:
        released = {"at": datetime.fromtimestamp(self.clock(), UTC).isoformat()}
        released["delivery_id"] = delivery_id
        updated = QuarantinedDelivery(**{**item.__dict__, "released": released})
        self._put_meta(updated)
        return updated

    def _read_json(self, key: str) -> dict[str, Any]:
        response = self.s3.get_object(Bucket=self.bucket, Key=key)
        document: dict[str, Any] = json.loads(response["Body"].read())
        return document
