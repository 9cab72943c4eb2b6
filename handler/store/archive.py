"""The S3 archive: the raw body byte for byte, and what we knew about it, under one key prefix.

    archive/<source>/<yyyy>/<mm>/<dd>/<delivery id>.body   the body exactly as received
    archive/<source>/<yyyy>/<mm>/<dd>/<delivery id>.json   headers, event type, size, sha256,
                                                           ack_ms (request to ack, when known)

A body too large for an SQS message is written here before the ack (the claim-check); the worker
reads it back from the same key. The quarantine uses the same dated layout under its own root;
`dated_keys` lists either for a range of days (the CLI).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from .queue import Envelope

ARCHIVE_PREFIX = "archive"

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def day_prefix(root: str, source: str, day: date) -> str:
    """`root/<source>/<yyyy>/<mm>/<dd>/`: the layout of the archive and of the quarantine."""
    return f"{root}/{source}/{day:%Y/%m/%d}/"


def archive_prefix(source: str, delivery_id: str, received_at: datetime) -> str:
    return day_prefix(ARCHIVE_PREFIX, source, received_at) + delivery_id


def body_key(source: str, delivery_id: str, received_at: datetime) -> str:
    return archive_prefix(source, delivery_id, received_at) + ".body"


def meta_key(source: str, delivery_id: str, received_at: datetime) -> str:
    return archive_prefix(source, delivery_id, received_at) + ".json"


@dataclass(frozen=True)
class Archive:
    s3: S3Client
    bucket: str

    def put_body(self, key: str, body: bytes) -> None:
        # Opaque bytes: the sender's Content-Type is in the meta. (Stored as the sender's form
        # type, moto's server parses the upload as a form and keeps nothing.)
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType="application/octet-stream"
        )

    def put_meta(self, key: str, meta: dict[str, Any], *, only_new: bool = False) -> None:
        """`only_new`: unless the key exists by then (S3's conditional write, If-None-Match)."""
        condition: dict[str, Any] = {"IfNoneMatch": "*"} if only_new else {}
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=json.dumps(meta, sort_keys=True, default=str).encode(),
                ContentType="application/json",
                **condition,
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if not only_new or code not in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise

    def record(
        self,
        envelope: Envelope,
        body: bytes,
        *,
        body_written: bool,
        ack_ms: float | None = None,
        only_new: bool = False,
    ) -> None:
        """Archive a delivery: the body (unless the claim-check wrote it already), then its meta.
        `only_new` (the worker re-creating it): never over the receiver's meta, written meanwhile
        after its ack, which alone knows the ack latency."""
        received_at = envelope.received_at
        if not body_written:
            self.put_body(body_key(envelope.source, envelope.id, received_at), body)
        meta = archive_meta(envelope, ack_ms)
        self.put_meta(meta_key(envelope.source, envelope.id, received_at), meta, only_new=only_new)

    def get(self, key: str) -> bytes:
        response = self.s3.get_object(Bucket=self.bucket, Key=key)
        return bytes(response["Body"].read())

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True


def archive_meta(envelope: Envelope, ack_ms: float | None = None) -> dict[str, Any]:
    """The envelope without its body, and the ack latency: written after the ack, the meta is
    where it costs no extra write (the console's latency chart reads it)."""
    meta = envelope.model_dump(mode="json", exclude={"body_b64", "body_key"})
    if ack_ms is not None:
        meta["ack_ms"] = round(ack_ms, 3)
    return meta


def envelope_fields(meta: dict[str, Any]) -> dict[str, Any]:
    """The Envelope's part of a meta (the model forbids the rest, such as `ack_ms`)."""
    return {name: value for name, value in meta.items() if name in Envelope.model_fields}


def day_prefixes(root: str, source: str, since: datetime, until: datetime) -> list[str]:
    day = since.astimezone(UTC).date()
    last = until.astimezone(UTC).date()
    prefixes = []
    while day <= last:
        prefixes.append(day_prefix(root, source, day))
        day += timedelta(days=1)
    return prefixes


def source_names(s3: Any, bucket: str, root: str) -> list[str]:
    """The sources that have objects under `root/` (one level of "directory")."""
    names: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{root}/", Delimiter="/"
    ):
        for common in page.get("CommonPrefixes", []):
            names.append(str(common["Prefix"])[len(root) + 1 :].rstrip("/"))
    return names


def dated_keys(
    s3: Any,
    bucket: str,
    root: str,
    source: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[str]:
    """Keys under `root/<source>/<yyyy>/<mm>/<dd>/`, listing only the days in [since, until]."""
    if since is None:
        prefixes = [f"{root}/{source}/" if source else f"{root}/"]
    else:
        end = until or datetime.now(UTC)
        sources = [source] if source else source_names(s3, bucket, root)
        prefixes = [p for name in sources for p in day_prefixes(root, name, since, end)]
    for prefix in prefixes:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                yield str(entry["Key"])
