"""tally.py on in-process DynamoDB (moto): per-minute counts in small items, writes shared."""

from __future__ import annotations

from typing import Any

import pytest

from handler.aws import AwsClients, client_config, new_client
from handler.settings import Settings
from handler.store.tally import BLOCK_SECONDS, Count, Tally, rejected, tally_key

NOW = 1_800_000_000.0  # a block boundary: 1_800_000_000 % 600 == 0


def tally(settings: Settings) -> Tally:
    # A plain botocore client, whose events a test can hook.
    return Tally(new_client("dynamodb", client_config(settings)), settings.idempotency_table)


def test_counts_come_back_by_source_counter_and_minute(settings: Settings) -> None:
    counts = tally(settings)
    for at, source, counter in [
        (NOW + 5, "github", "duplicate"),
        (NOW + 59, "github", "duplicate"),
        (NOW + 61, "github", rejected("bad_signature")),
        (NOW + BLOCK_SECONDS + 1, "stripe", rejected("stale_timestamp")),
        (NOW + 2 * BLOCK_SECONDS, "github", "duplicate"),  # outside the window read below
    ]:
        counts.add(source, counter, at)
    counts.flush()
    found = sorted(
        counts.read(["github", "stripe"], NOW, NOW + 2 * BLOCK_SECONDS),
        key=lambda c: (c.minute, c.source),
    )
    assert found == [
        Count("github", "duplicate", int(NOW), 2),
        Count("github", "rejected:bad_signature", int(NOW) + 60, 1),
        Count("stripe", "rejected:stale_timestamp", int(NOW) + BLOCK_SECONDS, 1),
    ]


def test_an_item_expires_a_ttl_after_its_block_and_never_names_what_a_request_chose(
    settings: Settings, clients: AwsClients
) -> None:
    counts = tally(settings)
    counts.add("github", rejected("Robert'); DROP TABLE--"), NOW + 30)
    counts.flush()
    item = clients.dynamodb.get_item(
        TableName=settings.idempotency_table, Key={"pk": {"S": tally_key("github", int(NOW))}}
    )["Item"]
    assert set(item) == {"pk", "expires_at", "rejected:other@0"}
    assert int(item["expires_at"]["N"]) == int(NOW) + BLOCK_SECONDS + counts.ttl_seconds


def test_counts_added_while_a_write_is_under_way_share_the_next_write(settings: Settings) -> None:
    """What concurrent refusals in one process do: the running flush takes them, one write more
    for all of them, however many they are."""
    counts = tally(settings)
    writes: list[str] = []

    def during_write(**kwargs: Any) -> None:
        writes.append("UpdateItem")
        if len(writes) == 1:  # another request's flush, while ours is writing
            for _ in range(100):
                counts.add("github", "duplicate", NOW + 1)
                counts.flush()  # returns at once: ours is running

    counts.dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", during_write)
    counts.add("github", "duplicate", NOW)
    counts.flush()
    assert writes == ["UpdateItem"] * 2
    assert list(counts.read(["github"], NOW, NOW + 60)) == [
        Count("github", "duplicate", int(NOW), 101)
    ]


def test_a_flush_that_fails_unexpectedly_does_not_stop_the_next(settings: Settings) -> None:
    counts = tally(settings)

    def broken_once(**kwargs: Any) -> None:
        counts.dynamodb.meta.events.unregister("before-call.dynamodb.UpdateItem", broken_once)
        raise RuntimeError("a bug, not an AWS error")

    counts.dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", broken_once)
    counts.add("github", "duplicate", NOW)
    with pytest.raises(RuntimeError):
        counts.flush()
    counts.add("github", "duplicate", NOW)
    counts.flush()
    assert list(counts.read(["github"], NOW, NOW + 60)) == [
        Count("github", "duplicate", int(NOW), 1)
    ]
