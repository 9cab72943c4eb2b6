"""The sample Lambda events (`make events`) through the real Lambda entry points, in-process.

The same events drive `sam local invoke` (tests/e2e/test_sam_local.py); here they run through
Mangum and the worker's handler over mock_aws, so a wrong event shape or a signature that no
longer matches fails without Docker.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from mangum import Mangum

from handler.aws import AwsClients
from handler.process.worker import Worker, handle_batch
from handler.receive.api import create_app
from handler.receive.ingest import Receiver
from handler.receive.lambda_ext import AfterResponse
from handler.store.archive import delivery_key
from handler.store.queue import Envelope
from infra import events as sample
from infra.resources import Resources

NOW = time.time()
EVENTS = sample.generate(NOW)  # for their shape; tests that send one sign it anew (fresh_events)
HTTP_EVENTS = sorted(name for name in EVENTS if sample.expected_status(name) is not None)


class Context:
    function_name = "receiver"
    aws_request_id = "test-request"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:receiver"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def test_every_demo_source_and_case_has_an_event() -> None:
    names = set(EVENTS)
    for source in ("github", "stripe", "slack", "shopify", "standard", "twilio", "gitlab"):
        assert {f"{source}-valid", f"{source}-tampered"} <= names
    for source in ("stripe", "slack", "standard", "discord"):
        assert f"{source}-stale" in names
    assert {"slack-url-verification", "discord-ping", "discord-valid", "unknown-source"} <= names
    assert {"slack-slash-command", "discord-interaction"} <= names
    assert {"health", "sqs-batch", "sqs-batch-poison"} <= names


def test_generation_is_reproducible_and_the_committed_set_is_complete() -> None:
    assert sample.generate(NOW) == EVENTS
    committed = {path.stem for path in (sample.ROOT / "events").glob("*.json")}
    assert committed == set(EVENTS), "run `make events` and commit events/"


def test_http_api_events_have_api_gateway_shape() -> None:
    for name in HTTP_EVENTS:
        event = EVENTS[name]
        assert event["version"] == "2.0"
        http = event["requestContext"]["http"]
        assert event["routeKey"] == event["requestContext"]["routeKey"]
        assert event["rawPath"] == http["path"]
        assert all(key == key.lower() for key in event["headers"]), name
        if http["method"] == "POST":
            assert event["routeKey"] == "POST /webhooks/{source}"
            assert event["rawPath"] == f"/webhooks/{event['pathParameters']['source']}"
            body = event["body"]
            raw = base64.b64decode(body) if event["isBase64Encoded"] else body.encode()
            assert event["headers"]["content-length"] == str(len(raw))
    # A form body arrives base64-encoded from an HTTP API.
    assert EVENTS["twilio-valid"]["isBase64Encoded"] is True
    assert EVENTS["github-valid"]["isBase64Encoded"] is False


def test_function_for_routes_sqs_events_to_the_worker() -> None:
    assert sample.function_for(EVENTS["sqs-batch"]) == "WorkerFunction"
    assert sample.function_for(EVENTS["github-valid"]) == "ReceiverFunction"


def test_write_creates_one_json_file_per_event(tmp_path: Path) -> None:
    written = sample.write(EVENTS, tmp_path)
    assert len(written) == len(EVENTS)
    assert json.loads((tmp_path / "github-valid.json").read_text()) == EVENTS["github-valid"]


def test_main_writes_fresh_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sample.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "stripe-valid.json").is_file()
    assert "wrote" in capsys.readouterr().out


def invoke(receiver: Receiver, lambda_mode: bool, event: dict[str, Any]) -> dict[str, Any]:
    """Through Mangum as main.py builds it: on Lambda, background tasks go to AfterResponse."""
    after = AfterResponse() if lambda_mode else None
    app = create_app(receiver, after_response=after, inline_io=lambda_mode)
    response: dict[str, Any] = Mangum(app, lifespan="off")(event, Context())
    if after is not None:
        after.run_now()  # what the handler does when no extension keeps the environment alive
    return response


# Queued like any delivery, but answered the way the sender requires instead of with our JSON.
SENDER_SHAPED = {
    "discord-interaction": '{"type":5}',  # deferred: the processor follows up
    "slack-slash-command": "",  # Slack would post any body back to the user
    "twilio-valid": '<?xml version="1.0" encoding="UTF-8"?><Response/>',  # TwiML doing nothing
}


@pytest.fixture
def fresh_events() -> dict[str, dict[str, Any]]:
    """Signed now: events signed at collection go stale (300 s) before a long suite reaches them."""
    return sample.generate(time.time())


@pytest.mark.parametrize("lambda_mode", [False, True], ids=["asgi", "lambda"])
@pytest.mark.parametrize("name", HTTP_EVENTS)
def test_receiver_answers_each_event_as_expected(
    name: str,
    lambda_mode: bool,
    receiver: Receiver,
    clients: AwsClients,
    resources: Resources,
    fresh_events: dict[str, dict[str, Any]],
) -> None:
    response = invoke(receiver, lambda_mode, fresh_events[name])
    assert response["statusCode"] == sample.expected_status(name), response
    if name in SENDER_SHAPED:
        assert response["body"] == SENDER_SHAPED[name]
    elif name == "slack-url-verification":
        challenge = json.loads(fresh_events[name]["body"])["challenge"]
        assert json.loads(response["body"]) == {"challenge": challenge}
    elif name == "discord-ping":
        assert json.loads(response["body"]) == {"type": 1}
    elif name == "whatsapp-subscribe":  # a GET: the challenge as text, nothing queued or archived
        query = fresh_events[name]["queryStringParameters"]
        assert response["body"] == query["hub.challenge"]
        assert response["headers"]["content-type"].startswith("text/plain")
    elif response["statusCode"] == 202:
        assert json.loads(response["body"])["status"] == "accepted"
    if response["statusCode"] == 202 or name in SENDER_SHAPED:
        delivery_id = response["headers"]["x-delivery-id"]
        assert [envelope.id for envelope in queued(clients, resources)] == [delivery_id]


def queued(clients: AwsClients, resources: Resources) -> list[Envelope]:
    messages = clients.sqs.receive_message(
        QueueUrl=resources.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", [])
    return [Envelope.model_validate_json(message["Body"]) for message in messages]


@pytest.mark.parametrize("lambda_mode", [False, True], ids=["asgi", "lambda"])
def test_the_same_event_twice_is_a_duplicate(
    lambda_mode: bool,
    receiver: Receiver,
    worker: Worker,
    clients: AwsClients,
    resources: Resources,
    fresh_events: dict[str, dict[str, Any]],
) -> None:
    first = invoke(receiver, lambda_mode, fresh_events["stripe-valid"])
    for envelope in queued(clients, resources):  # a worker has it: a copy is a duplicate
        worker.handle(envelope)
    second = invoke(receiver, lambda_mode, fresh_events["stripe-valid"])
    assert first["statusCode"] == 202
    assert second["statusCode"] == 200, second
    assert json.loads(second["body"])["status"] == "duplicate"


def test_worker_reports_exactly_the_poison_record(
    worker: Worker, clients: AwsClients, resources: Resources
) -> None:
    event = EVENTS["sqs-batch-poison"]
    poison = [r["messageId"] for r in event["Records"] if "poison" in r["body"]]
    result = handle_batch(worker, event)
    assert result == {"batchItemFailures": [{"itemIdentifier": poison[0]}]}
    # The good records were archived by the worker (the receiver never saw them here).
    for record in event["Records"]:
        if record["messageId"] in poison:
            continue
        envelope = json.loads(record["body"])
        key = delivery_key(envelope["source"], envelope["id"], _received_at(envelope))
        assert worker.archive.read(key).meta["id"] == envelope["id"]


def test_worker_processes_the_valid_batch(worker: Worker) -> None:
    assert handle_batch(worker, EVENTS["sqs-batch"]) == {"batchItemFailures": []}


def _received_at(envelope: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(envelope["received_at"])
