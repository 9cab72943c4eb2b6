"""An in-memory S3: strong read-after-write, If-None-Match on PUT, Range on GET."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import client_error, with_metadata


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    etag: str
    content_type: str


class Body(io.BytesIO):
    """What `get_object(...)["Body"]` reads like: a botocore StreamingBody's read()."""


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class S3Store:
    def __init__(self) -> None:
        self.buckets: dict[str, dict[str, StoredObject]] = {}
        self.on_put: Callable[[str, str, bytes], None] = lambda bucket, key, body: None

    def create_bucket(self, name: str) -> None:
        self.buckets.setdefault(name, {})

    def _bucket(self, operation: str, name: str) -> dict[str, StoredObject]:
        bucket = self.buckets.get(name)
        if bucket is None:
            raise client_error(
                operation, "NoSuchBucket", "The specified bucket does not exist", 404
            )
        return bucket

    def put_object(self, **request: Any) -> dict[str, Any]:
        bucket = self._bucket("PutObject", request["Bucket"])
        key = request["Key"]
        body = request.get("Body", b"")
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes | bytearray):
            body = body.read()
        body = bytes(body)
        if request.get("IfNoneMatch") == "*" and key in bucket:
            raise client_error(
                "PutObject",
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                412,
            )
        etag = '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
        bucket[key] = StoredObject(body, etag, request.get("ContentType", "binary/octet-stream"))
        self.on_put(request["Bucket"], key, body)
        return with_metadata({"ETag": etag})

    def _object(self, operation: str, request: dict[str, Any], missing: str) -> StoredObject:
        bucket = self._bucket(operation, request["Bucket"])
        found = bucket.get(request["Key"])
        if found is None:
            if missing == "404":  # HEAD has no body: botocore reports the status as the code
                raise client_error(operation, "404", "Not Found", 404)
            raise client_error(operation, missing, "The specified key does not exist.", 404)
        return found

    def get_object(self, **request: Any) -> dict[str, Any]:
        found = self._object("GetObject", request, "NoSuchKey")
        body = found.body
        response: dict[str, Any] = {"ETag": found.etag, "ContentType": found.content_type}
        wanted = request.get("Range")
        status = 200
        if wanted:
            match = _RANGE.match(wanted)
            if match is None or (match.group(1) == "" and match.group(2) == ""):
                raise client_error("GetObject", "InvalidRange", "bad range", 416)
            first, last = match.group(1), match.group(2)
            size = len(body)
            if first == "":  # the last N bytes
                start, end = max(0, size - int(last)), size - 1
            else:
                start = int(first)
                end = min(size - 1, int(last)) if last else size - 1
            if start >= size:
                raise client_error(
                    "GetObject", "InvalidRange", "The requested range is not satisfiable", 416
                )
            response["ContentRange"] = f"bytes {start}-{end}/{size}"
            body = body[start : end + 1]
            status = 206
        response["Body"] = Body(body)
        response["ContentLength"] = len(body)
        return with_metadata(response, status)

    def head_object(self, **request: Any) -> dict[str, Any]:
        found = self._object("HeadObject", request, "404")
        return with_metadata(
            {
                "ETag": found.etag,
                "ContentLength": len(found.body),
                "ContentType": found.content_type,
            }
        )

    def delete_object(self, **request: Any) -> dict[str, Any]:
        bucket = self._bucket("DeleteObject", request["Bucket"])
        bucket.pop(request["Key"], None)
        return with_metadata({}, 204)

    def list_objects_v2(self, **request: Any) -> dict[str, Any]:
        bucket = self._bucket("ListObjectsV2", request["Bucket"])
        prefix = request.get("Prefix", "")
        keys = sorted(k for k in bucket if k.startswith(prefix))
        return with_metadata(
            {
                "Contents": [{"Key": k, "Size": len(bucket[k].body)} for k in keys],
                "KeyCount": len(keys),
                "IsTruncated": False,
            }
        )
