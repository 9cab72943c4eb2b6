"""One SQS batch's forwarding, run side by side before the worker processes its records in order.

Inline, each record's first attempts ran before the next record was looked at: one slow
destination (up to its timeout) held every later record of the batch, and the worker's timeout
had to exceed batch size times destination timeout. Here the worker hands the batch over first:
every delivery's body is read (and archived, handler/process/worker.py), then every
(delivery, destination) first attempt and every wake-up runs on a small bounded thread pool. What
each record came to (its body, or the error its forwarding step raised) goes back to the worker,
which then processes the records one by one as before; a record whose step raised fails with that
error, as it did inline, so the batch's partial failures (batchItemFailures) are unchanged.

Threads are safe here: the AWS clients are botocore clients, one per process (handler/aws.py;
no boto3 session or resource is shared), and exactly-once per (delivery, destination), the rate
limit and the circuit are DynamoDB conditional writes (records.py, limits.py, circuit.py) that
already hold across concurrent workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from pydantic import ValidationError

from handler.store.queue import Envelope

from . import WAKE_UP_PREFIX
from .forwarder import Forwarder


@dataclass(frozen=True)
class Prepared:
    """A record's forwarding step, done: the delivery's body (None for a wake-up), or its error."""

    body: bytes | None = None
    error: Exception | None = None


def prepare_batch(
    messages: Iterable[tuple[str, str]],
    load: Callable[[str, Envelope], bytes],
    forwarder: Forwarder,
) -> dict[str, Prepared]:
    """Each (message id, body)'s forwarding step, by message id. A body that is not an envelope
    is left out: the worker fails that record itself, as before."""
    envelopes: dict[str, Envelope] = {}
    wake_ups: dict[str, str] = {}
    for message_id, message in messages:
        if message.startswith(WAKE_UP_PREFIX):
            wake_ups[message_id] = message
            continue
        try:
            envelopes[message_id] = Envelope.model_validate_json(message)
        except ValidationError:
            continue
    threads = max(1, min(forwarder.concurrency, len(envelopes) + len(wake_ups)))
    results: dict[str, Prepared] = {}
    with ThreadPoolExecutor(threads, thread_name_prefix="forward") as pool:
        tasks: list[tuple[str, Future[None]]] = [
            (message_id, pool.submit(forwarder.wake_up, message))
            for message_id, message in wake_ups.items()
        ]
        loads = {
            message_id: pool.submit(load, message_id, e) for message_id, e in envelopes.items()
        }
        for message_id, loading in loads.items():
            envelope = envelopes[message_id]
            try:
                body = loading.result()
                destinations = forwarder.matching(envelope, body)
            except Exception as error:
                results[message_id] = Prepared(error=error)
                continue
            results[message_id] = Prepared(body=body)
            for destination in destinations:
                attempt = pool.submit(forwarder.run, destination, envelope, body, None)
                tasks.append((message_id, attempt))
        for message_id, task in tasks:
            try:
                task.result()
            except Exception as error:
                # The first error fails the record; its other destinations have had their turn
                # (a redelivery finds their records done).
                if results.get(message_id, Prepared()).error is None:
                    results[message_id] = Prepared(error=error)
        for message_id in wake_ups:
            results.setdefault(message_id, Prepared())
    return results
