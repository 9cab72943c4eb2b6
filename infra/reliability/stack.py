"""The processes a scenario runs against, all on 127.0.0.1: moto server, fault proxy, receiver
(uvicorn) and effect-recording workers; each can be killed (SIGKILL) and started again."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import boto3

from handler.store.leases import check_lease
from infra import DEMO_SOURCES
from infra.processes import (
    EMULATOR_CREDENTIALS,
    free_port,
    start,
    start_moto,
    start_receiver,
    stop,
    wait_for_http,
)
from infra.resources import Resources, create_resources

HOST = "127.0.0.1"
SERVICES = ("s3", "sqs", "dynamodb")
ROOT = Path(__file__).resolve().parents[2]

# A second GitHub source whose current secret comes from the environment, as in a rotation.
ROTATING = """
[sources.rotating]
scheme = "github"
secrets = ["env:RELIABILITY_ROTATING_SECRET", "reliability-old-rotating-secret"]
"""
ROTATING_SECRET = "reliability-new-rotating-secret"

# Catalogue senders the harness sends too (infra/reliability/senders.py): a source of each,
# named like its scheme, with one secret.
CATALOGUE_SECRETS = {
    "zoom": "reliability-zoom-secret-token",
    "twitch": "reliability-twitch-eventsub-secret",
    "bitbucket": "reliability-bitbucket-secret",
    "sentry": "reliability-sentry-client-secret",
    # The catalogue's second half: an id header, a form-or-JSON signer, a rotation header, a
    # "t=,v1=" timestamped one.
    "razorpay": "reliability-razorpay-webhook-secret",
    "gitea": "reliability-gitea-webhook-secret",
    "pagerduty": "reliability-pagerduty-subscription-secret",
    "mux": "reliability-mux-signing-secret",
}
CATALOGUE = "".join(
    f'\n[sources.{name}]\nscheme = "{name}"\nsecrets = ["{secret}"]\n'
    for name, secret in CATALOGUE_SECRETS.items()
)

# Short leases and timeouts: a SIGKILLed owner stops blocking retries within seconds.
HARNESS_SETTINGS = {
    "CLAIM_LEASE_SECONDS": "2",
    "PROCESSING_LEASE_SECONDS": "3",
    "RETRY_AFTER_SECONDS": "1",
    "AWS_CONNECT_TIMEOUT": "1",
    "AWS_READ_TIMEOUT": "1",
    "AWS_MAX_ATTEMPTS": "2",
    "CLAIM_CHECK_BYTES": "12000",
    "MAX_BODY_BYTES": "1048576",
    "LOG_LEVEL": "INFO",
}

# A killed worker's messages come back after 8 s; maxReceiveCount high so that injected faults
# park nothing in the DLQ (its depth is reported, and must be 0). Checked against the lease.
VISIBILITY_TIMEOUT = 8
MAX_RECEIVE_COUNT = 1000

# The worker long-polls SQS for 1 s: its read timeout must outlast that (the receiver's short
# timeouts are about answering senders in time; the worker has no one waiting).
WORKER_SETTINGS = {"AWS_CONNECT_TIMEOUT": "2", "AWS_READ_TIMEOUT": "5"}


def rss_peak_kib(pid: int) -> int | None:
    """VmHWM of a live process (peak resident set), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Stack:
    workdir: Path
    proxy: bool = False
    workers: int = 1
    settings: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, BinaryIO] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    aws_url: str = ""
    receiver_port: int = 0
    proxy_ports: dict[str, int] = field(default_factory=dict)
    moto_urls: dict[str, str] = field(default_factory=dict)
    resources: Resources | None = None
    killed_pids: set[int] = field(default_factory=set)
    extra_sources: str = ""  # TOML appended to the sources file (a scenario's own sources)

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log(self, name: str) -> BinaryIO:
        if name not in self.logs:
            self.logs[name] = (self.workdir / f"{name}.log").open("ab")
        return self.logs[name]

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        sources = self.workdir / "sources.toml"
        shutil.copy(DEMO_SOURCES, sources)
        with sources.open("a") as handle:
            handle.write(ROTATING + CATALOGUE + self.extra_sources)
        # One moto server per service: moto is CPU-bound on one core (GIL) and is the
        # bottleneck of the whole stack; three processes let S3, SQS and DynamoDB overlap.
        for service in SERVICES:
            port = free_port()
            self.moto_urls[service] = f"http://{HOST}:{port}"
            # What SQS itself did with each message: the ledger's evidence for a lost delivery.
            journal = {"MOTO_SQS_JOURNAL": str(self.journal_file)} if service == "sqs" else {}
            self.processes[f"moto-{service}"] = start_moto(
                HOST, port, env=journal, stdout=self.log("moto"), stderr=subprocess.STDOUT
            )
        self.aws_url = self.moto_urls["s3"]
        lease = int({**HARNESS_SETTINGS, **self.settings}["PROCESSING_LEASE_SECONDS"])
        check_lease(lease, VISIBILITY_TIMEOUT, MAX_RECEIVE_COUNT)  # handler/store/leases.py
        with _environment({**EMULATOR_CREDENTIALS, **self.endpoints(self.moto_urls)}):
            self.resources = create_resources(
                visibility_timeout=VISIBILITY_TIMEOUT, max_receive_count=MAX_RECEIVE_COUNT
            )
        env = {
            **EMULATOR_CREDENTIALS,
            **HARNESS_SETTINGS,
            **self.settings,
            **self.resources.environment(),
            "WEBHOOK_SOURCES_FILE": str(sources),
            "RELIABILITY_ROTATING_SECRET": ROTATING_SECRET,
            "EFFECTS_FILE": str(self.effects_file),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("AWS_ENDPOINT_URL", None)
        if self.proxy:
            ports_file = self.workdir / "proxy-ports.json"
            self.processes["proxy"] = start(
                [
                    sys.executable,
                    "-m",
                    "infra.reliability.proxy",
                    "--upstreams",
                    json.dumps({s: int(u.rsplit(":", 1)[1]) for s, u in self.moto_urls.items()}),
                    "--ports-file",
                    str(ports_file),
                ],
                stdout=self.log("proxy"),
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + 20
            while not ports_file.exists():
                if time.monotonic() > deadline or self.processes["proxy"].poll() is not None:
                    raise RuntimeError("the fault proxy did not start")
                time.sleep(0.05)
            self.proxy_ports = json.loads(ports_file.read_text())
            env |= self.endpoints({s: f"http://{HOST}:{self.proxy_ports[s]}" for s in SERVICES})
        else:
            env |= self.endpoints(self.moto_urls)
        self.env = env
        self.receiver_port = free_port()
        self.start_receiver()
        for index in range(self.workers):
            self.start_worker(index)

    @staticmethod
    def endpoints(urls: dict[str, str]) -> dict[str, str]:
        """boto3's per-service endpoint variables."""
        return {f"AWS_ENDPOINT_URL_{service.upper()}": url for service, url in urls.items()}

    @property
    def effects_file(self) -> Path:
        return self.workdir / "effects.log"

    @property
    def journal_file(self) -> Path:
        return self.workdir / "sqs-journal.log"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.receiver_port}"

    def start_receiver(self) -> None:
        self.processes["receiver"] = start_receiver(
            HOST,
            self.receiver_port,
            self.env,
            stdout=self.log("receiver"),
            stderr=subprocess.STDOUT,
        )

    def start_worker(self, index: int) -> None:
        self.processes[f"worker{index}"] = start(
            [sys.executable, "-m", "infra.reliability.effects"],
            self.env | WORKER_SETTINGS,
            stdout=self.log("worker"),
            stderr=subprocess.STDOUT,
        )

    def kill(self, name: str) -> int:
        """SIGKILL a process: no shutdown, no flush, as a crash or a Lambda timeout would."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.killed_pids.add(process.pid)
        return process.pid

    def restart_receiver(self) -> None:
        self.kill("receiver")
        self.start_receiver()

    def restart_worker(self, index: int) -> None:
        self.kill(f"worker{index}")
        self.start_worker(index)

    def stop_workers(self) -> None:
        stop([p for name, p in self.processes.items() if name.startswith("worker")])

    def close(self) -> None:
        stop(list(self.processes.values()))
        for handle in self.logs.values():
            handle.close()

    # -- helpers ------------------------------------------------------------------------------
    def faults(self, rules: list[dict[str, Any]]) -> None:
        """Set the proxy's fault rules (an empty list: no faults, every listener open)."""
        data = json.dumps({"rules": rules}).encode()
        request = urllib.request.Request(
            f"http://{HOST}:{self.proxy_ports['control']}/rules", data=data, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def proxy_stats(self) -> dict[str, int]:
        if not self.proxy:
            return {}
        url = f"http://{HOST}:{self.proxy_ports['control']}/stats"
        with urllib.request.urlopen(url, timeout=10) as response:
            return dict(json.loads(response.read()))

    def client(self, service: Literal["s3", "sqs", "dynamodb"]) -> Any:
        """A client straight to moto (never through the proxy): for checks and reconciliation."""
        return boto3.client(
            service,
            endpoint_url=self.moto_urls[service],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def healthy(self) -> bool:
        try:
            wait_for_http(f"{self.base_url}/health", timeout=5)
            with urllib.request.urlopen(f"{self.base_url}/health", timeout=5) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def receiver_rss_peak_kib(self) -> int | None:
        return rss_peak_kib(self.processes["receiver"].pid)

    def log_paths(self) -> list[Path]:
        for handle in self.logs.values():
            handle.flush()
        return [self.workdir / f"{name}.log" for name in self.logs]


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Any:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
