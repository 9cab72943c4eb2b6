"""The deliveries list over in-process AWS: what it keeps between refreshes, and what it re-reads.

The listing keeps what never changes (keys it has resolved, each delivery's facts) and reads
the statuses again every time: these tests change what it kept behind its back."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from console_helpers import deliver, drain
from fastapi.testclient import TestClient

from handler.process.worker import Worker
from handler.store.archive import body_key, delivery_key, meta_key
from handler.store.dedup import delivery_facts
from handler.store.queue import Envelope
from support import archive_legacy
from webhooks_cli.operations import Operations
from webhooks_cli.operations.listing import FULL_LISTING_SECONDS, Facts, Listing

NOW = datetime.now(UTC).replace(microsecond=0)


def archived(
    operations: Operations,
    delivery_id: str,
    received_at: datetime = NOW,
    *,
    source: str = "github",
    event_type: str = "push",
    record: dict[str, str] | None = None,
    facts: bool = True,
    legacy: bool = False,
) -> str:
    """What the receiver and the worker leave of a delivery: its archive (one `.delivery`
    object, or `legacy`: the `.body` + `.json` pair of older versions) and (unless `record` is
    empty) a dedup record, with the list's facts as the claim writes them or, as older
    receivers did, without."""
    body = b'{"n": 1}'
    envelope = Envelope(
        id=delivery_id,
        source=source,
        event_type=event_type,
        received_at=received_at,
        url=f"http://127.0.0.1/webhooks/{source}",
        headers={"content-type": "application/json"},
        body_sha256="0" * 64,
        body_size=len(body),
        body_b64="",
    )
    if legacy:
        archive_legacy(operations.clients.s3, operations.archive.bucket, envelope, body)
    else:
        operations.archive.write(envelope, body)
    fields: dict[str, str | int] = {"status": "processed", **(record or {})}
    if facts:
        fields.update(delivery_facts(event_type, received_at, len(body)))
    if record != {}:
        item = {k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in fields.items()}
        operations.clients.dynamodb.put_item(
            TableName=operations.settings.idempotency_table,
            Item={"pk": {"S": f"{source}#{delivery_id}"}, **item},
        )
    return (meta_key if legacy else delivery_key)(source, delivery_id, received_at)


def listed_ids(listing: Listing, source: str = "github") -> list[str]:
    return [d.id for d in listing.deliveries(source, NOW - timedelta(hours=1))]


def counts(page: str) -> dict[str, int]:
    return {name: int(n) for n, name in re.findall(r"<b>(\d+)</b> ([\w-]+)</a>", page)}


def test_the_claim_carries_what_the_list_shows(client: TestClient, operations: Operations) -> None:
    delivery_id = deliver(client, "github", b'{"zen": "facts"}', event_type="issues")
    found = operations.locate(delivery_id, "github")
    record = found.record or {}
    assert record["event_type"] == "issues"
    assert int(record["body_size"]) == found.meta["body_size"] == len(b'{"zen": "facts"}')
    assert datetime.fromisoformat(record["received_at"]) == found.received_at
    assert Facts.of_record(record, found.key) == Facts.of_meta(found.meta)


def test_a_new_status_shows_on_the_next_refresh_though_the_facts_are_kept(
    browser: TestClient, client: TestClient, worker: Worker, operations: Operations
) -> None:
    delivery_id = deliver(client, "github", b'{"n": 1}')
    first = browser.get("/deliveries/table").text
    assert 'class="status s-accepted">accepted' in first and counts(first)["accepted"] == 1
    assert any(key.endswith(f"/{delivery_id}.delivery") for key in operations.listing.facts)
    assert drain(worker, operations) == (1, 0)
    processed = browser.get("/deliveries/table").text
    assert 'class="status s-processed">processed' in processed
    assert counts(processed)["processed"] == 1 and counts(processed)["accepted"] == 0
    # A forced replay from another process (the CLI): nothing tells this console's cache.
    other = Operations(operations.settings)
    assert other.replay(other.locate(delivery_id, "github"), force=True).result == "replayed"
    again = browser.get("/deliveries/table").text
    assert 'class="status s-accepted">accepted' in again and counts(again)["accepted"] == 1
    assert re.search(r'class="num">1</td>\s*<td class="num">1</td>', again)  # attempts, replays


def test_counts_stay_exact_with_more_deliveries_than_rows(
    browser: TestClient, operations: Operations
) -> None:
    for n in range(250):
        state = (
            {"status": "enqueued", "last_error": "RuntimeError: boom"}
            if n % 5 == 0
            else {"status": "claimed"}
            if n % 5 == 1
            else {"status": "processed"}
        )
        event_type = "issues" if n % 2 else "push"
        archived(
            operations,
            f"d-{n:03d}",
            NOW - timedelta(seconds=n),
            event_type=event_type,
            record=state,
        )
    expected = {"all": 250, "processed": 150, "failed": 50, "accepted": 50, "processing": 0}
    for _refresh in range(2):  # the first lists each day in full, the next with the delimiter
        page = browser.get("/deliveries?limit=50").text
        assert {k: counts(page)[k] for k in expected} == expected
        ids = re.findall(r'class="id"><a href="[^"]+">([^<]+)<', page)
        assert ids == [f"d-{n:03d}" for n in range(50)]  # newest first
        assert "Showing 50 of 250 matching (250 in the window)" in page
    failed = browser.get("/deliveries?status=failed&event_type=push&limit=7").text
    assert len(re.findall(r'class="status s-failed"', failed)) == 7
    assert counts(failed)["failed"] == 25 and counts(failed)["all"] == 125
    assert "Showing 7 of 25 matching" in failed


def test_older_records_without_the_facts_still_list(
    browser: TestClient, operations: Operations
) -> None:
    archived(operations, "old-record", event_type="merge_request", facts=False)
    archived(operations, "no-record", event_type="tag_push", record={})
    page = browser.get("/deliveries").text
    assert "merge_request" in page and "tag_push" in page
    assert counts(page)["processed"] == 1 and counts(page)["all"] == 2
    found = operations.deliveries("github", NOW - timedelta(hours=1))  # the CLI's: whole metas
    assert {(d.id, d.meta["event_type"], d.status) for d in found} == {
        ("old-record", "merge_request", "processed"),
        ("no-record", "tag_push", "unknown"),
    }


def test_ids_with_dots_and_new_arrivals_are_listed_exactly(operations: Operations) -> None:
    clock = [0.0]
    listing = Listing(
        operations.clients.s3,
        operations.settings.archive_bucket,
        operations.clients.dynamodb,
        operations.settings.idempotency_table,
        operations.read_meta,
        clock=lambda: clock[0],
    )
    for delivery_id in ("a", "a.b", "x.y.z", "plain"):
        archived(operations, delivery_id)
    expected = {"a", "a.b", "x.y.z", "plain"}
    assert set(listed_ids(listing)) == expected  # a full listing
    clock[0] += 1
    assert set(listed_ids(listing)) == expected  # with the delimiter: "a." holds two
    archived(operations, "new-one")
    pending = body_key("github", "pending", NOW)  # an older receiver's body, its .json not yet
    operations.clients.s3.put_object(Bucket=operations.archive.bucket, Key=pending, Body=b"{}")
    archived(operations, "older", legacy=True)
    expected |= {"older"}
    assert set(listed_ids(listing)) == expected | {"new-one"}  # no .json yet: not listed
    # A dotted id next to an id the listing holds as alone under its prefix: the delimiter
    # cannot tell, the next full listing (once a minute) does.
    archived(operations, "plain.2")
    clock[0] += FULL_LISTING_SECONDS
    assert set(listed_ids(listing)) == expected | {"new-one", "plain.2"}


def test_facts_from_a_claim_made_again_later_do_not_describe_an_older_archive() -> None:
    later = NOW + timedelta(days=4)  # the record expired, a sender's retry was accepted again
    record: dict[str, Any] = {"pk": "github#d-1", **delivery_facts("push", later, 10)}
    assert Facts.of_record(record, meta_key("github", "d-1", NOW)) is None
    assert Facts.of_record(record, meta_key("github", "d-1", later)) == Facts(
        "d-1", "github", "push", later, 10
    )
    assert Facts.of_record({"pk": "github#d-1", "status": "processed"}, "k") is None


def test_a_deleted_archive_drops_out_of_the_list(operations: Operations) -> None:
    key = archived(operations, "short-lived", facts=False)
    archived(operations, "kept", facts=False)
    listing = operations.listing
    assert set(listed_ids(listing)) == {"short-lived", "kept"}
    s3, bucket = operations.clients.s3, operations.settings.archive_bucket
    s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_object(Bucket=bucket, Key=key.removesuffix(".json") + ".body")
    # The next refresh lists with the delimiter: the prefix is gone with its objects.
    assert listed_ids(listing) == ["kept"]
