"""An in-memory SQS standard queue: visibility, receive counts, redrive, delays, duplicates.

What AWS documents for standard queues and the product must survive: a message is delivered at
least once (a delete may leave a copy that comes back: `keep_copy`), not in order (a receive
starts anywhere among the visible messages: `start`), and after `maxReceiveCount` receives the
next receive moves it to the dead-letter queue instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import client_error, with_metadata

REGION, ACCOUNT = "us-east-1", "123456789012"


@dataclass(eq=False)
class Message:
    id: str
    body: str
    attributes: dict[str, Any]
    sent_at: float
    visible_at: float
    receive_count: int = 0
    receipt: str = ""
    first_receive: float | None = None
    md5: str = ""


@dataclass(eq=False)
class Queue:
    name: str
    visibility: int = 30
    max_receive: int | None = None
    dead_letter: Queue | None = None
    messages: list[Message] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.name}"

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.name}"


class SqsStore:
    def __init__(
        self,
        now: Callable[[], float],
        start: Callable[[int], int],
        keep_copy: Callable[[], bool],
    ) -> None:
        self.queues: dict[str, Queue] = {}
        self._now = now
        self._start = start  # where a receive starts among n visible messages (0: oldest)
        self._keep_copy = keep_copy  # a delete that leaves a copy behind (at-least-once)
        self._ids = 0
        self.on_send: Callable[[Queue, Message], None] = lambda q, m: None
        self.on_dead_letter: Callable[[Queue, Message], None] = lambda q, m: None
        self.on_delete: Callable[[Queue, Message], None] = lambda q, m: None
        self.on_visible: Callable[[Queue], None] = lambda q: None

    def create_queue(
        self,
        name: str,
        visibility: int = 30,
        max_receive: int | None = None,
        dead_letter: Queue | None = None,
    ) -> Queue:
        queue = Queue(name, visibility, max_receive, dead_letter)
        self.queues[queue.url] = queue
        return queue

    def _queue(self, operation: str, url: str) -> Queue:
        queue = self.queues.get(url)
        if queue is None:
            raise client_error(
                operation,
                "AWS.SimpleQueueService.NonExistentQueue",
                "The specified queue does not exist.",
            )
        return queue

    def _new_id(self) -> str:
        self._ids += 1
        return f"00000000-0000-4000-8000-{self._ids:012d}"

    # ------------------------------------------------------------------ operations

    def get_queue_url(self, **request: Any) -> dict[str, Any]:
        for queue in self.queues.values():
            if queue.name == request["QueueName"]:
                return with_metadata({"QueueUrl": queue.url})
        raise client_error(
            "GetQueueUrl", "AWS.SimpleQueueService.NonExistentQueue", "no such queue"
        )

    def get_queue_attributes(self, **request: Any) -> dict[str, Any]:
        queue = self._queue("GetQueueAttributes", request["QueueUrl"])
        now = self._now()
        attributes = {
            "VisibilityTimeout": str(queue.visibility),
            "QueueArn": queue.arn,
            "ApproximateNumberOfMessages": str(
                sum(1 for m in queue.messages if m.visible_at <= now)
            ),
            "ApproximateNumberOfMessagesNotVisible": str(
                sum(1 for m in queue.messages if m.visible_at > now)
            ),
        }
        if queue.max_receive is not None and queue.dead_letter is not None:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": queue.dead_letter.arn, "maxReceiveCount": queue.max_receive}
            )
        wanted = request.get("AttributeNames") or ["All"]
        if "All" not in wanted:
            attributes = {k: v for k, v in attributes.items() if k in wanted}
        return with_metadata({"Attributes": attributes})

    def send_message(self, **request: Any) -> dict[str, Any]:
        queue = self._queue("SendMessage", request["QueueUrl"])
        body = request["MessageBody"]
        delay = int(request.get("DelaySeconds", 0))
        if not 0 <= delay <= 900:
            raise client_error("SendMessage", "InvalidParameterValue", "DelaySeconds 0..900")
        now = self._now()
        md5 = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
        message = Message(
            id=self._new_id(),
            body=body,
            attributes=dict(request.get("MessageAttributes") or {}),
            sent_at=now,
            visible_at=now + delay,
            md5=md5,
        )
        queue.messages.append(message)
        self.on_send(queue, message)
        self.on_visible(queue)
        return with_metadata({"MessageId": message.id, "MD5OfMessageBody": md5})

    def send_message_batch(self, **request: Any) -> dict[str, Any]:
        successful = []
        for entry in request["Entries"]:
            sent = self.send_message(
                QueueUrl=request["QueueUrl"],
                MessageBody=entry["MessageBody"],
                DelaySeconds=entry.get("DelaySeconds", 0),
                MessageAttributes=entry.get("MessageAttributes") or {},
            )
            successful.append(
                {
                    "Id": entry["Id"],
                    "MessageId": sent["MessageId"],
                    "MD5OfMessageBody": sent["MD5OfMessageBody"],
                }
            )
        return with_metadata({"Successful": successful, "Failed": []})

    def receive_message(self, **request: Any) -> dict[str, Any]:
        queue = self._queue("ReceiveMessage", request["QueueUrl"])
        wanted = int(request.get("MaxNumberOfMessages", 1))
        visibility = int(request.get("VisibilityTimeout", queue.visibility))
        now = self._now()
        visible = [m for m in queue.messages if m.visible_at <= now]
        if not visible:
            return with_metadata({})
        start = self._start(len(visible))
        ordered = visible[start:] + visible[:start]
        out: list[dict[str, Any]] = []
        for message in ordered:
            if len(out) >= wanted:
                break
            if (
                queue.max_receive is not None
                and queue.dead_letter is not None
                and message.receive_count >= queue.max_receive
            ):
                queue.messages.remove(message)
                message.visible_at = now
                queue.dead_letter.messages.append(message)
                self.on_dead_letter(queue, message)
                continue
            message.receive_count += 1
            if message.first_receive is None:
                message.first_receive = now
            message.receipt = f"{message.id}#{message.receive_count}"
            message.visible_at = now + visibility
            out.append(
                {
                    "MessageId": message.id,
                    "ReceiptHandle": message.receipt,
                    "MD5OfBody": message.md5,
                    "Body": message.body,
                    "Attributes": {
                        "ApproximateReceiveCount": str(message.receive_count),
                        "SentTimestamp": str(int(message.sent_at * 1000)),
                        "ApproximateFirstReceiveTimestamp": str(int(message.first_receive * 1000)),
                        "SenderId": "AIDASIMULATOR",
                    },
                    "MessageAttributes": dict(message.attributes),
                }
            )
        return with_metadata({"Messages": out} if out else {})

    def _by_receipt(self, queue: Queue, receipt: str) -> Message | None:
        message_id = receipt.split("#", 1)[0]
        return next((m for m in queue.messages if m.id == message_id), None)

    def _delete(self, queue: Queue, receipt: str) -> None:
        message = self._by_receipt(queue, receipt)
        # An older receipt handle of a message received again since: the call succeeds, the
        # message stays (AWS: "the message might not be deleted").
        if message is None or message.receipt != receipt:
            return
        if self._keep_copy():
            return  # at-least-once: a copy survives the delete and comes back
        queue.messages.remove(message)
        self.on_delete(queue, message)

    def delete_message(self, **request: Any) -> dict[str, Any]:
        queue = self._queue("DeleteMessage", request["QueueUrl"])
        self._delete(queue, request["ReceiptHandle"])
        return with_metadata({})

    def delete_message_batch(self, **request: Any) -> dict[str, Any]:
        queue = self._queue("DeleteMessageBatch", request["QueueUrl"])
        for entry in request["Entries"]:
            self._delete(queue, entry["ReceiptHandle"])
        return with_metadata(
            {"Successful": [{"Id": e["Id"]} for e in request["Entries"]], "Failed": []}
        )

    def change_message_visibility(self, **request: Any) -> dict[str, Any]:
        queue = self._queue("ChangeMessageVisibility", request["QueueUrl"])
        timeout = int(request["VisibilityTimeout"])
        if not 0 <= timeout <= 43_200:
            raise client_error(
                "ChangeMessageVisibility", "InvalidParameterValue", "VisibilityTimeout 0..43200"
            )
        receipt = request["ReceiptHandle"]
        message = self._by_receipt(queue, receipt)
        now = self._now()
        if message is None or message.receipt != receipt or message.visible_at <= now:
            raise client_error(
                "ChangeMessageVisibility",
                "AWS.SimpleQueueService.MessageNotInflight",
                "Message does not exist or is not available for visibility timeout change",
            )
        message.visible_at = now + timeout
        if timeout == 0:
            self.on_visible(queue)
        return with_metadata({})

    def next_visible(self, queue: Queue) -> float | None:
        return min((m.visible_at for m in queue.messages), default=None)
