"""queue.py: the envelope is strict, and the message on in-process SQS carries what the worker
and the metrics need."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pydantic import ValidationError

from handler import wiring
from handler.aws import AwsClients
from handler.settings import Settings
from handler.store.queue import Envelope, WorkQueue

FIELDS: dict[str, Any] = {
    "id": "evt_1",
    "source": "stripe",
    "event_type": "invoice.paid",
    "received_at": "2026-11-29T12:00:00Z",
    "url": "https://hooks.example.com/webhooks/stripe",
    "headers": {"content-type": "application/json"},
    "body_sha256": "0" * 64,
    "body_size": 2,
}


def test_an_inline_body_round_trips_byte_for_byte() -> None:
    body = b"\xff\x00{}"
    envelope = Envelope.model_validate({**FIELDS, "body_b64": base64.b64encode(body).decode()})
    assert Envelope.model_validate_json(envelope.model_dump_json()).inline_body() == body
    assert Envelope.model_validate({**FIELDS, "body_key": "archive/x.body"}).inline_body() is None


@pytest.mark.parametrize(
    "change",
    [{"version": 2}, {"surprise": 1}, {"received_at": "yesterday"}, {"id": None}],
)
def test_an_envelope_of_another_shape_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Envelope.model_validate({**FIELDS, **change})


def test_send_puts_the_envelope_and_its_routing_attributes_on_the_queue(
    settings: Settings, clients: AwsClients
) -> None:
    queue: WorkQueue = wiring.work_queue(settings, clients)
    envelope = Envelope.model_validate(
        {**FIELDS, "event_type": "x" * 300, "body_b64": base64.b64encode(b"{}").decode()}
    )
    message_id = queue.send(envelope)
    [message] = clients.sqs.receive_message(
        QueueUrl=queue.url, MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    assert message["MessageId"] == message_id
    assert Envelope.model_validate_json(message["Body"]) == envelope
    assert "body_key" not in json.loads(message["Body"])  # None fields are left out
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {"source": "stripe", "event_type": "x" * 256}  # SQS's attribute limit
