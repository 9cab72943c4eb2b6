"""The SQS message that makes a delivery durable: everything the worker needs to process it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef


# The message attribute naming who replayed a delivery (metrics.is_replay reads it).
REPLAY_ATTRIBUTE = "replayed_by"
# On a delivery handed off long after it arrived (released from quarantine): the time from its
# arrival to the message is no ack latency (the worker's `ack_ms`).
LATE_ATTRIBUTE = "released_late"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    id: str
    source: str
    event_type: str
    received_at: datetime
    url: str  # the URL as signed (Twilio re-verification needs it)
    headers: dict[str, str]  # as received, minus credentials: enough to re-verify the signature
    body_sha256: str
    body_size: int
    # Exactly one of the two: the body inline, or the S3 key it was written to before the ack.
    body_b64: str | None = None
    body_key: str | None = None

    def inline_body(self) -> bytes | None:
        return None if self.body_b64 is None else base64.b64decode(self.body_b64)


@dataclass(frozen=True)
class WorkQueue:
    sqs: SQSClient
    url: str

    def send(
        self, envelope: Envelope, replayed_by: str | None = None, *, released_late: bool = False
    ) -> str:
        """`replayed_by`: who re-sent an archived delivery (`webhooks replay`), so the worker
        counts it as a replay, not a new delivery (and reads it from the archive, written
        already). `released_late`: see LATE_ATTRIBUTE."""
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            "source": {"DataType": "String", "StringValue": envelope.source},
            "event_type": {"DataType": "String", "StringValue": envelope.event_type[:256]},
        }
        if replayed_by is not None:
            attributes[REPLAY_ATTRIBUTE] = {"DataType": "String", "StringValue": replayed_by}
        if released_late:
            attributes[LATE_ATTRIBUTE] = {"DataType": "String", "StringValue": "quarantine"}
        response = self.sqs.send_message(
            QueueUrl=self.url,
            MessageBody=envelope.model_dump_json(exclude_none=True),
            MessageAttributes=attributes,
        )
        return str(response["MessageId"])
