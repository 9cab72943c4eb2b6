"""The real receiver (handler.main) under awslambdaric against a moto server: the 202 is posted
before any work after it (under ACK_POLICY=instant, the hand-off), and the extension holds the
environment until it is done. Under durable nothing follows the ack: the worker archives."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import boto3
import pytest

from infra.events import signed_event
from infra.processes import EMULATOR_CREDENTIALS
from infra.resources import create_resources
from infra.runtime_api import FakeRuntimeAPI
from webhook_sim.senders import configured_source

StartFunction = Callable[..., FakeRuntimeAPI]
GITHUB_CONFIG = {"scheme": "github", "secrets": ["lambda-harness-secret"]}
GITHUB = configured_source("github", GITHUB_CONFIG)


def github_event(body: bytes, delivery: str) -> dict[str, object]:
    return signed_event(GITHUB, body, event_type="push", sender_id=delivery)


@pytest.mark.parametrize("policy", ["durable", "instant"])
def test_receiver_acks_then_hands_off_before_freezing(
    lambda_function: StartFunction, moto_endpoint: str, policy: str
) -> None:
    resources = create_resources(endpoint_url=moto_endpoint)
    sources = {"sources": {"github": GITHUB_CONFIG}}
    api = lambda_function(
        "handler.main.lambda_handler",
        {
            **EMULATOR_CREDENTIALS,
            **resources.environment(),
            "AWS_ENDPOINT_URL": moto_endpoint,
            "WEBHOOK_SOURCES": json.dumps(sources),
            "ACK_POLICY": policy,
        },
    )
    delivery = str(uuid.uuid4())
    body = json.dumps({"ref": "refs/heads/main"}).encode()

    invocation = api.invoke(github_event(body, delivery))

    response = invocation.json()
    assert response["statusCode"] == 202
    assert json.loads(response["body"])["status"] == "accepted"
    (extension_next,) = invocation.extensions_next_at.values()
    assert extension_next >= invocation.responded_at
    # Once the environment would be frozen, everything after the ack has happened.
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=resources.bucket).get("Contents", [])]
    assert keys == []  # the worker archives it, from the message
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    messages = sqs.receive_message(QueueUrl=resources.queue_url, MaxNumberOfMessages=10)
    assert [json.loads(m["Body"])["id"] for m in messages.get("Messages", [])] == [delivery]
