"""Times one subject's two Lambda entry points in-process, for the cost case's Lambda estimate.

    python -m bench.subjects.cost_timing ours|floor --deliveries 60 --out result.json

Against the AWS endpoint and resources named by the environment (the cost case's moto server,
after its counted run): the receiver's handler is called with API Gateway events, one delivery
each (off Lambda, Mangum runs the after-response work before it returns, so the time includes
the archive, as Lambda bills the extension's time); then the queued messages are handed to the
worker's handler in batches of `--batch` (template.yaml's WorkerBatchSize default). Warm
invocations only: the first receiver call and the first batch are not timed. Stdout must be a
file: the log bytes written by the timed calls (with the Lambda context on each line, as on
Lambda) are counted from its size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3

from bench.common import CONTEXT
from bench.cost_traffic import signed_push
from infra.apigw import http_api_event
from infra.local_worker import sqs_event

Handler = Callable[[dict[str, Any], Any], Any]


def entry_points(subject: str) -> tuple[Handler, Handler]:
    if subject == "floor":
        from bench.subjects import cost_floor

        return cost_floor.lambda_handler, cost_floor.worker_handler
    from handler.main import lambda_handler as receiver
    from handler.worker_main import lambda_handler as worker

    return receiver, worker


def stdout_bytes() -> int:
    sys.stdout.flush()
    return os.fstat(sys.stdout.fileno()).st_size


def receive_batch(sqs: Any, queue_url: str, size: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while len(messages) < size:
        got = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, size - len(messages)),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not got:
            break
        messages += got
    return messages


def measure(subject: str, deliveries: int, batch: int) -> dict[str, Any]:
    receiver, worker = entry_points(subject)
    sqs = boto3.client("sqs")
    queue_url = os.environ["WORK_QUEUE_URL"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events = []
    for _ in range(deliveries + 1):
        delivery = signed_push()
        events.append(
            http_api_event(
                "POST",
                "/webhooks/github",
                headers=delivery.headers,
                body=delivery.body,
                path_parameters={"source": "github"},
                route_key="POST /webhooks/{source}",
            )
        )
    receiver(events[0], CONTEXT)  # warm: not timed
    receiver_ms = []
    logs_before = stdout_bytes()
    for event in events[1:]:
        started = time.perf_counter()
        answer = receiver(event, CONTEXT)
        receiver_ms.append((time.perf_counter() - started) * 1e3)
        if answer["statusCode"] != 202:
            raise RuntimeError(f"{subject}: the receiver answered {answer}")
    receiver_log_bytes = stdout_bytes() - logs_before
    worker_ms: list[float] = []
    sizes: list[int] = []
    worker_log_bytes = 0
    first = True
    while messages := receive_batch(sqs, queue_url, batch):
        logs_before = stdout_bytes()
        started = time.perf_counter()
        result = worker(sqs_event(messages, queue_arn), CONTEXT)
        elapsed = (time.perf_counter() - started) * 1e3
        if result["batchItemFailures"]:
            raise RuntimeError(f"{subject}: the worker failed {result['batchItemFailures']}")
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
        if first:  # warm-up batch: it holds the warm-up delivery too
            first = False
            continue
        worker_log_bytes += stdout_bytes() - logs_before
        worker_ms.append(elapsed)
        sizes.append(len(messages))
    timed = sum(sizes)
    full = [ms for ms, size in zip(worker_ms, sizes, strict=True) if size == batch] or worker_ms
    return {
        "subject": subject,
        "receiver_ms": statistics.median(receiver_ms),
        "receiver_ms_all": receiver_ms,
        "worker_batch_ms": statistics.median(full) if full else float("nan"),
        "worker_ms_per_delivery": sum(worker_ms) / timed if timed else float("nan"),
        "worker_batches": sizes,
        "lambda_log_bytes_per_delivery": (
            receiver_log_bytes / deliveries + (worker_log_bytes / timed if timed else 0.0)
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subject", choices=["ours", "floor"])
    parser.add_argument("--deliveries", type=int, default=60)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result = measure(args.subject, args.deliveries, args.batch)
    with open(args.out, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
