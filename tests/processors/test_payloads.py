"""Processors read events as their senders meant them: every scheme, each encoding its sender
documents, through the receiver and the worker (not only the parser)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from fastapi.testclient import TestClient

from handler.aws import AwsClients
from handler.dedup import dedup_key
from handler.processors import Event, UnreadablePayload, processor, unregister
from handler.processors.effects import EffectStore, use_store
from handler.processors.payloads import read_payload
from handler.worker import Worker, handle_batch
from infra.local_worker import sqs_event
from infra.resources import Resources
from support import sign
from webhook_sim.published import FORM, JSON, Sample, github_pull_request, samples

ARN = "arn:aws:sqs:us-east-1:123456789012:webhook-work"
SAMPLES = samples()


@pytest.fixture
def payloads() -> Iterator[dict[str, tuple[str, Any]]]:
    """A processor for every other event of each source, recording what payload() returned."""
    seen: dict[str, tuple[str, Any]] = {}

    def read(event: Event) -> dict[str, Any]:
        seen[event.id] = (event.event_type, event.payload())
        return {"read": True}

    sources = sorted({sample.source for sample in SAMPLES})
    for source in sources:
        processor(source, "*")(read)
    yield seen
    for source in sources:
        unregister(source, "*")


@pytest.fixture
def store(resources: Resources) -> Iterator[EffectStore]:
    effects = EffectStore(boto3.client("s3", region_name="us-east-1"), resources.bucket)
    use_store(effects)
    yield effects
    use_store(None)


def deliver_and_process(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    source: str,
    body: bytes,
    content_type: str,
    event_type: str = "push",
) -> tuple[str, dict[str, Any]]:
    """POST it signed as the sender would, then run the worker on its message."""
    url, headers = sign(source, body, event_type=event_type, content_type=content_type)
    response = client.post(url, content=body, headers=headers)
    assert response.status_code in (200, 202), response.text
    delivery_id = response.headers["x-delivery-id"]
    [message] = clients.sqs.receive_message(
        QueueUrl=resources.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    return delivery_id, handle_batch(worker, sqs_event([message], ARN))


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.name for sample in SAMPLES])
def test_every_sender_encoding_reaches_the_processor_as_sent(
    sample: Sample,
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    payloads: dict[str, tuple[str, Any]],
) -> None:
    delivery_id, result = deliver_and_process(
        client,
        clients,
        resources,
        worker,
        sample.source,
        sample.body,
        sample.content_type,
        sample.event_type or "push",
    )
    assert result == {"batchItemFailures": []}
    _, payload = payloads[delivery_id]
    assert payload == sample.expected


def test_samples_cover_every_scheme_and_encoding() -> None:
    covered = {(sample.source, sample.content_type) for sample in SAMPLES}
    for source in ("github", "stripe", "slack", "shopify", "standard", "twilio", "gitlab"):
        assert (source, JSON) in covered
    for source in ("discord", "internal"):
        assert (source, JSON) in covered
    for source in ("github", "slack", "twilio"):  # the senders that also post forms
        assert (source, FORM) in covered
    assert max(len(sample.body) for sample in SAMPLES) > 20_000  # a full-size GitHub event


@pytest.mark.parametrize("content_type", [JSON, FORM])
def test_the_github_example_reads_both_content_types_github_offers(
    content_type: str,
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    store: EffectStore,
) -> None:
    document = github_pull_request(number=7 if content_type == JSON else 8)
    text = json.dumps(document)
    body = text.encode() if content_type == JSON else urlencode({"payload": text}).encode()
    delivery_id, result = deliver_and_process(
        client, clients, resources, worker, "github", body, content_type, "pull_request"
    )
    assert result == {"batchItemFailures": []}
    record = worker.dedup.get(dedup_key("github", delivery_id))
    assert record is not None and record["status"] == "processed"
    name = f"octo-org-hello-wörld-{document['number']}"
    assert json.loads(record["outcome"]) == {
        "processor": "github.pull_request",
        "pull": name,
        "changed": True,
    }
    stored = store.get(store.key("github", "pulls", name))
    assert stored is not None
    assert stored["head"] == document["pull_request"]["head"]["sha"]
    assert stored["repository"] == "octo-org/hello-wörld"


def test_an_unreadable_payload_fails_the_record_with_its_reason(
    client: TestClient,
    clients: AwsClients,
    resources: Resources,
    worker: Worker,
    store: EffectStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = urlencode({"payload": "{not json, secret-ish body text"}).encode()
    delivery_id, result = deliver_and_process(
        client, clients, resources, worker, "github", body, FORM, "pull_request"
    )
    assert len(result["batchItemFailures"]) == 1
    [line] = [r for r in caplog.records if r.getMessage() == "record failed"]
    assert line.__dict__["error_type"] == "UnreadablePayload"
    assert "the form's payload field is not JSON" in line.__dict__["error"]
    assert line.exc_info is None and "secret-ish" not in caplog.text
    record = worker.dedup.get(dedup_key("github", delivery_id))
    assert record is not None and record["last_error"].startswith("UnreadablePayload: ")


# The parser's own edges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"a": "\xc3\xa9"}', "application/json; charset=utf-8", {"a": "é"}),
        (b'{"a": "\xe9"}', "application/json; charset=ISO-8859-1", {"a": "é"}),
        ('{"a": "é"}'.encode("utf-16"), "application/json", {"a": "é"}),
        (b'{"a": 1}', "application/vnd.api+json", {"a": 1}),
        (b'  {"a": 1}', None, {"a": 1}),  # no content type: the body tells
        (b"a=1&b=%C3%A9", None, {"a": "1", "b": "é"}),
        (b"a=1&a=2&b=", FORM, {"a": ["1", "2"], "b": ""}),  # repeated fields keep every value
        (b"payload=%5B1%2C2%5D", FORM + "; charset=UTF-8", [1, 2]),
        (b"payload=x&other=1", FORM, {"payload": "x", "other": "1"}),  # not the payload form
        (b"", FORM, {}),
    ],
)
def test_read_payload(body: bytes, content_type: str | None, expected: Any) -> None:
    assert read_payload(body, content_type) == expected


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (b"", JSON, "empty body"),
        (b"{nope", JSON, "not JSON: "),
        (b'{"a": "\xff"}', "application/json; charset=utf-8", "not valid utf-8"),
        (b"a=%FF", FORM, "not valid utf-8"),
        (b"payload=1&payload=2", FORM, "more than once"),
        (b"<xml/>", "application/xml", "neither JSON nor a form"),
        (b"{}", "application/json; charset=klingon", "unknown charset"),
    ],
)
def test_unreadable_payloads_say_why(body: bytes, content_type: str, says: str) -> None:
    with pytest.raises(UnreadablePayload, match=says) as raised:
        read_payload(body, content_type)
    assert isinstance(raised.value, ValueError)  # `except ValueError` in processors still works
