"""The simulator's in-memory AWS held to moto: one suite of the operations the product calls,
run against both, so the model cannot drift from what the end-to-end tests exercise.

Every test talks to `aws` (fixture below), parametrised over the simulator's stores behind its
botocore-shaped clients and moto's `mock_aws` with real boto3 clients. Only the answers the
product reads are compared: codes, returned items, bodies, attributes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from simulation.aws.dynamodb import DynamoStore
from simulation.aws.network import FakeClient, FaultProfile, Network
from simulation.aws.s3 import S3Store
from simulation.aws.sqs import SqsStore
from simulation.runtime import Runtime
from simulation.tape import Tape

TABLE, BUCKET = "conformance", "conformance-bucket"


@dataclass
class Aws:
    s3: Any
    sqs: Any
    dynamodb: Any
    queue_url: str
    dlq_url: str
    kind: str


def _sim() -> Aws:
    runtime = Runtime(Tape(0), lambda *a: None)
    runtime.now = time.time()
    network = Network(runtime, FaultProfile(), lambda *a: None)  # no actor: no faults
    dynamo = DynamoStore(lambda key, item: False, lambda: runtime.now)
    dynamo.create_table(TABLE)
    s3 = S3Store()
    s3.create_bucket(BUCKET)
    sqs = SqsStore(lambda: runtime.now, lambda n: 0, lambda: False)
    dlq = sqs.create_queue("conformance-dlq")
    queue = sqs.create_queue("conformance", visibility=30, max_receive=2, dead_letter=dlq)
    return Aws(
        FakeClient("s3", s3, network),
        FakeClient("sqs", sqs, network),
        FakeClient("dynamodb", dynamo, network),
        queue.url,
        dlq.url,
        "sim",
    )


def _moto() -> Aws:
    region = "us-east-1"
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket=BUCKET)
    dynamodb = boto3.client("dynamodb", region_name=region)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sqs = boto3.client("sqs", region_name=region)
    dlq_url = sqs.create_queue(QueueName="conformance-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName="conformance",
        Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    return Aws(s3, sqs, dynamodb, queue_url, dlq_url, "moto")


@pytest.fixture(params=["sim", "moto"])
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    if request.param == "sim":
        yield _sim()
        return
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield _moto()


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


# ---------------------------------------------------------------- DynamoDB


def claim(aws: Aws, key: str, owner: str, now: int) -> None:
    """dedup.claim's write."""
    aws.dynamodb.put_item(
        TableName=TABLE,
        Item={
            "pk": s(key),
            "status": s("claimed"),
            "owner": s(owner),
            "lease_until": n(now + 30),
            "expires_at": n(now + 3600),
        },
        ConditionExpression=(
            "attribute_not_exists(pk) OR expires_at < :now"
            " OR (#status = :claimed AND lease_until < :now)"
        ),
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":now": n(now), ":claimed": s("claimed")},
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )


def test_conditional_put_refused_returns_the_old_item(aws: Aws) -> None:
    claim(aws, "a", "one", 1000)
    with pytest.raises(ClientError) as refused:
        claim(aws, "a", "two", 1010)
    assert code(refused.value) == "ConditionalCheckFailedException"
    assert refused.value.response["Item"]["owner"] == s("one")  # type: ignore[typeddict-item]
    claim(aws, "a", "three", 1031)  # the claim's lease ran out
    item = aws.dynamodb.get_item(TableName=TABLE, Key={"pk": s("a")}, ConsistentRead=True)["Item"]
    assert item["owner"] == s("three")


def test_expired_item_counts_as_gone_for_the_condition(aws: Aws) -> None:
    claim(aws, "b", "one", 1000)
    aws.dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": s("b")},
        UpdateExpression="SET #status = :done",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":done": s("processed")},
    )
    claim(aws, "b", "two", 1000 + 3601)  # expires_at < now


def hold(aws: Aws, key: str, token: str, now: int) -> dict[str, Any]:
    """dedup.hold_for_processing's write; returns the new item."""
    return dict(
        aws.dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": s(key)},
            UpdateExpression=(
                "SET #status = :processing, #owner = :token, lease_until = :lease,"
                " expires_at = :expires, attempts = if_not_exists(attempts, :zero) + :one"
            ),
            ConditionExpression=(
                "attribute_not_exists(pk) OR expires_at < :now OR (#status <> :processed"
                " AND (#status <> :processing OR lease_until < :now))"
            ),
            ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
            ExpressionAttributeValues={
                ":processing": s("processing"),
                ":processed": s("processed"),
                ":token": s(token),
                ":now": n(now),
                ":lease": n(now + 60),
                ":expires": n(now + 3600),
                ":zero": n(0),
                ":one": n(1),
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )["Attributes"]
    )


