"""The AWS clients, created once per process with timeouts a webhook sender can wait for.

botocore directly, not boto3: boto3's import pulls in s3transfer (~110 ms of a ~0.7 s cold
start) for upload helpers the receiver never calls. The clients are the same botocore clients.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .settings import Settings

if TYPE_CHECKING:  # the boto3 type stubs (requirements-dev.txt); nothing at run time
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

# Errors that mean "AWS did not do it", as opposed to bugs in our code.
AWS_ERRORS = (BotoCoreError, ClientError)


def client_config(settings: Settings) -> Config:
    return Config(
        connect_timeout=settings.aws_connect_timeout,
        read_timeout=settings.aws_read_timeout,
        retries={"max_attempts": settings.aws_max_attempts, "mode": "standard"},
    )


def region() -> str:
    # Lambda sets AWS_REGION; a laptop may set neither, and the emulator does not care.
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def new_client(service: str, config: Config, session: Any = None) -> Any:
    session = session or botocore.session.get_session()
    return session.create_client(service, region_name=region(), config=config)


class ReplaceableClient:
    """A botocore client that can be swapped under everyone holding it (after a SnapStart
    restore). Every attribute is the current client's; one lookup more per call."""

    __slots__ = ("client",)

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@dataclass(frozen=True)
class AwsClients:
    s3: S3Client
    sqs: SQSClient
    dynamodb: DynamoDBClient
    config: Config | None = None
    # The session whose loader holds the parsed service models: new clients reuse them.
    session: Any = None

    @classmethod
    def create(cls, settings: Settings) -> AwsClients:
        # One session: the service models it loads are shared by the three clients.
        shared = botocore.session.get_session()
        config = client_config(settings)
        # A ReplaceableClient forwards every attribute: to callers it is the client it holds.
        return cls(
            s3=cast("S3Client", ReplaceableClient(new_client("s3", config, shared))),
            sqs=cast("SQSClient", ReplaceableClient(new_client("sqs", config, shared))),
            dynamodb=cast(
                "DynamoDBClient", ReplaceableClient(new_client("dynamodb", config, shared))
            ),
            config=config,
            session=shared,
        )

    def renew(self) -> None:
        """New clients in place of the old, for everyone holding them: new connection pools.

        From the same session: its loaded service models make this cheap (a new session cost
        ~15 ms more per restore), and its credentials are the container credentials endpoint's
        under SnapStart, refreshable credentials that fetch new ones as they near expiry."""
        if self.session is None or self.config is None:
            return
        for name in ("s3", "sqs", "dynamodb"):
            holder = getattr(self, name)
            if isinstance(holder, ReplaceableClient):
                holder.client = new_client(name, self.config, self.session)


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def condition_failed(error: ClientError) -> bool:
    """A conditional write refused because the item was not in the state it required."""
    return error_code(error) == "ConditionalCheckFailedException"


def update_if(dynamodb: Any, **update: Any) -> bool:
    """One UpdateItem with its ConditionExpression: True if written, False if the condition
    refused it (the item was not in the state the write required)."""
    try:
        dynamodb.update_item(**update)
    except ClientError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def batch_get(
    dynamodb: Any, table: str, keys: list[str], **options: Any
) -> Iterator[dict[str, Any]]:
    """The items of `table` with these `pk` keys (those that exist, typed as DynamoDB returns
    them): 100 keys per BatchGetItem (its limit), UnprocessedKeys asked again. `options`:
    ConsistentRead, ProjectionExpression..."""
    for start in range(0, len(keys), 100):
        chunk = keys[start : start + 100]
        request: dict[str, Any] = {table: {"Keys": [{"pk": {"S": k}} for k in chunk], **options}}
        while request:
            response = dynamodb.batch_get_item(RequestItems=request)
            yield from response.get("Responses", {}).get(table, [])
            request = dict(response.get("UnprocessedKeys") or {})
