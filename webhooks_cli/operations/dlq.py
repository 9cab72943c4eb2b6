"""The dead-letter queue: what is in it and why, and moving it back to the work queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handler.store.dedup import dedup_key
from handler.store.queue import Envelope

from .context import Outcome
from .deliveries import Deliveries
from .errors import CliError

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef, SendMessageBatchRequestEntryTypeDef


@dataclass
class DeadLetter:
    """A message in the DLQ and why its delivery failed."""

    message_id: str
    id: str | None = None
    source: str | None = None
    event_type: str | None = None
    unreadable: str | None = None  # the message is not an envelope: why
    record: dict[str, Any] | None = None

    @classmethod
    def read(cls, message_id: str, body: str) -> DeadLetter:
        try:
            envelope = Envelope.model_validate_json(body)
        except ValueError:
            return cls(message_id, unreadable="not an envelope (the worker cannot read it)")
        return cls(message_id, envelope.id, envelope.source, envelope.event_type)

    @property
    def key(self) -> str | None:
        return dedup_key(self.source, self.id) if self.source and self.id else None

    @property
    def status(self) -> str:
        return str(self.record["status"]) if self.record else "unknown"

    @property
    def failures(self) -> int | None:
        value = (self.record or {}).get("failures")
        return int(value) if value is not None else None

    @property
    def reason(self) -> str:
        if self.unreadable:
            return self.unreadable
        if self.record is None:
            return "no dedup record (expired, or never acknowledged)"
        error = self.record.get("last_error")
        return str(error) if error else "no failure recorded"

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "id": self.id,
            "source": self.source,
            "event_type": self.event_type,
            "status": self.status,
            "failures": self.failures,
            "last_error": self.reason,
        }


class DeadLetterQueue(Deliveries):
    def dlq_url(self) -> str:
        attributes = self.clients.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"]
        )["Attributes"]
        if "RedrivePolicy" not in attributes:
            raise CliError("the work queue has no redrive policy, so no DLQ")
        arn = str(json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"])
        return str(self.clients.sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"])

    def depth(self, queue_url: str) -> int:
        attributes = self.clients.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def peek(self, queue_url: str, limit: int, wait_seconds: int = 1) -> list[MessageTypeDef]:
        """Up to `limit` messages of a queue, only looked at: hidden while we read on (so each is
        seen once), then made visible again straight after, whatever happened meanwhile."""
        seen: dict[str, MessageTypeDef] = {}
        try:
            while len(seen) < limit:
                messages = self.clients.sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=min(10, limit - len(seen)),
                    WaitTimeSeconds=wait_seconds,
                    VisibilityTimeout=30,
                    AttributeNames=["All"],
                ).get("Messages", [])
                fresh = [m for m in messages if m["MessageId"] not in seen]
                if not fresh:
                    break
                seen.update((m["MessageId"], m) for m in fresh)
        finally:
            self._show_again(queue_url, [m["ReceiptHandle"] for m in seen.values()])
        return list(seen.values())

    def dead_letters(self, dlq_url: str, limit: int = 100) -> list[DeadLetter]:
        """Up to `limit` DLQ messages, each with the reason its delivery failed (only looked at)."""
        seen = {m["MessageId"]: m for m in self.peek(dlq_url, limit)}
        letters = [DeadLetter.read(message_id, m["Body"]) for message_id, m in seen.items()]
        keyed = [letter for letter in letters if letter.key]
        records = self.records([str(letter.key) for letter in keyed])
        for letter in keyed:
            letter.record = records.get(str(letter.key))
        return letters

    def redrive(
        self, dlq_url: str, limit: int | None = None, on_moved: Callable[[int], None] | None = None
    ) -> tuple[int, int]:
        """Move DLQ messages (body and attributes) to the work queue; returns (moved, failed).

        A message is deleted from the DLQ only once the work queue has accepted its copy."""
        sqs = self.clients.sqs
        moved = failed = 0
        while limit is None or moved < limit:
            wanted = 10 if limit is None else min(10, limit - moved)
            messages = sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=1,
                VisibilityTimeout=60,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            done, refused = self._move(dlq_url, messages)
            moved, failed = moved + done, failed + refused
            if on_moved is not None:
                on_moved(done)
            if refused:
                break  # the work queue refuses: stop rather than spin; they stay in the DLQ
        return moved, failed

    def redrive_message(self, dlq_url: str, message_id: str) -> Outcome:
        """Move one DLQ message, by its SQS message id, to the work queue. The others received
        while looking for it are made visible again at once."""
        held: dict[str, str] = {}  # message id -> receipt handle, of the ones we passed over
        try:
            while True:
                messages = self.clients.sqs.receive_message(
                    QueueUrl=dlq_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    VisibilityTimeout=60,
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                wanted = [m for m in messages if m["MessageId"] == message_id]
                held.update(
                    {m["MessageId"]: m["ReceiptHandle"] for m in messages if m not in wanted}
                )
                if wanted:
                    moved, _ = self._move(dlq_url, wanted[:1])
                    result = "redriven" if moved else "failed"
                    detail = "moved to the work queue" if moved else "the work queue refused it"
                    return Outcome(message_id, "", result, detail)
                if not messages:
                    return Outcome(message_id, "", "not_found", "no such message in the DLQ")
        finally:
            self._show_again(dlq_url, list(held.values()))

    def _show_again(self, queue_url: str, handles: list[str]) -> None:
        """Received messages visible again at once, 10 per request (the batch limit)."""
        for start in range(0, len(handles), 10):
            self.clients.sqs.change_message_visibility_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                    for i, handle in enumerate(handles[start : start + 10])
                ],
            )

    def _move(self, dlq_url: str, messages: list[MessageTypeDef]) -> tuple[int, int]:
        """Copy received DLQ messages to the work queue, then delete the copied ones from the
        DLQ (never before): returns (moved, failed)."""
        sqs = self.clients.sqs
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {
                "Id": str(index),
                "MessageBody": message["Body"],
                "MessageAttributes": _sendable(message.get("MessageAttributes", {})),
            }
            for index, message in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        done = {entry["Id"] for entry in sent.get("Successful", [])}
        if done:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                    if str(i) in done
                ],
            )
        return len(done), len(sent.get("Failed", []))


def _sendable(attributes: dict[str, Any]) -> dict[str, Any]:
    """Received attributes carry empty list fields SendMessage refuses: keep the values only."""
    kept = {}
    for name, value in attributes.items():
        kept[name] = {
            k: v for k, v in value.items() if k in {"DataType", "StringValue", "BinaryValue"}
        }
    return kept
