"""The local charts' numbers: duplicates, every refusal and the ack latency, stored by the
receiver (mock_aws) and counted per interval by the console."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from console_helpers import deliver
from fastapi.testclient import TestClient
from mangum import Mangum

from handler.receive.api import create_app
from handler.receive.ingest import Receiver
from handler.receive.lambda_ext import AfterResponse
from handler.settings import MiB
from handler.store.dedup import dedup_key
from handler.store.tally import TALLY_PREFIX
from infra.apigw import http_api_event
from support import sign
from webhooks_cli.console import charts
from webhooks_cli.operations import Operations

HOUR = 3600


class Clock:
    """The receiver's clock, moved by the test: events land in chosen intervals."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def refuse_each_kind(client: TestClient, now: float) -> list[tuple[int, str]]:
    """One request for each refusal the receiver makes before verifying or while verifying."""
    answers = []
    url, headers = sign("github", b'{"n": 1}', now=now)
    answers.append(client.post(url, content=b'{"n": 2}', headers=headers))  # 401 signature
    answers.append(client.post("/webhooks/no-such-source", content=b"{}"))  # 404
    big = b"x" * (4 * MiB + 1)
    answers.append(client.post(url, content=big, headers=headers))  # 413
    answers.append(
        client.post("/webhooks/twilio", content=b"hi", headers={"content-type": "text/plain"})
    )  # 415
    url, headers = sign("stripe", b"not json", now=now)
    answers.append(client.post(url, content=b"not json", headers=headers))  # 422
    return [(answer.status_code, answer.json()["error"]) for answer in answers]


def tally_items(operations: Operations) -> list[dict[str, Any]]:
    pages = operations.clients.dynamodb.get_paginator("scan").paginate(
        TableName=operations.settings.idempotency_table
    )
    items = [item for page in pages for item in page["Items"]]
    return [item for item in items if item["pk"]["S"].startswith(f"{TALLY_PREFIX}#")]


