"""The S3 archive: the raw body byte for byte, and what we knew about it, under one key prefix.

    archive/<source>/<yyyy>/<mm>/<dd>/<delivery id>.body   the body exactly as received
    archive/<source>/<yyyy>/<mm>/<dd>/<delivery id>.json   headers, event type, size, sha256

A body too large for an SQS message is written here before the ack (the claim-check); the worker
reads it back from the same key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .queue import Envelope

ARCHIVE_PREFIX = "archive"


def archive_prefix(source: str, delivery_id: str, received_at: datetime) -> str:
    return f"{ARCHIVE_PREFIX}/{source}/{received_at:%Y/%m/%d}/{delivery_id}"


def body_key(source: str, delivery_id: str, received_at: datetime) -> str:
    return archive_prefix(source, delivery_id, received_at) + ".body"


def meta_key(source: str, delivery_id: str, received_at: datetime) -> str:
    return archive_prefix(source, delivery_id, received_at) + ".json"


@dataclass(frozen=True)
class Archive:
    s3: Any
    bucket: str

    def put_body(self, key: str, body: bytes) -> None:
        # Opaque bytes: the sender's Content-Type is in the meta. (Stored as the sender's form
        # type, moto's server parses the upload as a form and keeps nothing.)
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType="application/octet-stream"
        )

    def put_meta(self, key: str, meta: dict[str, Any]) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(meta, sort_keys=True, default=str).encode(),
            ContentType="application/json",
        )

    def record(self, envelope: Envelope, body: bytes, *, body_written: bool) -> None:
        """Archive a delivery: the body (unless the claim-check wrote it already), then its meta."""
        received_at = envelope.received_at
        if not body_written:
            self.put_body(body_key(envelope.source, envelope.id, received_at), body)
        self.put_meta(meta_key(envelope.source, envelope.id, received_at), archive_meta(envelope))

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


def archive_meta(envelope: Envelope) -> dict[str, Any]:
    return envelope.model_dump(mode="json", exclude={"body_b64", "body_key"})
