"""Every knob of the receiver and worker, read from the environment once."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handler.store.leases import LeaseRuleError, lease_too_short

MiB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    # Sources: a TOML file locally, or JSON (or an ssm:/secretsmanager: reference) on Lambda.
    webhook_sources_file: str | None = None
    webhook_sources: str | None = None

    archive_bucket: str = "webhook-archive"
    work_queue_url: str = ""
    work_queue_name: str = "webhook-work"  # used only when WORK_QUEUE_URL is empty
    idempotency_table: str = "webhook-idempotency"

    # 4 MiB keeps a base64-encoded body under Lambda's 6 MB synchronous payload limit.
    max_body_bytes: int = Field(default=4 * MiB, ge=1)
    # Larger bodies go to S3 before the ack and the message carries the key. Base64 grows a body
    # by 4/3: 160 kB stays under SQS's classic 256 KiB message limit with the envelope around it.
    claim_check_bytes: int = Field(default=160_000, ge=0)
    # Stripe and Paddle retry for 3 days: the dedup record must outlive the longest retry horizon.
    dedup_ttl_seconds: int = Field(default=3 * 24 * 3600, ge=60)
    # A claim whose owner died before enqueueing stops blocking the sender's retry after this long.
    claim_lease_seconds: int = Field(default=30, ge=1)
    # The worker's hold on a delivery while a processor runs: at least the worker's timeout, and
    # over well before the work queue can dead-letter the message (handler/store/leases.py).
    processing_lease_seconds: int = Field(default=60, ge=1)
    # The worker Lambda's timeout (template.yaml sets it); unset for the local worker loop.
    worker_timeout_seconds: int | None = Field(default=None, ge=1)
    retry_after_seconds: int = Field(default=5, ge=1)

    # Destinations (handler/process/destinations): off, the worker neither reads the sources
    # config nor forwards. Dead-lettered forwards also go to the DLQ (empty: recorded and logged
    # only).
    forward_destinations: bool = True
    destinations_dlq_url: str = ""
    # A batch's forwards run on this many threads (1: one after another), so one slow destination
    # does not hold the batch's other records for its whole timeout each.
    forward_concurrency: int = Field(default=8, ge=1, le=64)

    ack_policy: Literal["durable", "instant"] = "durable"

    # How the worker archives (README, "Volume mode"): "delivery", one object per delivery, or
    # "batch", one object per SQS batch, each delivery's place kept on its dedup record.
    archive_mode: Literal["delivery", "batch"] = "delivery"

    # Deliveries refused for their signature are kept (capped, rate-limited) for re-verification.
    quarantine_enabled: bool = True
    quarantine_max_bytes: int = Field(default=256 * 1024, ge=0)
    quarantine_per_minute: int = Field(default=60, ge=0)

    # Short timeouts: senders give up after 3-15 s, so a slow AWS call must become a 503 in time.
    aws_connect_timeout: float = 2.0
    aws_read_timeout: float = 3.0
    aws_max_attempts: int = 2

    @model_validator(mode="after")
    def _lease_outlasts_the_worker(self) -> Settings:
        problem = lease_too_short(self.processing_lease_seconds, self.worker_timeout_seconds)
        if problem:
            # Not a ValueError: pydantic would add the input (every setting, maybe a literal
            # secret in WEBHOOK_SOURCES) to the message.
            raise LeaseRuleError(problem)
        return self


@cache
def get_settings() -> Settings:
    return Settings()