def test_hold_creates_counts_and_refuses_a_live_lease(aws: Aws) -> None:
    first = hold(aws, "c", "t1", 1000)
    assert first["attempts"] == n(1) and first["status"] == s("processing")
    with pytest.raises(ClientError) as busy:
        hold(aws, "c", "t2", 1030)
    assert busy.value.response["Item"]["owner"] == s("t1")  # type: ignore[typeddict-item]
    again = hold(aws, "c", "t3", 1061)
    assert again["attempts"] == n(2) and again["owner"] == s("t3")


def test_owner_conditional_update_and_remove(aws: Aws) -> None:
    hold(aws, "d", "t1", 1000)
    update = {
        "TableName": TABLE,
        "Key": {"pk": s("d")},
        "UpdateExpression": "SET #status = :status, outcome = :o REMOVE lease_until",
        "ConditionExpression": "#owner = :token",
        "ExpressionAttributeNames": {"#status": "status", "#owner": "owner"},
    }
    with pytest.raises(ClientError) as refused:
        aws.dynamodb.update_item(
            **update,
            ExpressionAttributeValues={
                ":token": s("other"),
                ":status": s("processed"),
                ":o": s(""),
            },
        )
    assert code(refused.value) == "ConditionalCheckFailedException"
    aws.dynamodb.update_item(
        **update,
        ExpressionAttributeValues={":token": s("t1"), ":status": s("processed"), ":o": s("{}")},
    )
    item = aws.dynamodb.get_item(TableName=TABLE, Key={"pk": s("d")})["Item"]
    assert item["status"] == s("processed") and "lease_until" not in item


def test_comparisons_with_a_missing_attribute_or_another_type(aws: Aws) -> None:
    """Unequal: `<>` holds, `=` and `<` do not."""
    aws.dynamodb.put_item(TableName=TABLE, Item={"pk": s("e"), "x": n(1)})
    cases = [
        ("gone <> :s", n(1), True),
        ("gone = :s", n(1), False),
        ("gone < :s", n(1), False),
        ("x <> :s", s("1"), True),
        ("x = :s", s("1"), False),
    ]
    for condition, value, holds in cases:
        try:
            aws.dynamodb.update_item(
                TableName=TABLE,
                Key={"pk": s("e")},
                UpdateExpression="SET y = :v",
                ConditionExpression=condition,
                ExpressionAttributeValues={":v": n(5), ":s": value},
            )
            held = True
        except ClientError as refused:
            assert code(refused) == "ConditionalCheckFailedException", condition
            held = False
        assert held is holds, condition


def test_unused_expression_values_are_refused(aws: Aws) -> None:
    with pytest.raises(ClientError) as refused:
        aws.dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": s("u")},
            UpdateExpression="SET y = :v",
            ExpressionAttributeValues={":v": n(5), ":unused": n(1)},
        )
    assert code(refused.value) == "ValidationException"


def test_add_list_append_and_arithmetic(aws: Aws) -> None:
    def update(expression: str, values: dict[str, Any], condition: str | None = None) -> Any:
        extra = {"ConditionExpression": condition} if condition else {}
        return aws.dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": s("f")},
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            **extra,
        )["Attributes"]

    limit = "attribute_not_exists(n) OR n < :limit"
    assert update("SET e = :e ADD n :one", {":one": n(1), ":e": n(9), ":limit": n(2)}, limit)[
        "n"
    ] == n(1)
    assert update("ADD n :one", {":one": n(1), ":limit": n(2)}, limit)["n"] == n(2)
    with pytest.raises(ClientError):
        update("ADD n :one", {":one": n(1), ":limit": n(2)}, limit)
    entry = {"M": {"status": n(500)}}
    new = update(
        "SET h = list_append(if_not_exists(h, :empty), :entry), a = n - :one",
        {":empty": {"L": []}, ":entry": {"L": [entry]}, ":one": n(1)},
    )
    assert new["h"] == {"L": [entry]} and new["a"] == n(1)
    old = aws.dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": s("f")},
        UpdateExpression="SET c = :c",
        ConditionExpression="c <> :c OR n > :zero",
        ExpressionAttributeValues={":c": s("closed"), ":zero": n(0)},
        ReturnValues="ALL_OLD",
    )["Attributes"]
    assert "c" not in old and old["n"] == n(2)


