"""The boto3 clients, created once per process with timeouts a webhook sender can wait for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .settings import Settings

# Errors that mean "AWS did not do it", as opposed to bugs in our code.
AWS_ERRORS = (BotoCoreError, ClientError)


def client_config(settings: Settings) -> Config:
    return Config(
        connect_timeout=settings.aws_connect_timeout,
        read_timeout=settings.aws_read_timeout,
        retries={"max_attempts": settings.aws_max_attempts, "mode": "standard"},
    )


def session() -> boto3.session.Session:
    # Lambda sets AWS_REGION; a laptop may set neither, and the emulator does not care.
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.session.Session(region_name=region)


@dataclass(frozen=True)
class AwsClients:
    s3: Any
    sqs: Any
    dynamodb: Any

    @classmethod
    def create(cls, settings: Settings) -> AwsClients:
        # One session: the service models it loads are shared by the three clients.
        shared = session()
        config = client_config(settings)
        return cls(
            s3=shared.client("s3", config=config),
            sqs=shared.client("sqs", config=config),
            dynamodb=shared.client("dynamodb", config=config),
        )


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__
