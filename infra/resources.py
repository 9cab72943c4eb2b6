"""Create the receiver's AWS resources (bucket, queue + DLQ, table) where they do not exist.

Used by `make run` and the tests against a moto server or in-process mock; the same shapes as
template.yaml declares for AWS.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import boto3

from handler.aws import AwsClients

DEFAULT_REGION = "us-east-1"
# The local work queue: with the default 60 s processing lease, a crashed worker's deliveries
# come back to a worker after the lease and before their 5th receive (handler/store/leases.py).
VISIBILITY_TIMEOUT = 30
MAX_RECEIVE_COUNT = 5


@dataclass(frozen=True)
class Resources:
    bucket: str
    queue_url: str
    dlq_url: str
    table: str

    def environment(self) -> dict[str, str]:
        return {
            "ARCHIVE_BUCKET": self.bucket,
            "WORK_QUEUE_URL": self.queue_url,
            "IDEMPOTENCY_TABLE": self.table,
        }


def create_resources(
    *,
    bucket: str = "webhook-archive",
    queue: str = "webhook-work",
    table: str = "webhook-idempotency",
    endpoint_url: str | None = None,
    max_receive_count: int = MAX_RECEIVE_COUNT,
    visibility_timeout: int = VISIBILITY_TIMEOUT,
    clients: AwsClients | None = None,
) -> Resources:
    def client(service: Literal["s3", "sqs", "dynamodb"]) -> Any:
        if clients is not None:  # already made (creating a client costs ~60 ms)
            return getattr(clients, service)
        return boto3.client(service, endpoint_url=endpoint_url, region_name=DEFAULT_REGION)

    s3, sqs, dynamodb = client("s3"), client("sqs"), client("dynamodb")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    dlq_url = sqs.create_queue(
        QueueName=f"{queue}-dlq", Attributes={"MessageRetentionPeriod": "1209600"}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=queue,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
            ),
        },
    )["QueueUrl"]
    try:
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except dynamodb.exceptions.ResourceInUseException:
        pass
    else:
        dynamodb.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )
    return Resources(bucket=bucket, queue_url=queue_url, dlq_url=dlq_url, table=table)
