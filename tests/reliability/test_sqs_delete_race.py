"""Found by `make reliability` (load, c=32, 12,583 deliveries): one delivery acked, archived,
and never processed; no message left in the queue or the DLQ. The product's paths cannot do
that without leaving a message, a record or a log line behind; moto's SQS can lose the message.

moto's `Queue.delete_message` rebuilds the queue's message
list without the queue's lock (`new = [m for m in self._messages if ...]; self._messages = new`)
while `add_message` appends under that lock. Two deletes that overlap (the harness runs several
workers, and each DeleteMessageBatch is one delete per entry) each rebuild from the same old list;
a message sent after the first one stored its list and before the second stored its own is in
neither: it vanishes, and the delete that ran first comes back to life. Real SQS does neither.

infra/moto_server.py's delete removes in place, under the queue's lock. This test drives the exact
interleaving on moto's own SQS models: delete B paused in the middle of its rebuild, delete A run
to the end, a message sent, then delete B resumed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from moto.sqs.models import sqs_backends

import infra.moto_server  # noqa: F401  (the server's fixes to moto's SQS models)

ACCOUNT, REGION = "123456789012", "us-east-1"
# How long the paused delete waits for the others: they run to the end at once (a fix that
# blocked them instead would make the paused delete go on after this long).
OTHERS_GRACE_SECONDS = 1.0


@pytest.fixture
def backend() -> Iterator[Any]:
    with mock_aws():
        yield sqs_backends[ACCOUNT][REGION]


def received(backend: Any, queue: str, count: int) -> dict[str, str]:
    """Body -> receipt handle of `count` messages received once."""
    messages = backend.receive_message(queue, count, 0, 30)
    assert len(messages) == count
    return {message.body: message.receipt_handle for message in messages}


def test_a_message_sent_while_two_deletes_overlap_is_not_lost(backend: Any) -> None:
    backend.create_queue("work")
    for body in ("a", "b", "c"):
        backend.send_message("work", body)
    handles = received(backend, "work", 3)
    queue = backend.get_queue("work")
    c = next(message for message in queue._messages if message.body == "c")

    paused, others_done = threading.Event(), threading.Event()
    thread_b = threading.Thread(target=queue.delete_message, args=(handles["b"],))
    original = type(c).had_receipt_handle

    def pause_in_rebuild(receipt_handle: str) -> bool:
        # Delete B checks "c" only in its rebuild loop: its `any()` stops at "b".
        if threading.current_thread() is thread_b and not paused.is_set():
            paused.set()
            others_done.wait(OTHERS_GRACE_SECONDS)
        return bool(original(c, receipt_handle))

    c.had_receipt_handle = pause_in_rebuild

    def others() -> None:
        queue.delete_message(handles["a"])
        backend.send_message("work", "d")
        others_done.set()

    thread_b.start()
    assert paused.wait(10), "delete B never reached its rebuild loop"
    thread_others = threading.Thread(target=others)
    thread_others.start()
    thread_b.join(10)
    thread_others.join(10)
    assert not thread_b.is_alive() and not thread_others.is_alive()

    bodies = sorted(message.body for message in queue._messages)
    assert bodies == ["c", "d"], f"queue holds {bodies}: 'd' was sent and acknowledged"
