"""The real receiver (handler.main) under awslambdaric against a moto server: the 202 is posted
before the archive is written, and the extension holds the environment until it is."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.events import signed_event
from infra.processes import EMULATOR_CREDENTIALS
from infra.resources import create_resources
from infra.runtime_api import FakeRuntimeAPI
from webhook_sim.senders import configured_source

StartFunction = Callable[..., FakeRuntimeAPI]
GITHUB_CONFIG = {"scheme": "github", "secrets": ["lambda-harness-secret"]}
GITHUB = configured_source("github", GITHUB_CONFIG)


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in EMULATOR_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    yield f"http://{host}:{port}"
    server.stop()


def github_event(body: bytes, delivery: str) -> dict[str, object]:
    return signed_event(GITHUB, body, event_type="push", sender_id=delivery)


@pytest.mark.parametrize("policy", ["durable", "instant"])
def test_receiver_acks_then_archives_before_freezing(
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
    assert any(k.endswith(f"{delivery}.body") for k in keys)
    assert any(k.endswith(f"{delivery}.json") for k in keys)
    archived = next(k for k in keys if k.endswith(f"{delivery}.body"))
    assert s3.get_object(Bucket=resources.bucket, Key=archived)["Body"].read() == body
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    messages = sqs.receive_message(QueueUrl=resources.queue_url, MaxNumberOfMessages=10)
    assert [json.loads(m["Body"])["id"] for m in messages.get("Messages", [])] == [delivery]