def test_duplicates_refusals_and_ack_latency_are_counted_per_interval(
    client: TestClient, receiver: Receiver, operations: Operations, browser: TestClient
) -> None:
    now = datetime.now(UTC)
    chart = charts.empty(HOUR, now, "archive")
    first = (chart.start + timedelta(seconds=5 * chart.interval + 10)).timestamp()
    second = (chart.start + timedelta(seconds=20 * chart.interval + 10)).timestamp()
    receiver.clock = clock = Clock(first)
    # No worker runs here: its hold is what makes a later copy a duplicate. A claim lasting the
    # hour stands in for it (a copy of a claimed delivery is a duplicate too).
    receiver.dedup = replace(receiver.dedup, claim_lease_seconds=2 * HOUR)
    early = [deliver(client, "github", _body(n), delivery_id=f"early-{n}") for n in range(3)]
    again = _send(client, "early-0")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    refused_early = refuse_each_kind(client, first)
    assert [status for status, _ in refused_early] == [401, 404, 413, 415, 422]

    clock.now = second
    for n in range(2):
        deliver(client, "github", _body(n), delivery_id=f"late-{n}")
    for delivery_id in ("early-0", "early-0", "late-0"):
        assert _send(client, delivery_id).status_code == 200
    url, headers = sign("github", b"{}")
    wrong = client.post(url, content=b"[]", headers=headers)
    refused_late = [(wrong.status_code, wrong.json()["error"])]

    data = charts.archive_chart(operations, HOUR, now, None)
    counts = data.counts
    assert _nonzero(counts["accepted"]) == {5: 3, 20: 2}
    assert _nonzero(counts["duplicate"]) == {5: 1, 20: 3}
    assert _nonzero(counts["rejected"]) == {5: 5, 20: 1}
    reasons = Counter(reason for _, reason in refused_early + refused_late)
    assert all(f"{reason} {n}" in data.notes["rejected"] for reason, n in reasons.items())
    record = operations.dedup.get(dedup_key("github", early[0]))
    assert record is not None
    assert int(record["duplicates"]) == 3 and int(record["last_duplicate_at"]) == int(second)

    # The latency is the receiver's own measure, kept in each delivery's archived meta.
    stored: dict[int, list[float]] = {5: [], 20: []}
    for delivery in operations.deliveries("github", chart.start):
        assert delivery.meta["ack_ms"] > 0
        stored[5 if delivery.id in early else 20].append(delivery.meta["ack_ms"])
    assert data.latency is not None
    for index, values in stored.items():
        ordered = sorted(values)
        assert data.latency["p50"][index] == ordered[(len(ordered) + 1) // 2 - 1]
        assert data.latency["p99"][index] == ordered[-1]
    assert all(data.latency["p50"][i] is None for i in range(charts.BUCKETS) if i not in stored)

    page = browser.get("/charts?origin=archive&window=1h").text
    totals = dict(re.findall(r"<b>(\w[\w ]*)</b>\s*(\d+) in the window", page))
    assert totals == {"accepted": "5", "duplicate": "4", "rejected": "6", "processed": "0",
                      "failed": "0"}  # fmt: skip
    assert 'class="line-p99"' in page


def _body(n: int) -> bytes:
    return json.dumps({"n": n}).encode()


def _send(client: TestClient, delivery_id: str) -> Any:
    """A delivery again, as GitHub's "redeliver" sends it: same id, same body."""
    body = _body(int(delivery_id.rsplit("-", 1)[1]))
    url, headers = sign("github", body, delivery_id=delivery_id)
    return client.post(url, content=body, headers=headers)


def _nonzero(values: list[float] | None) -> dict[int, float]:
    assert values is not None
    return {index: value for index, value in enumerate(values) if value}


def test_a_flood_of_refusals_stays_a_few_small_items(
    client: TestClient, receiver: Receiver, operations: Operations
) -> None:
    """300 bad requests over 25 minutes: two sources' counts in at most 4 blocks of 10 minutes,
    nothing of the requests in them (the bodies carry a marker, the paths random names)."""
    receiver.clock = clock = Clock(datetime.now(UTC).timestamp() - 1800)
    started = clock.now
    url, headers = sign("github", b"{}")
    for n in range(300):
        clock.now = started + n * 5
        marker = f"flood-marker-{n}".encode()
        if n % 3:
            assert client.post(url, content=marker, headers=headers).status_code == 401
        else:
            answer = client.post(f"/webhooks/{uuid.uuid4().hex}", content=marker)
            assert answer.status_code == 404
    items = tally_items(operations)
    assert {item["pk"]["S"].split("#")[1] for item in items} == {"github", "-"}
    assert len(items) <= 2 * 4
    counted = Counter[str]()
    for item in items:
        for name, value in item.items():
            if name not in ("pk", "expires_at"):
                assert re.fullmatch(r"rejected:[a-z_]+@\d", name), name
                counted[name.split("@")[0]] += int(value["N"])
    assert counted == {"rejected:bad_signature": 200, "rejected:unknown_source": 100}
    assert "flood-marker" not in json.dumps(items)


def test_a_failing_count_still_answers_each_refusal_with_its_json(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """The counts are written after the response; their store failing must not show."""
    assert receiver.tally is not None
    receiver.tally = replace(receiver.tally, table="no-such-table")
    with TestClient(create_app(receiver), raise_server_exceptions=True) as strict:
        refused = refuse_each_kind(strict, datetime.now(UTC).timestamp())
        delivered = deliver(strict, "github", b"{}", delivery_id="once")
        url, headers = sign("github", b"{}", delivery_id=delivered)
        assert strict.post(url, content=b"{}", headers=headers).status_code == 200
    assert refused == [
        (401, "bad_signature"),
        (404, "unknown_source"),
        (413, "body_too_large"),
        (415, "unsupported_media_type"),
        (422, "invalid_json"),
    ]
    failed = [r for r in caplog.records if r.getMessage() == "tally write failed; counts dropped"]
    assert len(failed) == 6  # five refusals and the duplicate, each its own write


def test_on_lambda_a_raised_refusal_is_counted_after_the_handler_returns(
    receiver: Receiver, operations: Operations
) -> None:
    runner = AfterResponse()
    app = create_app(receiver, docs=False, after_response=runner, inline_io=True)
    handler = Mangum(app, lifespan="off")
    response = handler(http_api_event("POST", "/webhooks/nowhere", body=b"{}"), None)
    assert response["statusCode"] == 404
    assert tally_items(operations) == []  # held: the handler returned first
    runner.invocation_done()
    assert runner.wait_settled(1, timeout=5)
    (item,) = tally_items(operations)
    assert item["pk"]["S"].startswith(f"{TALLY_PREFIX}#-#")


def test_under_instant_acks_a_duplicate_found_after_the_ack_is_counted_too(
    receiver: Receiver, operations: Operations
) -> None:
    instant = replace(
        receiver, settings=receiver.settings.model_copy(update={"ack_policy": "instant"})
    )
    with TestClient(create_app(instant), raise_server_exceptions=True) as client:
        url, headers = sign("github", b"{}", delivery_id="twice")
        answers = [client.post(url, content=b"{}", headers=headers) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [202, 202]  # both acked before the claim
    now = datetime.now(UTC)
    data = charts.archive_chart(operations, HOUR, now, "github")
    assert sum(data.counts["duplicate"] or []) == 1 and sum(data.counts["accepted"] or []) == 1
    record = operations.dedup.get(dedup_key("github", "twice"))
    assert record is not None and int(record["duplicates"]) == 1
