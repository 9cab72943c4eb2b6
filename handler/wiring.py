"""Builds the receiver and the worker from settings: the one place that knows every part."""

from __future__ import annotations

import os
from functools import cache

from .aws import AwsClients, client_config, new_client
from .dedup import DedupTable
from .ingest import Receiver
from .queue import WorkQueue
from .settings import Settings, get_settings
from .sources import Source, aws_resolver, load_sources
from .storage import Archive


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
    config = client_config(settings)
    # ssm or secretsmanager clients, made only if a reference needs one
    return load_sources(settings, aws_resolver(lambda service: new_client(service, config)))


def on_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


def receiver(settings: Settings, clients: AwsClients, sources: dict[str, Source]) -> Receiver:
    return Receiver(
        settings=settings,
        sources=sources,
        dedup=dedup_table(settings, clients),
        queue=work_queue(settings, clients),
        archive=archive(settings, clients),
    )
