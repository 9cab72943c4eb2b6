"""5. End to end against a moto server: POST → 202 → SQS → worker → "processed" in DynamoDB.

Context measured in the same run: the moto server's own ceiling for the S3 puts and SQS sends
that each delivery needs, done directly with boto3 (sequential, as one receiver thread does).
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from bench.common import BODY, ROOT, github_headers, receiver_env
from infra.processes import (
    EMULATOR_CREDENTIALS,
    free_port,
    start_moto,
    start_receiver,
    start_worker,
    stop,
)
from infra.resources import create_resources

CONCURRENCY = 8


def post(url: str, delivery: str) -> int:
    request = urllib.request.Request(url, data=BODY, headers=github_headers(BODY, delivery))
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def ceiling(endpoint: str, bucket: str, queue_url: str, count: int) -> dict[str, float]:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    started = time.perf_counter()
    for index in range(count):
        s3.put_object(Bucket=bucket, Key=f"ceiling/{index}", Body=BODY)
    s3_rate = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(count):
        sqs.send_message(QueueUrl=queue_url, MessageBody="x")
    sqs_rate = count / (time.perf_counter() - started)
    sqs.purge_queue(QueueUrl=queue_url)
    return {"s3_put_per_s": s3_rate, "sqs_send_per_s": sqs_rate}


def processed_count(dynamodb: Any, table: str) -> int:
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        Select="COUNT",
        FilterExpression="#status = :processed",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":processed": {"S": "processed"}},
    ):
        total += int(page["Count"])
    return total


def run(quick: bool) -> dict[str, Any]:
    count = 60 if quick else 400
    moto_port, receiver_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{moto_port}"
    env = {
        **receiver_env(),
        **EMULATOR_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("WORK_QUEUE_URL")
    processes = []
    saved = dict(os.environ)
    try:
        quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        processes.append(start_moto("127.0.0.1", moto_port, **quiet))
        os.environ.update(env)
        resources = create_resources(endpoint_url=endpoint, bucket="bench-archive")
        env.update(resources.environment())
        context = ceiling(endpoint, resources.bucket, resources.queue_url, count // 2)
        processes.append(start_receiver("127.0.0.1", receiver_port, env, **quiet))
        processes.append(start_worker(env, **quiet))
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        url = f"http://127.0.0.1:{receiver_port}/webhooks/github"
        deliveries = [f"e2e-{uuid.uuid4()}" for _ in range(count)]
        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = list(pool.map(lambda d: post(url, d), deliveries))
        acked = time.perf_counter() - started
        if any(status != 202 for status in statuses):
            raise RuntimeError(f"not all deliveries were accepted: {set(statuses)}")
        done = 0
        deadline = time.perf_counter() + 300
        while done < count and time.perf_counter() < deadline:
            time.sleep(0.25)
            done = processed_count(dynamodb, resources.table)
        processed = time.perf_counter() - started
        if done < count:
            raise RuntimeError(f"{count - done} deliveries were not processed in time")
    finally:
        stop(processes)
        os.environ.clear()
        os.environ.update(saved)
    return {
        "deliveries": count,
        "concurrency": CONCURRENCY,
        "acked_per_s": count / acked,
        "processed_per_s": count / processed,
        "moto_ceiling": context,
    }
