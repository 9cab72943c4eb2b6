"""Helpers for tests: sign deliveries for the demo sources the way each sender does."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from nacl.signing import SigningKey

from handler.receive.sources import Source, load_sources
from handler.settings import Settings
from infra import DEMO_SOURCES
from infra.processes import EMULATOR_CREDENTIALS, free_port, start_moto, start_receiver, stop
from infra.resources import Resources, create_resources
from webhook_sim.samples import sample
from webhook_sim.senders import DEMO_DISCORD_SEED
from webhook_sim.senders import sign as simulator_sign

ROOT = Path(__file__).resolve().parent.parent
# The demo Discord key in PyNaCl, an independent Ed25519 implementation: the e2e oracle.
DISCORD_KEY = SigningKey(DEMO_DISCORD_SEED)


def demo_sources() -> dict[str, Source]:
    return load_sources(Settings(webhook_sources_file=str(DEMO_SOURCES)), lambda kind, name: "")


SOURCES = demo_sources()


def body_for(scheme: str, event_type: str = "push", delivery_id: str | None = None) -> bytes:
    """A JSON body of the scheme's sender, carrying the id and type where the sender puts them."""
    delivery_id = delivery_id or f"evt_{uuid.uuid4().hex}"
    return sample(
        scheme, event_type, delivery_id=delivery_id, now=time.time(), encoding="json"
    ).body


def sign(
    source_name: str,
    body: bytes,
    *,
    base_url: str = "http://testserver",
    event_type: str = "push",
    delivery_id: str | None = None,
    now: float | None = None,
    content_type: str = "application/json",
) -> tuple[str, dict[str, str]]:
    """The URL to post to and the headers the real sender would send for this body."""
    signed = simulator_sign(
        SOURCES[source_name],
        body,
        base_url=base_url,
        event_type=event_type,
        sender_id=delivery_id or str(uuid.uuid4()),
        content_type=content_type,
        now=now,
    )
    return signed.url, signed.headers


def make_run_env(**overrides: str) -> dict[str, str]:
    """What `make run` gets in a test: this shell's environment minus whatever would point it
    elsewhere (AWS, sources, queue and lease settings), free ports, unbuffered output."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "WEBHOOK_", "LOCAL_", "QUEUE_", "PROCESSING_"))
    }
    ports = {"PORT": str(free_port()), "LOCAL_AWS_PORT": str(free_port())}
    return kept | ports | {"PYTHONUNBUFFERED": "1"} | overrides


def start_make_run(env: Mapping[str, str], **popen: Any) -> subprocess.Popen[str]:
    """`make run`'s program (infra.local_stack), its output readable line by line."""
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT} | popen
    return subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack"], cwd=ROOT, env=dict(env), text=True, **options
    )


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 60) -> list[str]:
    """The lines `process` printed up to the first containing `marker`."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"exited early:\n{''.join(lines)}")
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not printed within {timeout} s:\n{''.join(lines)}")


def emulator_client(service: str, aws_url: str) -> Any:
    """A boto3 client of the moto server at `aws_url`, with its fake credentials."""
    return boto3.client(
        service,
        endpoint_url=aws_url,
        region_name=EMULATOR_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def archive_legacy(s3: Any, bucket: str, envelope: Any, body: bytes) -> None:
    """An archive as the receiver wrote it before the `.delivery` layout: `.body` + `.json`."""
    import json

    from handler.store.archive import archive_meta, body_key, meta_key

    at = (envelope.source, envelope.id, envelope.received_at)
    s3.put_object(Bucket=bucket, Key=body_key(*at), Body=body)
    meta = json.dumps(archive_meta(envelope), sort_keys=True, default=str).encode()
    s3.put_object(Bucket=bucket, Key=meta_key(*at), Body=meta)


def object_body(s3: Any, bucket: str, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


@dataclass
class RunningStack:
    """A moto server and a receiver (uvicorn) on free ports, as end-to-end tests get them."""

    aws_url: str
    base_url: str
    resources: Resources
    env: dict[str, str]
    workdir: Path

    @property
    def log(self) -> Path:
        return self.workdir / "processes.log"

    def client(self, service: str) -> Any:
        return emulator_client(service, self.aws_url)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)


@contextmanager
def running_stack(
    workdir: Path, extra_sources: str, env: Mapping[str, str]
) -> Iterator[RunningStack]:
    """Start moto + resources + a receiver serving the demo sources plus `extra_sources` (TOML)."""
    sources = workdir / "sources.toml"
    sources.write_text(DEMO_SOURCES.read_text() + extra_sources)
    processes: list[subprocess.Popen[bytes]] = []
    with (workdir / "processes.log").open("ab") as output:
        try:
            aws_port = free_port()
            aws_url = f"http://127.0.0.1:{aws_port}"
            processes.append(start_moto("127.0.0.1", aws_port, stdout=output, stderr=output))
            stack_env = {**EMULATOR_CREDENTIALS, "AWS_ENDPOINT_URL": aws_url}
            with pytest.MonkeyPatch.context() as patch:
                for name, value in stack_env.items():
                    patch.setenv(name, value)
                resources = create_resources(endpoint_url=aws_url, visibility_timeout=2)
            stack_env |= resources.environment() | {
                "WEBHOOK_SOURCES_FILE": str(sources),
                # A 2 s visibility timeout x 4 retries: the lease must end within them.
                "PROCESSING_LEASE_SECONDS": "5",
                **env,
            }
            port = free_port()
            processes.append(
                start_receiver("127.0.0.1", port, stack_env, stdout=output, stderr=output)
            )
            yield RunningStack(aws_url, f"http://127.0.0.1:{port}", resources, stack_env, workdir)
        finally:
            stop(processes)
