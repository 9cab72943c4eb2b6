"""moto's HTTP server, with DynamoDB requests and SQS queue updates atomic as they are on AWS.

moto's server handles requests on threads, and its DynamoDB checks a ConditionExpression and
then writes without a lock: two concurrent conditional PutItems can both succeed, which real
DynamoDB never allows (our exactly-once claim depends on it; the e2e test of 32 concurrent copies
caught it). DynamoDB requests are therefore serialised here; S3 and SQS stay concurrent (an SQS
long poll must not block the rest).

moto's SQS DeleteMessage rebuilds the queue's message list without the queue's lock, which
SendMessage takes to append: two overlapping deletes each store a list rebuilt from the same old
one, so a message sent in between vanishes after its sender got a MessageId, and the first
delete is undone (issue 17: an acknowledged delivery archived, never processed, no message left;
tests/reliability/test_sqs_delete_race.py). Deletes here remove in place, under the queue's
lock. The patch is made on import, so tests exercise it too.

With MOTO_SQS_JOURNAL=<file>, every message sent, received and deleted is also written there,
one line each (infra/reliability/evidence.py reads it to explain a lost or doubled delivery).

    python -m infra.moto_server [-H 127.0.0.1] [-p 5000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend
from werkzeug.serving import run_simple

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


class AtomicDynamoDB:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def delete_message(self: Queue, receipt_handle: str) -> None:
    """moto 5.2's Queue.delete_message, removing in place under the lock add_message takes.

    The scan runs on a snapshot, outside the lock: holding the lock for whole scans (moto's two
    per delete, ten deletes per batch) queued every send behind them; under the harness's load
    a third of the deliveries got 503s, against 1-6 % with this.
    """
    if receipt_handle in self.deleted_messages:
        return  # already deleted: AWS accepts that too
    doomed = [m for m in list(self._messages) if m.had_receipt_handle(receipt_handle)]
    if not doomed:
        raise ReceiptHandleIsInvalid()
    with self._messages_lock:
        for message in doomed:
            self.pending_messages.discard(message)
            self.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]
            with contextlib.suppress(ValueError):  # a concurrent delete got there first
                self._messages.remove(message)


Queue.delete_message = delete_message  # type: ignore[method-assign]


def delivery_key(body: str) -> str:
    """`source#id` of one of our envelopes (handler/store/queue.py), or "-" for any other body."""
    try:
        envelope = json.loads(body)
        return f"{envelope['source']}#{envelope['id']}"
    except (ValueError, TypeError, KeyError):
        return "-"


class SqsJournal:
    """`<time> <sent|received|deleted|delete-refused> <queue> <message id|-> <receipt|-> <key>`.

    One O_APPEND write per line: lines from the server's threads never interleave. A delete
    names its receipt handle only; the `received` line that handed it out names the message.
    """

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.keys: dict[str, str] = {}  # message id -> key, parsed once per message

    def write(self, event: str, queue: str, message_id: str, handle: str, key: str) -> None:
        os.write(
            self.fd, f"{time.time():.3f} {event} {queue} {message_id} {handle} {key}\n".encode()
        )

    def key(self, message: Message) -> str:
        key = self.keys.get(message.id)
        if key is None:
            key = self.keys[message.id] = delivery_key(message.body)
        return key

    def patches(self) -> list[tuple[type, str, Callable[..., Any]]]:
        """(class, method name, replacement): moto's SQS calls that write journal lines."""
        add, receive, delete = Queue.add_message, SQSBackend.receive_message, Queue.delete_message

        def add_message(queue: Queue, message: Message) -> None:
            add(queue, message)
            self.write("sent", queue.name, message.id, "-", self.key(message))

        def receive_message(backend: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            messages = receive(backend, queue_name, *args, **kwargs)
            for message in messages:
                handle = str(message.receipt_handle)
                self.write("received", queue_name, message.id, handle, self.key(message))
            return messages

        def delete_message(queue: Queue, receipt_handle: str) -> None:
            try:
                delete(queue, receipt_handle)
            except Exception:
                self.write("delete-refused", queue.name, "-", receipt_handle, "-")
                raise
            self.write("deleted", queue.name, "-", receipt_handle, "-")

        return [
            (Queue, "add_message", add_message),
            (SQSBackend, "receive_message", receive_message),
            (Queue, "delete_message", delete_message),
        ]

    def install(self) -> None:
        for owner, name, replacement in self.patches():
            setattr(owner, name, replacement)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    if os.environ.get("MOTO_SQS_JOURNAL"):
        SqsJournal(os.environ["MOTO_SQS_JOURNAL"]).install()
    run_simple(
        args.host,
        args.port,
        AtomicDynamoDB(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
