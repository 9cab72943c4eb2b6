"""The worker loop for local runs: what Lambda's SQS event source mapping does on AWS.

It long-polls the work queue, hands each batch to the same `handle_batch` the worker Lambda runs,
deletes the records that succeeded and leaves the failed ones to reappear after the visibility
timeout (and reach the DLQ after maxReceiveCount), as the event source mapping does.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from handler.aws import AwsClients
from handler.errors import ConfigError
from handler.process.worker import Worker, handle_batch
from handler.settings import get_settings
from handler.wiring import default_worker


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The SQS event Lambda would deliver for these received messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3] if queue_arn.count(":") >= 5 else "us-east-1",
            }
            for message in messages
        ]
    }


WAIT_SECONDS = 1


def poll_once(
    worker: Worker, sqs: Any, queue_url: str, queue_arn: str, wait_seconds: int = WAIT_SECONDS
) -> tuple[int, int]:
    """Receive one batch, process it, delete what succeeded; returns (succeeded, failed)."""
    messages = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    if not messages:
        return 0, 0
    result = handle_batch(worker, sqs_event(messages, queue_arn))
    failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
            ],
        )
    return len(done), len(failed)


def run(stop: threading.Event, make_worker: Callable[[], Worker] = default_worker) -> None:
    settings = get_settings()
    # A long poll holds the connection for up to WAIT_SECONDS: a read timeout shorter than that
    # (the receiver's may be 1 s) would time out every receive and starve the worker.
    polling = settings.model_copy(
        update={"aws_read_timeout": max(settings.aws_read_timeout, WAIT_SECONDS + 5)}
    )
    sqs = AwsClients.create(polling).sqs
    queue_url = (
        settings.work_queue_url or sqs.get_queue_url(QueueName=settings.work_queue_name)["QueueUrl"]
    )
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    worker = make_worker()
    print(f"worker: polling {queue_url}", flush=True)
    while not stop.is_set():
        try:
            poll_once(worker, sqs, queue_url, queue_arn)
        except Exception as error:  # keep polling; the next receive retries what failed
            print(f"worker: poll failed: {type(error).__name__}: {error}", flush=True)
            stop.wait(1)


# The exit code of a worker that refuses its configuration: `make run` stops rather than
# starting it again.
CONFIG_EXIT = 2


def main(make_worker: Callable[[], Worker] = default_worker) -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        run(stop, make_worker)
    except ConfigError as error:
        print(f"worker: refusing to start: {error}", file=sys.stderr, flush=True)
        sys.exit(CONFIG_EXIT)


if __name__ == "__main__":
    main()
