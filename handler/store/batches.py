"""Volume mode (ARCHIVE_MODE=batch): one archive object per SQS batch instead of one per delivery.

    archive-batches/<yyyy>/<mm>/<dd>/<hhmmss>-<uuid>.batch    (the day the worker wrote it)

    webhook-batch/1\\n
    {"deliveries": [{"source", "id", "received_at", "event_type", "body_size",
                     "offset", "length"}, ...]}\\n        the index, one line of JSON
    <frame><frame>...                                    each a `.delivery` object's bytes

Each frame is exactly what `<id>.delivery` would hold (handler/store/archive.py), so one reader
decodes both; an index offset counts from the first frame. A delivery's place is kept on its
dedup record (`archive_ref`, `<key>#<offset>+<length>` from the object's start, written with the
worker's hold: no write of its own) and read with one ranged GET. The index keeps every delivery
findable after its record's TTL: a list reads the start of each batch object of a day.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .archive import (
    Archive,
    ArchiveFormatError,
    archive_meta,
    batch_reference,
    encode_delivery,
)
from .queue import Envelope

BATCH_PREFIX = "archive-batches"
BATCH_MAGIC = b"webhook-batch/1\n"
# A list reads this much of a batch object for its index (10 deliveries: about 2 KiB).
INDEX_READ_BYTES = 64 * 1024


@dataclass(frozen=True)
class IndexEntry:
    source: str
    id: str
    received_at: datetime
    event_type: str
    body_size: int
    reference: str  # where its frame is: `batch_reference(key, offset, length)`


def batch_key(now: datetime) -> str:
    return f"{BATCH_PREFIX}/{now:%Y/%m/%d}/{now:%H%M%S}-{uuid.uuid4().hex}.batch"


def encode_batch(
    items: Sequence[tuple[Envelope, bytes, float | None]],
) -> tuple[bytes, list[tuple[int, int]]]:
    """The object's bytes for (envelope, body, ack_ms) items, and each frame's (offset, length)
    from the object's start, in the items' order."""
    frames = [encode_delivery(archive_meta(e, ack_ms), body) for e, body, ack_ms in items]
    entries: list[dict[str, Any]] = []
    start = 0
    for (envelope, _, _), frame in zip(items, frames, strict=True):
        entries.append(
            {
                "source": envelope.source,
                "id": envelope.id,
                "received_at": envelope.received_at.isoformat(),
                "event_type": envelope.event_type,
                "body_size": envelope.body_size,
                "offset": start,
                "length": len(frame),
            }
        )
        start += len(frame)
    index = json.dumps({"deliveries": entries}, separators=(",", ":")).encode() + b"\n"
    head = len(BATCH_MAGIC) + len(index)
    spans = [(head + entry["offset"], entry["length"]) for entry in entries]
    return BATCH_MAGIC + index + b"".join(frames), spans


def decode_index(key: str, data: bytes) -> list[IndexEntry] | None:
    """The index of a batch object from its first bytes; None if `data` ends inside it."""
    if not data.startswith(BATCH_MAGIC):
        raise ArchiveFormatError(f"{key}: not a webhook-batch/1 object")
    end = data.find(b"\n", len(BATCH_MAGIC))
    if end < 0:
        return None
    document = json.loads(data[len(BATCH_MAGIC) : end])
    head = end + 1
    return [
        IndexEntry(
            source=str(entry["source"]),
            id=str(entry["id"]),
            received_at=datetime.fromisoformat(str(entry["received_at"])),
            event_type=str(entry["event_type"]),
            body_size=int(entry["body_size"]),
            reference=batch_reference(key, head + int(entry["offset"]), int(entry["length"])),
        )
        for entry in document["deliveries"]
    ]


@dataclass(frozen=True)
class BatchArchive:
    archive: Archive

    def write(self, items: Sequence[tuple[Envelope, bytes, float | None]], now: float) -> list[str]:
        """One object for the batch's deliveries; each one's reference, in order. The key is
        new (a uuid): If-None-Match guards against a collision. Finding the key taken is still
        expected: botocore resends a PUT whose first attempt wrote the object but whose answer
        was lost, and the resend meets that object (412). Those bytes are ours; only other
        bytes are a collision (found by the simulator, tests/simulator/regressions/)."""
        key = batch_key(datetime.fromtimestamp(now, UTC))
        data, spans = encode_batch(items)
        if not self.archive.put_new(key, data) and self.archive.get(key) != data:
            raise ArchiveFormatError(f"{key}: a batch object with this key exists already")
        return [batch_reference(key, offset, length) for offset, length in spans]

    def index(self, key: str) -> list[IndexEntry]:
        """The deliveries of one batch object (one ranged GET, two for a very long index)."""
        entries = decode_index(key, self.archive.range(key, 0, INDEX_READ_BYTES))
        if entries is None:
            entries = decode_index(key, self.archive.get(key))
        if entries is None:
            raise ArchiveFormatError(f"{key}: the index line never ends")
        return entries
