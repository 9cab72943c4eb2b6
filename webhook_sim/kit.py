"""Test a processor the way the project tests itself: the real route, the real worker, on moto.

    def test_one_effect(webhooks: WebhookKit) -> None:
        sent = webhooks.send("stripe", "invoice.paid")          # signed like Stripe, over HTTP
        assert webhooks.redeliver(sent).status_code == 200      # the sender's retry: a duplicate
        assert webhooks.drain()[sent.delivery_id].status == "processed"

Everything runs in process: AWS is moto's `mock_aws` (bucket, work queue + DLQ, dedup table as
`make run` creates them), the HTTP route is the receiver's FastAPI app under a TestClient
(after-response work included), and `drain` runs the worker's own batch handler and the local
worker loop's delete rule until the queue is empty. No network, no Docker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from moto import mock_aws

from handler import wiring
from handler.aws import AwsClients
from handler.process.processors import Outcome
from handler.process.processors.effects import EFFECTS_PREFIX, EffectStore
from handler.process.worker import UNKNOWN_ARRIVAL, Arrival, Worker
from handler.receive.api import create_app
from handler.receive.sources import Source
from handler.settings import Settings
from handler.store.archive import Archive
from handler.store.dedup import DedupTable, dedup_key
from handler.store.queue import Envelope
from infra import DEMO_SOURCES
from infra.local_worker import poll_once
from infra.resources import Resources, create_resources
from webhooks_cli.operations import Operations

from .samples import Encoding
from .senders import SignedDelivery, simulate

if TYPE_CHECKING:
    from handler.process.destinations.batch import Prepared

BASE_URL = "http://testserver"
UNSET = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "WEBHOOK_SOURCES", "WEBHOOK_SOURCES_FILE")


@dataclass(frozen=True)
class Sent:
    """A delivery as sent and the receiver's answer to it."""

    delivery: SignedDelivery
    status_code: int
    body: Any  # the JSON answer, its text (Twilio's TwiML), or None when empty (Slack forms)

    @property
    def delivery_id(self) -> str:
        return self.delivery.delivery_id


@dataclass(frozen=True)
class Result:
    """Where a delivery stands after the worker ran: its dedup record, read back."""

    status: str  # processed, enqueued (failed, will retry), processing, claimed, missing
    outcome: dict[str, Any] | None
    last_error: str | None
    attempts: int
    replays: int


class _SeeingWorker(Worker):
    """The worker, noting which deliveries it was handed."""

    seen: dict[str, str]

    def __init__(self, dedup: DedupTable, archive: Archive) -> None:
        super().__init__(dedup, archive)
        object.__setattr__(self, "seen", {})

    def handle(
        self,
        envelope: Envelope,
        prepared: Prepared | None = None,
        arrival: Arrival = UNKNOWN_ARRIVAL,
    ) -> Outcome | None:
        self.seen[envelope.id] = envelope.source
        return super().handle(envelope, prepared, arrival)


