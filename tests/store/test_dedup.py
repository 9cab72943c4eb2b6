"""dedup.py on in-process DynamoDB (moto): every transition is one conditional write."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from handler import wiring
from handler.aws import AwsClients, client_config, new_client
from handler.settings import Settings
from handler.store.dedup import (
    CLAIMED,
    ENQUEUED,
    PROCESSED,
    PROCESSING,
    Claim,
    DedupTable,
    Hold,
    dedup_key,
    delivery_facts,
    not_replayable,
)

NOW = 1_800_000_000.0
KEY = dedup_key("stripe", "evt_1")


@pytest.fixture
def table(settings: Settings, clients: AwsClients) -> DedupTable:
    # A plain botocore client (not the process's replaceable one), so a test can patch a call.
    plain = new_client("dynamodb", client_config(settings))
    return dataclasses.replace(wiring.dedup_table(settings, clients), dynamodb=plain)


def status(table: DedupTable) -> Any:
    record = table.get(KEY)
    return None if record is None else record["status"]


def test_the_key_names_source_and_id() -> None:
    assert dedup_key("github", "abc") == "github#abc"


def test_a_first_claim_is_ours_and_a_second_is_in_flight(table: DedupTable) -> None:
    claim, token, _ = table.claim(KEY, NOW)
    assert claim is Claim.CLAIMED
    record = table.get(KEY)
    assert record is not None and (record["status"], record["owner"]) == (CLAIMED, token)
    assert int(record["lease_until"]) == int(NOW) + table.claim_lease_seconds
    assert int(record["expires_at"]) == int(NOW) + table.ttl_seconds
    assert table.claim(KEY, NOW + 1)[0] is Claim.IN_FLIGHT


def test_a_claim_keeps_the_facts_a_list_shows_through_every_transition(table: DedupTable) -> None:
    arrived = datetime.fromtimestamp(NOW, UTC)
    table.claim(KEY, NOW, delivery_facts("invoice.paid", arrived, 1234))
    _, held = table.hold_for_processing(KEY, NOW + 1)
    table.mark_processed(KEY, held, {"ok": True}, NOW + 2)
    table.reset_for_replay(KEY, NOW + 3)
    record = table.get(KEY)
    assert record is not None and record["status"] == ENQUEUED
    assert (record["event_type"], record["body_size"]) == ("invoice.paid", "1234")  # a number
    assert datetime.fromisoformat(record["received_at"]) == arrived


def test_a_claim_whose_owner_died_expires_after_its_lease(table: DedupTable) -> None:
    table.claim(KEY, NOW)
    later = NOW + table.claim_lease_seconds + 1
    claim, token, _ = table.claim(KEY, later)
    assert claim is Claim.CLAIMED
    record = table.get(KEY)
    assert record is not None and record["owner"] == token


def test_a_held_delivery_is_a_duplicate_until_its_record_expires(table: DedupTable) -> None:
    """No write marks the message sent: a claim stays "claimed" (a copy gets 409 during its
    lease, and may claim again after it) until a worker holds it; from then on every copy is
    a duplicate."""
    table.claim(KEY, NOW)
    assert table.claim(KEY, NOW + 1)[0] is Claim.IN_FLIGHT
    table.hold_for_processing(KEY, NOW + 2)
    assert status(table) == PROCESSING
    # Long after the claim lease: a duplicate, because a worker has it.
    assert table.claim(KEY, NOW + table.claim_lease_seconds + 60)[0] is Claim.DUPLICATE
    # An expired record that DynamoDB's TTL sweep has not deleted yet counts as gone.
    assert table.claim(KEY, NOW + 2 + table.ttl_seconds + 1)[0] is Claim.CLAIMED


def test_a_retried_put_that_had_succeeded_is_still_our_claim(
    table: DedupTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore retries a PutItem whose answer was lost: the item it finds is our own."""
    real_put = table.dynamodb.put_item

    def put_twice(**kwargs: Any) -> Any:
        real_put(**kwargs)  # the first attempt lands; its answer is "lost"
        return real_put(**kwargs)  # the retry meets the condition it just made true

    monkeypatch.setattr(table.dynamodb, "put_item", put_twice)
    claim, token, _ = table.claim(KEY, NOW)
    assert claim is Claim.CLAIMED
    record = table.get(KEY)
    assert record is not None and record["owner"] == token


def test_release_gives_back_only_our_own_live_claim(table: DedupTable) -> None:
    _, token, _ = table.claim(KEY, NOW)
    table.release(KEY, "someone-else")
    assert status(table) == CLAIMED
    table.release(KEY, token)
    assert table.get(KEY) is None
    # Once a worker holds it, a release (a late one: the send's answer was lost although the
    # message landed) never deletes the record.
    _, token, _ = table.claim(KEY, NOW)
    table.hold_for_processing(KEY, NOW)
    table.release(KEY, token)
    assert status(table) == PROCESSING


def enqueued(table: DedupTable) -> None:
    """Claimed, its message sent: what the receiver leaves before the worker comes."""
    table.claim(KEY, NOW)