def test_conditional_delete(aws: Aws) -> None:
    claim(aws, "g", "one", 1000)
    condition = {
        "ConditionExpression": "#owner = :token AND #status = :claimed",
        "ExpressionAttributeNames": {"#owner": "owner", "#status": "status"},
    }
    with pytest.raises(ClientError):
        aws.dynamodb.delete_item(
            TableName=TABLE,
            Key={"pk": s("g")},
            ExpressionAttributeValues={":token": s("two"), ":claimed": s("claimed")},
            **condition,
        )
    aws.dynamodb.delete_item(
        TableName=TABLE,
        Key={"pk": s("g")},
        ExpressionAttributeValues={":token": s("one"), ":claimed": s("claimed")},
        **condition,
    )
    assert "Item" not in aws.dynamodb.get_item(TableName=TABLE, Key={"pk": s("g")})
    with pytest.raises(ClientError) as missing:  # a condition on no item fails
        aws.dynamodb.delete_item(
            TableName=TABLE,
            Key={"pk": s("g")},
            ExpressionAttributeValues={":token": s("one"), ":claimed": s("claimed")},
            **condition,
        )
    assert code(missing.value) == "ConditionalCheckFailedException"


def test_batch_get_item(aws: Aws) -> None:
    for key in ("h1", "h2"):
        aws.dynamodb.put_item(TableName=TABLE, Item={"pk": s(key), "v": s(key)})
    found = aws.dynamodb.batch_get_item(
        RequestItems={TABLE: {"Keys": [{"pk": s("h1")}, {"pk": s("h2")}, {"pk": s("h3")}]}}
    )
    assert sorted(i["v"]["S"] for i in found["Responses"][TABLE]) == ["h1", "h2"]
    assert not found.get("UnprocessedKeys")


# ---------------------------------------------------------------- S3


def test_s3_if_none_match_get_head_and_range(aws: Aws) -> None:
    body = bytes(range(256)) * 4
    aws.s3.put_object(Bucket=BUCKET, Key="k", Body=body, ContentType="application/octet-stream")
    with pytest.raises(ClientError) as exists:
        aws.s3.put_object(Bucket=BUCKET, Key="k", Body=b"other", IfNoneMatch="*")
    assert code(exists.value) == "PreconditionFailed"
    assert aws.s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == body
    ranged = aws.s3.get_object(Bucket=BUCKET, Key="k", Range="bytes=10-19")
    assert ranged["Body"].read() == body[10:20]
    assert ranged["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert aws.s3.head_object(Bucket=BUCKET, Key="k")["ContentLength"] == len(body)
    with pytest.raises(ClientError) as head:
        aws.s3.head_object(Bucket=BUCKET, Key="missing")
    assert code(head.value) == "404"
    with pytest.raises(ClientError) as get:
        aws.s3.get_object(Bucket=BUCKET, Key="missing")
    assert code(get.value) == "NoSuchKey"
    aws.s3.put_object(Bucket=BUCKET, Key="new", Body=b"x", IfNoneMatch="*")


# ---------------------------------------------------------------- SQS


def receive(aws: Aws, url: str, **options: Any) -> list[dict[str, Any]]:
    return list(
        aws.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            **options,
        ).get("Messages", [])
    )


def test_sqs_receive_visibility_delete_and_attributes(aws: Aws) -> None:
    sent = aws.sqs.send_message(
        QueueUrl=aws.queue_url,
        MessageBody='{"id": "x"}',
        MessageAttributes={"source": {"DataType": "String", "StringValue": "github"}},
    )
    [message] = receive(aws, aws.queue_url)
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == '{"id": "x"}'
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["MessageAttributes"]["source"]["StringValue"] == "github"
    assert receive(aws, aws.queue_url) == []  # in flight
    aws.sqs.change_message_visibility(
        QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    [again] = receive(aws, aws.queue_url)
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    done = aws.sqs.delete_message_batch(
        QueueUrl=aws.queue_url, Entries=[{"Id": "0", "ReceiptHandle": again["ReceiptHandle"]}]
    )
    assert [e["Id"] for e in done["Successful"]] == ["0"]
    aws.sqs.change_message_visibility  # noqa: B018 (the operation exists on both)
    assert receive(aws, aws.queue_url, VisibilityTimeout=0) == []


def test_sqs_redrive_after_max_receive_count(aws: Aws) -> None:
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody="poison")
    for _ in range(2):
        assert len(receive(aws, aws.queue_url, VisibilityTimeout=0)) == 1
    assert receive(aws, aws.queue_url, VisibilityTimeout=0) == []  # moved on this receive
    [dead] = receive(aws, aws.dlq_url)
    assert dead["Body"] == "poison"


def test_sqs_delay_and_queue_attributes(aws: Aws) -> None:
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody="later", DelaySeconds=60)
    assert receive(aws, aws.queue_url) == []
    attributes = aws.sqs.get_queue_attributes(
        QueueUrl=aws.queue_url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2
