"""store/archive.py on in-process S3 (moto): the dated key layout, exact bodies, listing by day."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from handler import wiring
from handler.aws import AwsClients
from handler.settings import Settings
from handler.store.archive import (
    ARCHIVE_PREFIX,
    Archive,
    archive_meta,
    body_key,
    dated_keys,
    day_prefixes,
    meta_key,
    source_names,
)
from handler.store.queue import Envelope

RECEIVED = datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC)
BODY = b"\xff\xfe not UTF-8 \r\n" + "zoë ✓".encode() + b"\x00"


@pytest.fixture
def archive(settings: Settings, clients: AwsClients) -> Archive:
    return wiring.archive(settings, clients)


def envelope(delivery_id: str = "evt_1", source: str = "stripe", **fields: object) -> Envelope:
    return Envelope.model_validate(
        {
            "id": delivery_id,
            "source": source,
            "event_type": "invoice.paid",
            "received_at": RECEIVED,
            "url": "https://hooks.example.com/webhooks/stripe",
            "headers": {"content-type": "application/json", "stripe-signature": "t=1,v1=x"},
            "body_sha256": hashlib.sha256(BODY).hexdigest(),
            "body_size": len(BODY),
            "body_b64": base64.b64encode(BODY).decode(),
            **fields,
        }
    )


def test_keys_are_dated_by_the_day_the_delivery_arrived() -> None:
    assert body_key("stripe", "evt_1", RECEIVED) == "archive/stripe/2026/11/29/evt_1.body"
    assert meta_key("stripe", "evt_1", RECEIVED) == "archive/stripe/2026/11/29/evt_1.json"


def test_record_keeps_the_body_byte_for_byte_and_the_meta_without_it(archive: Archive) -> None:
    archive.record(envelope(), BODY, body_written=False)
    assert archive.get(body_key("stripe", "evt_1", RECEIVED)) == BODY
    meta = json.loads(archive.get(meta_key("stripe", "evt_1", RECEIVED)))
    assert meta == archive_meta(envelope())
    assert "body_b64" not in meta and meta["body_sha256"] == hashlib.sha256(BODY).hexdigest()


def test_a_claim_checked_body_is_not_written_twice(archive: Archive) -> None:
    key = body_key("stripe", "evt_2", RECEIVED)
    archive.put_body(key, b"written before the ack")
    archive.record(envelope("evt_2", body_b64=None, body_key=key), b"ignored", body_written=True)
    assert archive.get(key) == b"written before the ack"
    assert archive.exists(meta_key("stripe", "evt_2", RECEIVED))


def test_exists_is_false_for_a_missing_key_and_errors_are_not_hidden(
    archive: Archive, clients: AwsClients
) -> None:
    assert archive.exists("archive/stripe/2026/01/01/nothing.json") is False
    wrong_bucket = Archive(clients.s3, "no-such-bucket")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        wrong_bucket.get("anything")


def test_day_prefixes_cover_each_day_of_the_range_in_utc() -> None:
    since = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
    until = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert day_prefixes(ARCHIVE_PREFIX, "github", since, until) == [
        "archive/github/2026/11/29/",
        "archive/github/2026/11/30/",
        "archive/github/2026/12/01/",
    ]


def test_dated_keys_lists_only_the_days_asked_for(archive: Archive, clients: AwsClients) -> None:
    for source, day in (("stripe", 28), ("stripe", 29), ("github", 29), ("github", 30)):
        received = datetime(2026, 11, day, 12, tzinfo=UTC)
        archive.put_body(body_key(source, f"d{day}", received), b"x")
    s3, bucket = clients.s3, archive.bucket
    assert sorted(source_names(s3, bucket, ARCHIVE_PREFIX)) == ["github", "stripe"]
    since = datetime(2026, 11, 29, tzinfo=UTC)
    until = datetime(2026, 11, 29, 23, tzinfo=UTC)
    assert sorted(dated_keys(s3, bucket, ARCHIVE_PREFIX, None, since, until)) == [
        "archive/github/2026/11/29/d29.body",
        "archive/stripe/2026/11/29/d29.body",
    ]
    everything = list(dated_keys(s3, bucket, ARCHIVE_PREFIX, "github", None, None))
    assert sorted(everything) == [
        "archive/github/2026/11/29/d29.body",
        "archive/github/2026/11/30/d30.body",
    ]


def test_the_workers_copy_never_replaces_the_receivers_meta_and_its_ack_latency(
    archive: Archive,
) -> None:
    """The worker checks for the meta, finds none, and the receiver's own arrives meanwhile."""
    late = envelope("evt_late")
    key = meta_key("stripe", "evt_late", RECEIVED)
    archive.record(late, BODY, body_written=False, ack_ms=12.3456)  # the receiver, after its ack
    archive.record(late, BODY, body_written=False, only_new=True)  # the worker, a moment later
    stored = json.loads(archive.get(key))
    assert stored == {**archive_meta(late), "ack_ms": 12.346}
    first = envelope("evt_first")  # the receiver's archive lost: the worker's copy is the archive
    archive.record(first, BODY, body_written=False, only_new=True)
    assert json.loads(archive.get(meta_key("stripe", "evt_first", RECEIVED))) == archive_meta(first)