def test_a_hold_counts_attempts_and_blocks_a_second_worker(table: DedupTable) -> None:
    enqueued(table)
    hold, token = table.hold_for_processing(KEY, NOW)
    assert hold is Hold.STARTED
    record = table.get(KEY)
    assert record is not None
    assert (record["status"], record["owner"], int(record["attempts"])) == (PROCESSING, token, 1)
    assert table.hold_for_processing(KEY, NOW + 1)[0] is Hold.BUSY


def test_a_hold_whose_worker_died_expires_after_the_processing_lease(table: DedupTable) -> None:
    enqueued(table)
    table.hold_for_processing(KEY, NOW)
    later = NOW + table.processing_lease_seconds + 1
    hold, _ = table.hold_for_processing(KEY, later)
    assert hold is Hold.STARTED
    record = table.get(KEY)
    assert record is not None and int(record["attempts"]) == 2


def test_processed_is_final_and_records_the_outcome(table: DedupTable) -> None:
    enqueued(table)
    _, token = table.hold_for_processing(KEY, NOW)
    assert table.mark_processed(KEY, token, {"invoice": "in_1"}, NOW + 1) is True
    record = table.get(KEY)
    assert record is not None and record["status"] == PROCESSED
    assert json.loads(record["outcome"]) == {"invoice": "in_1"}
    assert "lease_until" not in record
    assert table.hold_for_processing(KEY, NOW + 3600)[0] is Hold.DONE
    # Past its TTL the record is as good as deleted: a delivery that old is new again.
    assert table.hold_for_processing(KEY, NOW + table.ttl_seconds + 1)[0] is Hold.STARTED


def test_an_outcome_from_a_worker_that_lost_its_lease_is_refused(table: DedupTable) -> None:
    enqueued(table)
    _, first = table.hold_for_processing(KEY, NOW)
    _, second = table.hold_for_processing(KEY, NOW + table.processing_lease_seconds + 1)
    assert table.mark_processed(KEY, first, {"by": "first"}, NOW) is False
    assert table.mark_processed(KEY, second, {"by": "second"}, NOW) is True
    record = table.get(KEY)
    assert record is not None and json.loads(record["outcome"]) == {"by": "second"}


def test_a_failed_attempt_keeps_its_error_and_frees_the_delivery(table: DedupTable) -> None:
    enqueued(table)
    _, token = table.hold_for_processing(KEY, NOW)
    table.release_processing(KEY, token, "RuntimeError: " + "x" * 5000)
    record = table.get(KEY)
    assert record is not None and record["status"] == ENQUEUED
    assert record["last_error"].startswith("RuntimeError: ")
    assert len(record["last_error"]) <= 1000
    assert table.hold_for_processing(KEY, NOW + 1)[0] is Hold.STARTED


def test_a_forced_replay_resets_the_status_and_keeps_the_history(table: DedupTable) -> None:
    enqueued(table)
    _, token = table.hold_for_processing(KEY, NOW)
    table.mark_processed(KEY, token, {}, NOW)
    table.reset_for_replay(KEY, NOW + 5)
    table.reset_for_replay(KEY, NOW + 6)
    record = table.get(KEY)
    assert record is not None
    assert (record["status"], int(record["replays"]), int(record["attempts"])) == (
        ENQUEUED,
        2,
        1,
    )
    assert int(record["replayed_at"]) == int(NOW) + 6
    assert "owner" not in record
    assert table.hold_for_processing(KEY, NOW + 7)[0] is Hold.STARTED


def test_get_of_an_unknown_delivery_is_none(table: DedupTable) -> None:
    assert table.get(dedup_key("stripe", "nope")) is None


@pytest.mark.parametrize(
    ("record", "force", "refusal"),
    [
        ({"status": "processing", "lease_until": NOW + 5}, True, "being processed right now"),
        ({"status": "processing", "lease_until": NOW - 5}, False, None),  # its worker died
        ({"status": "processed"}, False, "already processed (--force to replay)"),
        ({"status": "processed"}, True, None),
        ({"status": "enqueued", "last_error": "x"}, False, None),  # failed: replay it
        (None, False, "no dedup record (expired?): outcome unknown; --force"),
        (None, True, None),
    ],
)
def test_what_may_be_replayed(record: Any, force: bool, refusal: str | None) -> None:
    assert not_replayable(record, NOW, force=force) == refusal


def test_a_duplicate_is_counted_on_its_record_and_never_creates_one(table: DedupTable) -> None:
    assert table.note_duplicate(KEY, NOW) is False
    assert table.get(KEY) is None
    table.claim(KEY, NOW)
    assert table.note_duplicate(KEY, NOW + 5) and table.note_duplicate(KEY, NOW + 9)
    record = table.get(KEY)
    assert record is not None and record["status"] == CLAIMED  # nothing else changed
    assert (int(record["duplicates"]), int(record["last_duplicate_at"])) == (2, int(NOW) + 9)
