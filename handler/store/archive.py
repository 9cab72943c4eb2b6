"""The S3 archive: each delivery's raw body byte for byte, and what we knew about it.

One object per delivery, written once by one writer (never over an existing object):

    archive/<source>/<yyyy>/<mm>/<dd>/<delivery id>.delivery

    webhook-delivery/1\\n          a fixed first line: the format and its version
    {"body_sha256": ..., ...}\\n   the meta, one line of JSON (ASCII: json.dumps escapes
                                  every newline): headers, url, event type, size, sha256,
                                  ack_ms when known
    <the body, exactly as received, to the end of the object>

The meta comes first so that a list reads it with one ranged GET of the object's start
(`read_meta`), never the body. The worker writes the object from the SQS message (the envelope
carries everything); a body too large for a message is written here by the receiver before the
ack (the claim-check), in this same final form, and the message carries its key.

Archives written before this layout are two objects, `<id>.body` (the raw body) and `<id>.json`
(the meta); every reader goes through `Archive.read` / `read_meta` / `body`, which read either
layout (and the volume mode's batch objects: a reference `<key>#<offset>+<length>`). The
quarantine uses the same dated layout under its own root; `dated_keys` lists either for a range
of days (the CLI).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from handler.aws import error_code

from .queue import Envelope

ARCHIVE_PREFIX = "archive"
DELIVERY_SUFFIX = ".delivery"
FRAME_MAGIC = b"webhook-delivery/1\n"
# A list reads this much of an object's start for its meta (one line: headers are a few KiB).
META_READ_BYTES = 16 * 1024
# S3's answers to a conditional write that found the key taken (412) or raced another (409).
TAKEN = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
MISSING = frozenset({"404", "NoSuchKey", "NotFound"})

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ArchiveConflict(Exception):
    """A delivery id already archived, that day, with other bytes: never overwritten."""


class ArchiveFormatError(ValueError):
    """An archive object that is not what its key says (truncated, or another format)."""


def day_prefix(root: str, source: str, day: date) -> str:
    """`root/<source>/<yyyy>/<mm>/<dd>/`: the layout of the archive and of the quarantine."""
    return f"{root}/{source}/{day:%Y/%m/%d}/"


def archive_prefix(source: str, delivery_id: str, received_at: datetime) -> str:
    return day_prefix(ARCHIVE_PREFIX, source, received_at) + delivery_id


def delivery_key(source: str, delivery_id: str, received_at: datetime) -> str:
    """The one object of a delivery archived in this layout."""
    return archive_prefix(source, delivery_id, received_at) + DELIVERY_SUFFIX


def body_key(source: str, delivery_id: str, received_at: datetime) -> str:
    """Layout before `.delivery`: the raw body (read only)."""
    return archive_prefix(source, delivery_id, received_at) + ".body"


def meta_key(source: str, delivery_id: str, received_at: datetime) -> str:
    """Layout before `.delivery`: the meta (read only)."""
    return archive_prefix(source, delivery_id, received_at) + ".json"


def batch_reference(key: str, offset: int, length: int) -> str:
    """Where one delivery sits inside a volume-mode batch object (handler/store/batches.py)."""
    return f"{key}#{offset}+{length}"


def parse_reference(reference: str) -> tuple[str, int, int] | None:
    """(key, offset, length) of a batch reference, or None for a plain key."""
    key, hash_sign, span = reference.rpartition("#")
    if not hash_sign:
        return None
    offset, _, length = span.partition("+")
    return key, int(offset), int(length)


def encode_delivery(meta: dict[str, Any], body: bytes) -> bytes:
    line = json.dumps(meta, sort_keys=True, separators=(",", ":"), default=str).encode()
    return FRAME_MAGIC + line + b"\n" + body


def decode_meta(data: bytes) -> tuple[dict[str, Any], int] | None:
    """The meta of a frame and where its body starts; None if `data` (a prefix of the frame)
    ends before the meta line does."""
    if not data.startswith(FRAME_MAGIC):
        raise ArchiveFormatError("not a webhook-delivery/1 object")
    end = data.find(b"\n", len(FRAME_MAGIC))
    if end < 0:
        return None
    meta: dict[str, Any] = json.loads(data[len(FRAME_MAGIC) : end])
    return meta, end + 1


def decode_delivery(data: bytes) -> tuple[dict[str, Any], bytes]:
    decoded = decode_meta(data)
    if decoded is None:
        raise ArchiveFormatError("truncated: the meta line never ends")
    meta, start = decoded
    body = data[start:]
    if len(body) != int(meta.get("body_size", len(body))):
        raise ArchiveFormatError(f"truncated: {len(body)} of {meta.get('body_size')} bytes")
    return meta, body


@dataclass(frozen=True)
class StoredDelivery:
    """An archived delivery as read back: its meta and its raw body."""

    reference: str  # a `.delivery` key, a batch reference, or a legacy `.json` key
    meta: dict[str, Any]
    body: bytes


@dataclass(frozen=True)
class Archive:
    s3: S3Client
    bucket: str

    # Writing ---------------------------------------------------------------------------------

    def put_new(self, key: str, data: bytes) -> bool:
        """Write `key` unless it exists (If-None-Match: *): True if written, False if it was
        there already. Never an overwrite: an archived body stays what it was."""
        try:
            # Opaque bytes: the sender's Content-Type is in the meta. (Stored as the sender's
            # form type, moto's server parses the upload as a form and keeps nothing.)
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType="application/octet-stream",
                IfNoneMatch="*",
            )
        except ClientError as error:
            if error_code(error) in TAKEN:
                return False
            raise
        return True

    def write(self, envelope: Envelope, body: bytes, *, ack_ms: float | None = None) -> bool:
        """Archive a delivery in one object at its `delivery_key`: True if this call wrote it,
        False if it was archived already (a redelivery, a retried hand-off)."""
        key = delivery_key(envelope.source, envelope.id, envelope.received_at)
        return self.put_new(key, encode_delivery(archive_meta(envelope, ack_ms), body))

    # Reading: every reader of the archive comes through here -------------------------------

    def read(self, reference: str) -> StoredDelivery:
        """An archived delivery, whatever its layout: a `.delivery` object, a batch reference,
        or (archives from before `.delivery`) a `.json` or `.body` key of the pair. A missing
        `.delivery` key is looked for as the pair: `read(delivery_key(...))` finds either."""
        located = parse_reference(reference)
        if located is not None:
            meta, body = decode_delivery(self.range(*located))
            return StoredDelivery(reference, meta, body)
        if reference.endswith((".json", ".body")):
            stem = reference.rsplit(".", 1)[0]
            meta = json.loads(self.get(stem + ".json"))
            return StoredDelivery(stem + ".json", meta, self.get(stem + ".body"))
        try:
            data = self.get(reference)
        except ClientError as error:
            if error_code(error) not in MISSING or not reference.endswith(DELIVERY_SUFFIX):
                raise
            # Archived before `.delivery`: the same stem holds the pair.
            return self.read(reference.removesuffix(DELIVERY_SUFFIX) + ".json")
        meta, body = decode_delivery(data)
        return StoredDelivery(reference, meta, body)

    def read_meta(self, reference: str) -> dict[str, Any]:
        """Only the meta: the start of the object (or the legacy `.json`)."""
        located = parse_reference(reference)
        if reference.endswith((".json", ".body")) and located is None:
            document: dict[str, Any] = json.loads(self.get(reference.rsplit(".", 1)[0] + ".json"))
            return document
        key, offset, length = located or (reference, 0, None)
        size = META_READ_BYTES if length is None else min(length, META_READ_BYTES)
        try:
            decoded = decode_meta(self.range(key, offset, size))
        except ClientError as error:
            if error_code(error) not in MISSING or not reference.endswith(DELIVERY_SUFFIX):
                raise
            return self.read_meta(reference.removesuffix(DELIVERY_SUFFIX) + ".json")
        if decoded is None:  # a meta line longer than the first read: read the whole frame
            decoded = decode_meta(
                self.get(key) if length is None else self.range(key, offset, length)
            )
        if decoded is None:
            raise ArchiveFormatError(f"{reference}: the meta line never ends")
        return decoded[0]

    def body(self, reference: str) -> bytes:
        """A delivery's raw body by the reference a message carries (`Envelope.body_key`): a
        claim-check `.delivery` object, a batch reference, or a legacy raw `.body` key."""
        if reference.endswith(".body") and parse_reference(reference) is None:
            return self.get(reference)  # a legacy claim-check: the raw body, no meta
        return self.read(reference).body

    def find(self, source: str, delivery_id: str, received_at: datetime) -> str | None:
        """The key of a delivery archived on that day, in either layout, or None (operators'
        tools only: one HEAD per layout)."""
        for key in (
            delivery_key(source, delivery_id, received_at),
            meta_key(source, delivery_id, received_at),
        ):
            if self.exists(key):
                return key
        return None

    def get(self, key: str) -> bytes:
        response = self.s3.get_object(Bucket=self.bucket, Key=key)
        return bytes(response["Body"].read())

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error_code(error) in MISSING:
                return False
            raise
        return True

    def range(self, key: str, offset: int, length: int) -> bytes:
        """`length` bytes of `key` from `offset` (fewer at its end): one ranged GET."""
        response = self.s3.get_object(
            Bucket=self.bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}"
        )
        return bytes(response["Body"].read())


def is_delivery_key(key: str) -> bool:
    """An archived delivery's key in a listing: `.delivery`, or a legacy pair's `.json`."""
    return key.endswith((DELIVERY_SUFFIX, ".json"))


def delivery_id_of(key: str) -> str:
    """`archive/<source>/<yyyy>/<mm>/<dd>/<id>.delivery` (or `.json`) -> `<id>`."""
    name = key.rsplit("/", 1)[-1]
    return name.removesuffix(DELIVERY_SUFFIX).removesuffix(".json")


def archive_meta(envelope: Envelope, ack_ms: float | None = None) -> dict[str, Any]:
    """The envelope without its body, and the ack latency when known (the console's latency
    chart reads it)."""
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
