"""Where the example processors put their effects: small JSON documents in S3, by natural key.

    effects/<source>/<kind>/<natural key>.json     e.g. effects/stripe/invoices/in_123.json

A real processor would call a billing system or a database; the shape to copy is the same:
key the effect by something that does not change when the sender retries (the invoice id, the
pull request number), and look before writing, so that a second delivery, a replay or a retry
after a crash finds the effect already there and does nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

EFFECTS_PREFIX = "effects"

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class EffectStore:
    s3: S3Client
    bucket: str

    def key(self, source: str, kind: str, name: str) -> str:
        return f"{EFFECTS_PREFIX}/{source}/{kind}/{name}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        document: dict[str, Any] = json.loads(response["Body"].read())
        return document

    def put(self, key: str, document: dict[str, Any]) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(document, sort_keys=True).encode(),
            ContentType="application/json",
        )
