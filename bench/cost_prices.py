"""AWS list prices (us-east-1) and the arithmetic from counted requests to dollars per delivery.

Pure functions only: `bench/cost.py` counts, this prices. The one table of prices is `PRICES`;
change a figure there (and `PRICES_READ`) when AWS changes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

PRICES_READ = "2026-12-07"


@dataclass(frozen=True)
class Price:
    usd: float
    per: float  # units the price is for
    unit: str
    source: str


# us-east-1 list prices, first tier, without free tiers; read on PRICES_READ.
S3 = "https://aws.amazon.com/s3/pricing/"
DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
SQS = "https://aws.amazon.com/sqs/pricing/"
API_GATEWAY = "https://aws.amazon.com/api-gateway/pricing/"
LAMBDA = "https://aws.amazon.com/lambda/pricing/"
CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
PRICES: dict[str, Price] = {
    # name: Price(dollars, per how many units, unit, source)
    "s3_tier1": Price(0.005, 1_000, "S3 Standard PUT, COPY, POST, LIST request", S3),
    "s3_tier2": Price(0.0004, 1_000, "S3 Standard GET, HEAD (and other) request", S3),
    "dynamodb_write": Price(0.625, 1e6, "DynamoDB on-demand write request unit (1 KB)", DYNAMODB),
    "dynamodb_read": Price(0.125, 1e6, "DynamoDB on-demand read request unit (4 KB)", DYNAMODB),
    "sqs": Price(0.40, 1e6, "SQS standard request (per 64 KB chunk of payload)", SQS),
    "http_api": Price(1.00, 1e6, "API Gateway HTTP API request (first 300 M a month)", API_GATEWAY),
    "lambda_request": Price(0.20, 1e6, "Lambda request", LAMBDA),
    "lambda_gb_s_x86_64": Price(0.0000166667, 1, "Lambda GB-second, x86_64 (first 6 B)", LAMBDA),
    "lambda_gb_s_arm64": Price(0.0000133334, 1, "Lambda GB-second, arm64 (first 7.5 B)", LAMBDA),
    "logs_ingest": Price(0.50, 2**30, "CloudWatch Logs ingestion per GB (Standard)", CLOUDWATCH),
}

# S3 request tiers by operation; deletes and aborts are free.
S3_TIER1 = {
    "PutObject",
    "CopyObject",
    "PostObject",
    "ListObjects",
    "ListObjectsV2",
    "ListObjectVersions",
    "ListBuckets",
    "ListMultipartUploads",
    "ListParts",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "CreateBucket",
}
S3_FREE = {"DeleteObject", "DeleteObjects", "DeleteBucket", "AbortMultipartUpload"}
SERVICES = ("S3", "DynamoDB", "SQS", "API Gateway", "CloudWatch Logs")

Counts = Mapping[str, Mapping[str, Mapping[str, Any]]]  # infra/counting_moto.py's snapshot


def unit_price(name: str) -> float:
    price = PRICES[name]
    return price.usd / price.per


@dataclass(frozen=True)
class Usage:
    """What one delivery uses of each billed dimension (averages over a run)."""

    s3_tier1: float = 0.0
    s3_tier2: float = 0.0
    dynamodb_write_units: float = 0.0
    dynamodb_read_units: float = 0.0
    sqs_requests: float = 0.0  # 64 KB chunks
    api_requests: float = 1.0  # one HTTP API request per delivery
    log_bytes: float = 0.0


def usage_from_counts(
    counts: Counts, deliveries: int, log_bytes: int, *, skip_empty_receives: bool = True
) -> Usage:
    """Per-delivery usage from the counter's snapshot. Empty ReceiveMessage answers are the
    poller's idle cost (time, not deliveries): left out unless asked."""
    s3_tier1 = s3_tier2 = 0.0
    for operation, tally in counts.get("s3", {}).items():
        if operation in S3_FREE:
            continue
        if operation in S3_TIER1:
            s3_tier1 += tally["requests"]
        else:
            s3_tier2 += tally["requests"]
    writes = reads = 0.0
    for operation, tally in counts.get("dynamodb", {}).items():
        if operation in {"GetItem", "BatchGetItem", "Query", "Scan"}:
            reads += tally["units"]
        else:
            writes += tally["units"]
    sqs = 0.0
    for operation, tally in counts.get("sqs", {}).items():
        sqs += tally["units"]
        if skip_empty_receives and operation == "ReceiveMessage":
            sqs -= tally["empty"]  # an empty answer is one chunk
    per = 1 / deliveries
    return Usage(
        s3_tier1=s3_tier1 * per,
        s3_tier2=s3_tier2 * per,
        dynamodb_write_units=writes * per,
        dynamodb_read_units=reads * per,
        sqs_requests=sqs * per,
        log_bytes=log_bytes * per,
    )


def dollars_per_million(usage: Usage) -> dict[str, float]:
    """Dollars per million deliveries by service, and their `total`."""
    million = 1_000_000
    by_service = {
        "S3": million
        * (usage.s3_tier1 * unit_price("s3_tier1") + usage.s3_tier2 * unit_price("s3_tier2")),
        "DynamoDB": million
        * (
            usage.dynamodb_write_units * unit_price("dynamodb_write")
            + usage.dynamodb_read_units * unit_price("dynamodb_read")
        ),
        "SQS": million * usage.sqs_requests * unit_price("sqs"),
        "API Gateway": million * usage.api_requests * unit_price("http_api"),
        "CloudWatch Logs": million * usage.log_bytes * unit_price("logs_ingest"),
    }
    by_service["total"] = sum(by_service.values())
    return by_service


Architecture = Literal["x86_64", "arm64"]


def lambda_invocation_usd(duration_ms: float, memory_mb: int, architecture: Architecture) -> float:
    """One invocation: the request, and its duration billed in whole milliseconds."""
    gb_seconds = math.ceil(duration_ms) / 1000 * memory_mb / 1024
    return unit_price("lambda_request") + gb_seconds * unit_price(f"lambda_gb_s_{architecture}")


def lambda_per_million(
    *,
    receiver_ms: float,
    receiver_mb: int,
    worker_batch_ms: float,
    worker_mb: int,
    batch_size: float,
    architecture: Architecture,
) -> float:
    """Dollars per million deliveries for both functions: one receiver invocation per delivery,
    one worker invocation per batch of `batch_size` deliveries."""
    receiver = lambda_invocation_usd(receiver_ms, receiver_mb, architecture)
    worker = lambda_invocation_usd(worker_batch_ms, worker_mb, architecture) / batch_size
    return 1_000_000 * (receiver + worker)
