"""bench/cost_prices.py: from counted requests to dollars, checked against sums done by hand."""

from __future__ import annotations

from typing import Any

import pytest

from bench.cost import LogBytes, median_run
from bench.cost_prices import (
    Usage,
    dollars_per_million,
    lambda_invocation_usd,
    lambda_per_million,
    usage_from_counts,
)


def tally(requests: int, units: float | None = None, empty: int = 0) -> dict[str, float]:
    return {"requests": requests, "units": requests if units is None else units, "empty": empty}


# Issue 21's run, 200 deliveries: 3.64 PUTs and 1 HEAD each, 1 PutItem + 3 UpdateItem (1 unit
# each), 1 SendMessage, DeleteMessageBatch and ReceiveMessage ~1 each, 1,359 log bytes each.
ISSUE_21 = {
    "s3": {
        "PutObject": tally(728),
        "HeadObject": tally(200),
        "DeleteObject": tally(5),  # free
    },
    "dynamodb": {
        "PutItem": tally(200),
        "UpdateItem": tally(600),
        "GetItem": tally(100, units=50.0),  # eventually consistent: half a unit each
    },
    "sqs": {
        "SendMessage": tally(200),
        "ReceiveMessage": tally(206, empty=10),  # 10 empty: the poller's, not the deliveries'
        "DeleteMessageBatch": tally(196),
    },
}


def test_usage_per_delivery_from_counts() -> None:
    usage = usage_from_counts(ISSUE_21, 200, 271_800)
    assert usage == Usage(
        s3_tier1=3.64,
        s3_tier2=1.0,
        dynamodb_write_units=4.0,
        dynamodb_read_units=0.25,
        sqs_requests=(200 + 196 + 196) / 200,
        api_requests=1.0,
        log_bytes=1359.0,
    )
    with_empty = usage_from_counts(ISSUE_21, 200, 0, skip_empty_receives=False)
    assert with_empty.sqs_requests == pytest.approx((200 + 206 + 196) / 200)


def test_dollars_per_million_by_service() -> None:
    dollars = dollars_per_million(usage_from_counts(ISSUE_21, 200, 271_800))
    # S3: 3.64 x $5 per M PUTs + 1 x $0.40 per M HEADs
    assert dollars["S3"] == pytest.approx(18.2 + 0.4)
    # DynamoDB: 4 write units x $0.625 + 0.25 read units x $0.125
    assert dollars["DynamoDB"] == pytest.approx(2.5 + 0.03125)
    # SQS: 2.96 requests x $0.40
    assert dollars["SQS"] == pytest.approx(1.184)
    assert dollars["API Gateway"] == pytest.approx(1.0)
    # Logs: 1,359 bytes x 1 M = 1.2657 GiB x $0.50
    assert dollars["CloudWatch Logs"] == pytest.approx(1359e6 / 2**30 * 0.5)
    assert dollars["total"] == pytest.approx(18.6 + 2.53125 + 1.184 + 1.0 + 0.6328306)


def test_lambda_bills_whole_milliseconds_per_invocation() -> None:
    # 40.2 ms is billed as 41 ms: 0.041 s x 0.5 GB x $0.0000166667 + $0.20 per M requests
    assert lambda_invocation_usd(40.2, 512, "x86_64") == pytest.approx(
        0.2e-6 + 0.0205 * 0.0000166667
    )
    assert lambda_invocation_usd(40.0, 512, "arm64") == pytest.approx(0.2e-6 + 0.02 * 0.0000133334)


def test_lambda_per_million_deliveries_shares_a_batch() -> None:
    x86 = lambda_per_million(
        receiver_ms=40.2,
        receiver_mb=512,
        worker_batch_ms=300.0,
        worker_mb=1024,
        batch_size=10,
        architecture="x86_64",
    )
    # receiver $0.541667 per M; worker (0.2 + 0.3 GB-s x 16.6667) / 10 = $0.52 per M
    assert x86 == pytest.approx(0.2 + 0.0205 * 16.6667 + (0.2 + 0.3 * 16.6667) / 10)


def test_log_bytes_split_json_lines_from_uvicorn_access_lines() -> None:
    text = (
        b'{"level":"INFO","message":"accepted"}\n'
        b'INFO:     127.0.0.1:5555 - "POST /webhooks/github HTTP/1.1" 202 Accepted\n'
        b'{"level":"INFO","message":"re-creating the archive"}\n'
        b"worker: polling\n"
    )
    logs = LogBytes.of(text)
    assert logs.product == 38 + 53
    assert logs.access == 73
    assert logs.other == 16
    assert logs.recreated == 1


def test_repeated_runs_give_the_median_of_each_count() -> None:
    def run(puts: int, log_bytes: int) -> dict[str, Any]:
        logs = {"product": log_bytes, "access": 0, "other": 0, "recreated": 0}
        return {"counts": {"s3": {"PutObject": tally(puts)}}, "logs": logs, "seconds": 1.0}

    merged = median_run([run(300, 900), run(500, 1100), run(400, 1000)])
    assert merged["counts"]["s3"]["PutObject"]["requests"] == 400
    assert merged["logs"]["product"] == 1000
    assert merged["repeats"] == 3
