"""store/batches.py on in-process S3: one object per SQS batch, each delivery read back alone
by its reference (one ranged GET), the index inside the object."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest

from handler import wiring
from handler.aws import AwsClients
from handler.settings import Settings
from handler.store.archive import Archive, archive_meta, parse_reference
from handler.store.batches import BATCH_PREFIX, BatchArchive
from handler.store.queue import Envelope

RECEIVED = datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC)
BODIES = [
    b"\xff\xfe binary \x00\r\n",
    '{"name": "Zoë", "emoji": "🎉"}'.encode(),
    b"",
    b"webhook-batch/1\nwebhook-delivery/1\n" * 50,
]


@pytest.fixture
def batches(settings: Settings, clients: AwsClients) -> BatchArchive:
    return BatchArchive(wiring.archive(settings, clients))


def envelope(n: int, body: bytes) -> Envelope:
    return Envelope(
        id=f"evt_{n}",
        source="stripe" if n % 2 else "github",
        event_type="invoice.paid",
        received_at=RECEIVED,
        url="https://hooks.example.com/webhooks/x",
        headers={"content-type": "application/json"},
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_size=len(body),
        body_b64=base64.b64encode(body).decode(),
    )


def test_one_object_holds_the_batch_and_each_delivery_reads_back_alone(
    batches: BatchArchive, clients: AwsClients
) -> None:
    items = [(envelope(n, body), body, float(n)) for n, body in enumerate(BODIES)]
    ranges: list[str] = []
    clients.s3.meta.events.register(
        "provide-client-params.s3.GetObject",
        lambda params, **_: ranges.append(str(params.get("Range"))),
    )
    references = batches.write(items, RECEIVED.timestamp())
    listing = clients.s3.list_objects_v2(Bucket=batches.archive.bucket, Prefix=f"{BATCH_PREFIX}/")
    [key] = [item["Key"] for item in listing["Contents"]]
    assert key.startswith(f"{BATCH_PREFIX}/2026/11/29/") and key.endswith(".batch")
    archive: Archive = batches.archive
    for (delivered, body, ack_ms), reference in zip(items, references, strict=True):
        located = parse_reference(reference)
        assert located is not None and located[0] == key
        stored = archive.read(reference)
        assert stored.body == body
        assert stored.meta == archive_meta(delivered, ack_ms)
        assert archive.read_meta(reference) == stored.meta
        assert archive.body(reference) == body
    assert all(r.startswith("bytes=") for r in ranges)  # never the whole object


def test_the_index_finds_every_delivery_without_its_dedup_record(batches: BatchArchive) -> None:
    items = [(envelope(n, body), body, None) for n, body in enumerate(BODIES)]
    references = batches.write(items, RECEIVED.timestamp())
    key = references[0].rsplit("#", 1)[0]
    entries = batches.index(key)
    assert [(e.source, e.id, e.body_size) for e in entries] == [
        (d.source, d.id, d.body_size) for d, _, _ in items
    ]
    assert [e.reference for e in entries] == references
    assert all(e.received_at == RECEIVED and e.event_type == "invoice.paid" for e in entries)
