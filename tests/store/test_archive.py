"""store/archive.py on in-process S3 (moto): one object per delivery, written once, byte-exact;
the layout before it (`.body` + `.json`) still read; listing by day."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from handler import wiring
from handler.aws import AwsClients
from handler.settings import Settings
from handler.store.archive import (
    ARCHIVE_PREFIX,
    META_READ_BYTES,
    Archive,
    ArchiveFormatError,
    archive_meta,
    batch_reference,
    body_key,
    dated_keys,
    day_prefixes,
    decode_delivery,
    delivery_key,
    encode_delivery,
    meta_key,
    parse_reference,
    source_names,
)
from handler.store.queue import Envelope
from support import archive_legacy

RECEIVED = datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC)
BODY = b"\xff\xfe not UTF-8 \r\n" + "zoë ✓".encode() + b"\x00\nwebhook-delivery/1\n"


@pytest.fixture
def archive(settings: Settings, clients: AwsClients) -> Archive:
    return wiring.archive(settings, clients)


def envelope(
    delivery_id: str = "evt_1", source: str = "stripe", body: bytes = BODY, **fields: object
) -> Envelope:
    return Envelope.model_validate(
        {
            "id": delivery_id,
            "source": source,
            "event_type": "invoice.paid",
            "received_at": RECEIVED,
            "url": "https://hooks.example.com/webhooks/stripe",
            "headers": {"content-type": "application/json", "stripe-signature": "t=1,v1=x"},
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body_size": len(body),
            "body_b64": base64.b64encode(body).decode(),
            **fields,
        }
    )


def test_keys_are_dated_by_the_day_the_delivery_arrived() -> None:
    assert delivery_key("stripe", "evt_1", RECEIVED) == "archive/stripe/2026/11/29/evt_1.delivery"
    assert body_key("stripe", "evt_1", RECEIVED) == "archive/stripe/2026/11/29/evt_1.body"
    assert meta_key("stripe", "evt_1", RECEIVED) == "archive/stripe/2026/11/29/evt_1.json"


@pytest.mark.parametrize(
    "body",
    [BODY, b"", '{"name": "Zoë", "emoji": "🎉"}'.encode(), bytes(range(256)) * 1000],
    ids=["binary", "empty", "non-ascii", "large"],
)
def test_one_object_round_trips_the_body_byte_for_byte(archive: Archive, body: bytes) -> None:
    delivered = envelope(body=body)
    assert archive.write(delivered, body, ack_ms=12.3456) is True
    key = delivery_key("stripe", "evt_1", RECEIVED)
    stored = archive.read(key)
    assert (
        stored.body == body
        and hashlib.sha256(stored.body).hexdigest() == stored.meta["body_sha256"]
    )
    assert stored.meta == {**archive_meta(delivered), "ack_ms": 12.346}
    assert "body_b64" not in stored.meta
    assert archive.read_meta(key) == stored.meta
    assert archive.body(key) == body
    raw = archive.get(key)  # one object: the meta line, then the body, nothing else
    assert raw.endswith(body) and raw.count(b"\n") >= 2


def test_an_archived_delivery_is_never_overwritten(archive: Archive) -> None:
    """A redelivery (another copy, other headers, even other bytes) finds the object and
    leaves it exactly as the first writer made it."""
    first = envelope(body=b"the first bytes")
    assert archive.write(first, b"the first bytes") is True
    key = delivery_key("stripe", "evt_1", RECEIVED)
    original = archive.get(key)
    again = envelope(body=b"other bytes", headers={"x-retry": "1"})
    assert archive.write(again, b"other bytes", ack_ms=1.0) is False
    assert archive.get(key) == original
    assert archive.read(key).body == b"the first bytes"


def test_an_existing_object_in_any_form_is_kept(archive: Archive, clients: AwsClients) -> None:
    key = delivery_key("stripe", "evt_1", RECEIVED)
    clients.s3.put_object(Bucket=archive.bucket, Key=key, Body=b"written by someone else")
    assert archive.write(envelope(), BODY) is False
    assert archive.get(key) == b"written by someone else"


def test_the_layout_before_delivery_objects_stays_readable(
    archive: Archive, clients: AwsClients
) -> None:
    old = envelope("evt_old")
    archive_legacy(clients.s3, archive.bucket, old, BODY)
    at = ("stripe", "evt_old", RECEIVED)
    for reference in (meta_key(*at), body_key(*at), delivery_key(*at)):  # any of its names
        stored = archive.read(reference)
        assert stored.body == BODY and stored.meta == archive_meta(old)
        assert stored.reference == meta_key(*at)
        assert archive.read_meta(reference) == archive_meta(old)
    assert archive.body(body_key(*at)) == BODY  # a claim-check key in a message from before
    assert archive.body(delivery_key(*at)) == BODY  # a wake-up's reference
    assert archive.find(*at) == meta_key(*at)
    archive.write(envelope("evt_new"), BODY)
    assert archive.find("stripe", "evt_new", RECEIVED) == delivery_key(
        "stripe", "evt_new", RECEIVED
    )
    assert archive.find("stripe", "nothing", RECEIVED) is None


def test_the_meta_is_read_from_the_start_of_the_object_only(
    archive: Archive, clients: AwsClients
) -> None:
    ranges: list[str] = []

    def note(params: dict[str, object], **_: object) -> None:
        ranges.append(str(params.get("Range")))

    big = bytes(range(256)) * 4096
    archive.write(envelope(body=big), big)
    clients.s3.meta.events.register("provide-client-params.s3.GetObject", note)
    try:
        meta = archive.read_meta(delivery_key("stripe", "evt_1", RECEIVED))
        long_headers = {f"x-h{n}": "v" * 100 for n in range(300)}  # a meta line > 16 KiB
        archive.write(envelope("evt_long", body=big, headers=long_headers), big)
        long_meta = archive.read_meta(delivery_key("stripe", "evt_long", RECEIVED))
    finally:
        clients.s3.meta.events.unregister("provide-client-params.s3.GetObject", note)
    assert meta["body_size"] == len(big)
    assert ranges[0] == f"bytes=0-{META_READ_BYTES - 1}"
    assert long_meta["headers"] == long_headers


def test_a_truncated_or_foreign_object_is_an_error_not_a_body() -> None:
    frame = encode_delivery(archive_meta(envelope()), BODY)
    assert decode_delivery(frame) == (archive_meta(envelope()), BODY)
    with pytest.raises(ArchiveFormatError, match="truncated"):
        decode_delivery(frame[:-1])
    with pytest.raises(ArchiveFormatError, match="not a webhook-delivery"):
        decode_delivery(b"{}" + frame)


def test_batch_references_name_a_key_and_a_span() -> None:
    reference = batch_reference("archive-batches/2026/11/29/b.batch", 120, 3456)
    assert parse_reference(reference) == ("archive-batches/2026/11/29/b.batch", 120, 3456)
    assert parse_reference(delivery_key("stripe", "evt_1", RECEIVED)) is None


def test_errors_are_not_hidden(archive: Archive, clients: AwsClients) -> None:
    assert archive.exists("archive/stripe/2026/01/01/nothing.json") is False
    wrong_bucket = Archive(clients.s3, "no-such-bucket")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        wrong_bucket.get("anything")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        wrong_bucket.write(envelope(), BODY)


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
        archive.put_new(delivery_key(source, f"d{day}", received), b"x")
    s3, bucket = clients.s3, archive.bucket
    assert sorted(source_names(s3, bucket, ARCHIVE_PREFIX)) == ["github", "stripe"]
    since = datetime(2026, 11, 29, tzinfo=UTC)
    until = datetime(2026, 11, 29, 23, tzinfo=UTC)
    assert sorted(dated_keys(s3, bucket, ARCHIVE_PREFIX, None, since, until)) == [
        "archive/github/2026/11/29/d29.delivery",
        "archive/stripe/2026/11/29/d29.delivery",
    ]
    everything = list(dated_keys(s3, bucket, ARCHIVE_PREFIX, "github", None, None))
    assert sorted(everything) == [
        "archive/github/2026/11/29/d29.delivery",
        "archive/github/2026/11/30/d30.delivery",
    ]
