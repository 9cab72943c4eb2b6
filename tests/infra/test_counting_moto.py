"""infra/counting_moto.py: every AWS call the product makes is counted as the operation it is.

One real call of each through boto3 against the counting server (moto behind the counter, served
on a free port of 127.0.0.1 in a thread), then the counter's own HTTP answer is read.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.serving import make_server

from infra.counting_moto import UNCOUNTED_AGENT, Request, classify, counting_app
from infra.moto_server import AtomicDynamoDB, MotoRequestHandler

BUCKET = "counting-test-archive"
TABLE = "counting-test-idempotency"
KEY = "archive/github/2026/12/07/delivery-1"


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = make_server(
        "127.0.0.1",
        0,
        AtomicDynamoDB(counting_app()),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def client(service: str, endpoint: str, agent: str = "") -> Any:
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(user_agent_extra=agent) if agent else None,
    )


def counts(endpoint: str, reset: bool = False) -> dict[str, Any]:
    request = urllib.request.Request(f"{endpoint}/_counter", method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=5) as answer:
        result: dict[str, Any] = json.load(answer)
        return result


def test_s3_operations_conditional_puts_and_4xx(endpoint: str) -> None:
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket=BUCKET)
    counts(endpoint, reset=True)

    s3.put_object(Bucket=BUCKET, Key=f"{KEY}.body", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key=f"{KEY}.json", Body=b"{}", IfNoneMatch="*")
    with pytest.raises(ClientError):  # exists already: 412
        s3.put_object(Bucket=BUCKET, Key=f"{KEY}.json", Body=b"{}", IfNoneMatch="*")
    s3.head_object(Bucket=BUCKET, Key=f"{KEY}.body")
    with pytest.raises(ClientError):  # the worker's "is it archived?" when it is not: 404
        s3.head_object(Bucket=BUCKET, Key="archive/none.json")
    s3.get_object(Bucket=BUCKET, Key=f"{KEY}.body")
    s3.list_objects_v2(Bucket=BUCKET, Prefix="archive/github/", Delimiter="/")
    s3.list_objects(Bucket=BUCKET, Prefix="archive/")
    s3.copy_object(Bucket=BUCKET, Key="copy", CopySource={"Bucket": BUCKET, "Key": f"{KEY}.body"})
    s3.delete_object(Bucket=BUCKET, Key="copy")

    s3_counts = counts(endpoint)["s3"]
    assert set(s3_counts) == {
        "PutObject",
        "HeadObject",
        "GetObject",
        "ListObjectsV2",
        "ListObjects",
        "CopyObject",
        "DeleteObject",
    }
    put = s3_counts["PutObject"]
    assert (put["requests"], put["conditional"], put["client_errors"]) == (3, 2, 1)
    head = s3_counts["HeadObject"]
    assert (head["requests"], head["client_errors"]) == (2, 1)
    for operation in ("GetObject", "ListObjectsV2", "ListObjects", "CopyObject", "DeleteObject"):
        assert s3_counts[operation]["requests"] == 1, operation


def test_dynamodb_operations_and_units(endpoint: str) -> None:
    dynamodb = client("dynamodb", endpoint)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    counts(endpoint, reset=True)
    key = {"pk": {"S": "github#delivery-1"}}
    claim = {**key, "status": {"S": "claimed"}, "filler": {"S": "x" * 1500}}  # > 1 KB: 2 units

    dynamodb.put_item(TableName=TABLE, Item=claim, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError):  # a duplicate's claim: refused, still billed
        dynamodb.put_item(
            TableName=TABLE, Item=claim, ConditionExpression="attribute_not_exists(pk)"
        )
    dynamodb.update_item(  # the item is 2 KB before and after: 2 units
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "processed"}},
    )
    dynamodb.update_item(  # shrinks it to < 1 KB: the larger size (before) counts
        TableName=TABLE, Key=key, UpdateExpression="REMOVE filler"
    )
    dynamodb.get_item(TableName=TABLE, Key=key)  # eventually consistent, < 4 KB: 0.5
    dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)  # 1
    dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [key], "ConsistentRead": True}})
    dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": key["pk"]},
    )
    dynamodb.scan(TableName=TABLE, Select="COUNT")
    dynamodb.delete_item(TableName=TABLE, Key=key)

    tallies = counts(endpoint)["dynamodb"]
    units = {operation: tally["units"] for operation, tally in tallies.items()}
    assert units == {
        "PutItem": 4.0,  # 2 + 2 (the refused one is sized by the existing item)
        "UpdateItem": 4.0,
        "GetItem": 1.5,
        "BatchGetItem": 1.0,
        "Query": 0.5,
        "Scan": 0.5,
        "DeleteItem": 1.0,
    }
    put = tallies["PutItem"]
    assert (put["requests"], put["conditional"], put["client_errors"]) == (2, 2, 1)
    assert tallies["UpdateItem"]["conditional"] == 0


def test_sqs_operations_messages_and_empty_receives(endpoint: str) -> None:
    sqs = client("sqs", endpoint)
    queue_url = sqs.create_queue(QueueName="counting-test-work")["QueueUrl"]
    counts(endpoint, reset=True)

    sqs.get_queue_url(QueueName="counting-test-work")
    sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    sqs.send_message(QueueUrl=queue_url, MessageBody="x" * 70_000)  # two 64 KB chunks
    sqs.send_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": str(i), "MessageBody": "{}"} for i in range(2)],
    )
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 3
    sqs.change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    sqs.change_message_visibility_batch(
        QueueUrl=queue_url,
        Entries=[
            {"Id": "1", "ReceiptHandle": messages[1]["ReceiptHandle"], "VisibilityTimeout": 0}
        ],
    )
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[2]["ReceiptHandle"])
    again = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(again)],
    )
    sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)  # nothing left: empty

    tallies = counts(endpoint)["sqs"]
    assert {op: t["requests"] for op, t in tallies.items()} == {
        "GetQueueUrl": 1,
        "GetQueueAttributes": 1,
        "SendMessage": 1,
        "SendMessageBatch": 1,
        "ReceiveMessage": 3,
        "ChangeMessageVisibility": 1,
        "ChangeMessageVisibilityBatch": 1,
        "DeleteMessage": 1,
        "DeleteMessageBatch": 1,
    }
    assert tallies["SendMessage"]["units"] == 2  # 70,000 bytes: two 64 KB chunks
    assert tallies["SendMessageBatch"]["messages"] == 2
    receive = tallies["ReceiveMessage"]
    assert (receive["messages"], receive["empty"]) == (5, 1)
    assert tallies["DeleteMessageBatch"]["messages"] == 2


def test_uncounted_requests_and_reset(endpoint: str) -> None:
    sqs = client("sqs", endpoint)
    sqs.create_queue(QueueName="counting-test-reset")
    assert counts(endpoint)["sqs"]["CreateQueue"]["requests"] == 1
    assert counts(endpoint, reset=True) == {}
    client("sqs", endpoint, agent=UNCOUNTED_AGENT).list_queues()
    assert counts(endpoint) == {}


@pytest.mark.parametrize(
    ("method", "path", "query", "operation"),
    [
        ("PUT", "/bucket/a/b.json", "", "PutObject"),
        ("PUT", "/bucket", "", "CreateBucket"),
        ("HEAD", "/bucket", "", "HeadBucket"),
        ("GET", "/bucket", "list-type=2&prefix=a%2F", "ListObjectsV2"),
        ("GET", "/bucket", "prefix=a", "ListObjects"),
        ("GET", "/", "", "ListBuckets"),
        ("POST", "/bucket", "delete", "DeleteObjects"),
        ("POST", "/bucket/big", "uploads", "CreateMultipartUpload"),
        ("PUT", "/bucket/big", "partNumber=1&uploadId=u", "UploadPart"),
    ],
)
def test_s3_operation_from_method_path_and_query(
    method: str, path: str, query: str, operation: str
) -> None:
    scope = "AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/s3/aws4_request, X"
    request = Request(method, path, query, {"authorization": scope})
    assert classify(request).operation == operation
    assert classify(request).service == "s3"