class WebhookKit:
    """A receiver, a worker and their AWS resources, for one test."""

    def __init__(self, settings: Settings, resources: Resources, clients: AwsClients) -> None:
        self.settings = settings
        self.resources = resources
        self.clients = clients
        self.sources: dict[str, Source] = wiring.sources(settings)
        receiver = wiring.receiver(settings, self.clients, self.sources)
        self.http = TestClient(create_app(receiver), base_url=BASE_URL)
        self.worker = _SeeingWorker(
            wiring.dedup_table(settings, self.clients), wiring.archive(settings, self.clients)
        )
        self.effect_store = EffectStore(self.clients.s3, settings.archive_bucket)
        # The CLI's operations on this kit's parts, not a second set of clients and sources.
        self.operations = Operations(settings)
        self.operations.clients = clients
        self.operations.sources = self.sources
        self.operations.receiver = receiver
        self._queue_arn: str = self.clients.sqs.get_queue_attributes(
            QueueUrl=resources.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    # Sending ------------------------------------------------------------------------------

    def send(
        self,
        source: str,
        event_type: str | None = None,
        *,
        body: bytes | str | Mapping[str, Any] | None = None,
        content_type: str | None = None,
        encoding: Encoding | None = None,
        delivery_id: str | None = None,
    ) -> Sent:
        """POST a delivery signed by `source`'s scheme: `body` as given (a mapping is sent as
        JSON), or a sample of its sender in `encoding` (json, form, payload). `delivery_id` is
        the sender's id where its scheme carries one."""
        if source not in self.sources:
            raise KeyError(f"no source {source!r} (configured: {', '.join(sorted(self.sources))})")
        raw = _bytes(body)
        delivery = simulate(
            self.sources[source],
            base_url=BASE_URL,
            event_type=event_type,
            body=raw,
            content_type=content_type or (None if raw is None else "application/json"),
            encoding=encoding,
            sender_id=delivery_id,
        )
        return self.post(delivery)

    def post(self, delivery: SignedDelivery) -> Sent:
        response = self.http.post(delivery.path, content=delivery.body, headers=delivery.headers)
        try:
            answer: Any = response.json() if response.content else None
        except ValueError:
            answer = response.text
        return Sent(delivery, response.status_code, answer)

    def redeliver(self, sent: Sent) -> Sent:
        """The same bytes and headers again: a sender's retry or its "redeliver" button."""
        return self.post(sent.delivery)

    def replay(self, delivery_id: str, source: str | None = None, *, force: bool = True) -> str:
        """`webhooks replay ID [--force]`: re-enqueue the archived delivery; the result word
        (replayed, skipped, rejected...)."""
        operations = self.operations
        return operations.replay(operations.locate(delivery_id, source), force=force).result

    # Processing ---------------------------------------------------------------------------

    def drain(self, max_batches: int = 100) -> dict[str, Result]:
        """Run the worker until the work queue is empty; each delivery it saw, by id, with its
        record read back. The kit's queue has no visibility timeout, so a failed record comes
        back at once and, after the queue's receives, goes to the DLQ, as it would on AWS."""
        for _ in range(max_batches):
            succeeded, failed = poll_once(
                self.worker, self.clients.sqs, self.resources.queue_url, self._queue_arn, 0
            )
            if not succeeded + failed:
                break
        seen = dict(self.worker.seen)
        self.worker.seen.clear()
        return {identifier: self.result(identifier, source) for identifier, source in seen.items()}

    def result(self, delivery_id: str, source: str) -> Result:
        record = self.record(delivery_id, source) or {}
        outcome = record.get("outcome")
        return Result(
            status=str(record.get("status", "missing")),
            outcome=json.loads(outcome) if isinstance(outcome, str) else None,
            last_error=record.get("last_error"),
            attempts=int(record.get("attempts", 0)),
            replays=int(record.get("replays", 0)),
        )

    def record(self, delivery_id: str, source: str) -> dict[str, Any] | None:
        """The delivery's dedup record, flattened (status, attempts, outcome, ...)."""
        return self.worker.dedup.get(dedup_key(source, delivery_id))

    def effects(self, prefix: str = "") -> dict[str, dict[str, Any]]:
        """The documents processors wrote through the effect store, by key under
        `effects/<prefix>` (e.g. "stripe/invoices")."""
        s3, bucket = self.clients.s3, self.settings.archive_bucket
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{EFFECTS_PREFIX}/{prefix}")
        keys = [item["Key"] for item in listed.get("Contents", [])]
        return {key: document for key in keys if (document := self.effect_store.get(key))}

    def dead_letters(self) -> list[dict[str, Any]]:
        """The envelopes in the DLQ (left there)."""
        sqs = self.clients.sqs
        received = sqs.receive_message(
            QueueUrl=self.resources.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        return [json.loads(message["Body"]) for message in received.get("Messages", [])]

    def close(self) -> None:
        self.http.close()


@cache
def _clients() -> AwsClients:
    """One set of clients for every kit of the process: moto intercepts their calls whichever
    mock is active, and making them is most of a kit's set-up time."""
    return AwsClients.create(Settings())


def _bytes(body: bytes | str | Mapping[str, Any] | None) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, ensure_ascii=False).encode()


@contextmanager
def webhook_kit(
    sources: Path | str = DEMO_SOURCES, settings: Mapping[str, Any] | None = None
) -> Iterator[WebhookKit]:
    """A kit on fresh in-process AWS resources; `settings` override the receiver's (by field
    name: ack_policy, claim_check_bytes, ...). The caller provides fake credentials (the
    pytest fixture does) so that nothing can reach AWS."""
    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        clients = _clients()
        resources = create_resources(visibility_timeout=0, clients=clients)
        configured = Settings(
            webhook_sources_file=str(sources),
            archive_bucket=resources.bucket,
            work_queue_url=resources.queue_url,
            idempotency_table=resources.table,
            **dict(settings or {}),
        )
        kit = WebhookKit(configured, resources, clients)
        stack.callback(kit.close)
        yield kit
