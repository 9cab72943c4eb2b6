"""Builds the receiver and the worker from settings: the one place that knows every part."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from handler.process.worker import Worker, check_queue_timing
from handler.store.archive import Archive
from handler.store.dedup import DedupTable
from handler.store.queue import Envelope, WorkQueue
from handler.store.tally import Tally

from .aws import AwsClients, client_config, new_client
from .settings import Settings, get_settings

# The receiver's modules (ingest, sources and through them every signature scheme) are imported
# by the functions that build it: the worker Lambda, which imports this module, never loads them.
if TYPE_CHECKING:
    from handler.process.destinations.forwarder import Forwarder
    from handler.receive.ingest import Receiver
    from handler.receive.sources import Source

# Forwarding records outlive the longest retry horizon (14 days) by a week, for operators.
FORWARD_RECORD_EXTRA_SECONDS = 21 * 24 * 3600


@cache
def default_clients() -> AwsClients:
    """This process's clients for the environment's settings: built once, shared by the worker
    and the processors' effect store."""
    return AwsClients.create(get_settings())


def renew_default_clients() -> None:
    """After a SnapStart restore: new clients under the worker and the effect store, if built."""
    if default_clients.cache_info().currsize:
        default_clients().renew()


def dedup_table(settings: Settings, clients: AwsClients) -> DedupTable:
    return DedupTable(
        clients.dynamodb,
        settings.idempotency_table,
        ttl_seconds=settings.dedup_ttl_seconds,
        claim_lease_seconds=settings.claim_lease_seconds,
        processing_lease_seconds=settings.processing_lease_seconds,
    )


def work_queue(settings: Settings, clients: AwsClients) -> WorkQueue:
    url = settings.work_queue_url
    if not url:
        url = clients.sqs.get_queue_url(QueueName=settings.work_queue_name)["QueueUrl"]
    return WorkQueue(clients.sqs, url)


def archive(settings: Settings, clients: AwsClients) -> Archive:
    return Archive(clients.s3, settings.archive_bucket)


def sources(settings: Settings) -> dict[str, Source]:
    from handler.receive.sources import aws_resolver, load_sources

    config = client_config(settings)
    # ssm or secretsmanager clients, made only if a reference needs one
    return load_sources(settings, aws_resolver(lambda service: new_client(service, config)))


def on_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


def receiver(settings: Settings, clients: AwsClients, sources: dict[str, Source]) -> Receiver:
    from handler.receive.ingest import Receiver

    return Receiver(
        settings=settings,
        sources=sources,
        dedup=dedup_table(settings, clients),
        queue=work_queue(settings, clients),
        archive=archive(settings, clients),
        tally=Tally(clients.dynamodb, settings.idempotency_table),
    )


def forwarder(
    settings: Settings, clients: AwsClients, load_body: Callable[[Envelope], bytes]
) -> Forwarder | None:
    """The worker's forwarder, or None when no source has destinations (then the forwarding
    modules are never imported)."""
    if not settings.forward_destinations:
        return None
    by_source = {name: s.destinations for name, s in sources(settings).items() if s.destinations}
    if not by_source:
        return None
    from handler.process.destinations.forwarder import Forwarder
    from handler.process.destinations.state import ForwardTable

    return Forwarder(
        table=ForwardTable(
            clients.dynamodb,
            settings.idempotency_table,
            ttl_seconds=settings.dedup_ttl_seconds + FORWARD_RECORD_EXTRA_SECONDS,
        ),
        sqs=clients.sqs,
        queue_url=work_queue(settings, clients).url,
        dlq_url=settings.destinations_dlq_url,
        destinations=by_source,
        load_body=load_body,
        concurrency=settings.forward_concurrency,
    )


@cache
def default_worker() -> Worker:
    """This process's worker: its queue's timing checked against the processing lease, and its
    forwarder when a source has destinations."""
    settings, clients = get_settings(), default_clients()
    queue = work_queue(settings, clients)
    check_queue_timing(settings, queue)
    worker = Worker(
        dedup_table(settings, clients),
        archive(settings, clients),
        queue=queue,
        archive_mode=settings.archive_mode,
    )
    forwarding = forwarder(settings, clients, worker.load_body)
    return worker if forwarding is None else replace(worker, forwarder=forwarding)
