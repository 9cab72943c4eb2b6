"""What the benchmark cases share: the signed delivery, the environment, stubbed AWS, stats."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-github-secret"
BODY = json.dumps({"ref": "refs/heads/main", "commits": [{"id": "0" * 40}] * 3}).encode()


GITHUB = {"scheme": "github", "secrets": [SECRET]}


# The simulator is imported when a case signs, not with this module: it loads the receiver's
# modules, whose logger must first see the case's environment (apply_env: log level WARNING).


def github_headers(body: bytes = BODY, delivery: str = "bench-delivery-1") -> dict[str, str]:
    from infra.apigw import BASE_URL
    from webhook_sim.senders import configured_source, sign

    source = configured_source("github", GITHUB)
    signed = sign(source, body, base_url=BASE_URL, event_type="push", sender_id=delivery)
    return signed.headers


def webhook_event(delivery: str = "bench-delivery-1") -> dict[str, Any]:
    from infra.events import signed_event
    from webhook_sim.senders import configured_source

    source = configured_source("github", GITHUB)
    return signed_event(source, BODY, event_type="push", sender_id=delivery)


def receiver_env(**extra: str) -> dict[str, str]:
    """What handler.main needs to start without touching AWS: queue URL given, fake keys."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "WORK_QUEUE_URL": "http://127.0.0.1:9/000000000000/webhook-work",
        "WEBHOOK_SOURCES": json.dumps({"sources": {"github": GITHUB}}),
        "BENCH_SECRET": SECRET,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def apply_env(env: dict[str, str]) -> None:
    for name, value in env.items():
        os.environ.setdefault(name, value)


class NoOpAws:
    """Answers every call the ack path makes, instantly: measures our code, not the network."""

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        return {}

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        return {}

    def delete_item(self, **kwargs: Any) -> dict[str, Any]:
        return {}

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        return {"MessageId": "00000000-0000-0000-0000-000000000000"}

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        return {}


def stub_io(receiver: Any) -> None:
    fake = NoOpAws()
    receiver.dedup = replace(receiver.dedup, dynamodb=fake)
    receiver.queue = replace(receiver.queue, sqs=fake)
    receiver.archive = replace(receiver.archive, s3=fake)
    if getattr(receiver, "tally", None) is not None:
        receiver.tally = replace(receiver.tally, dynamodb=fake)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class LambdaContext:
    """What the Lambda runtime passes as `context`; every subject gets the same one."""

    function_name = "bench-receiver"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-receiver"
    memory_limit_in_mb = 512
    aws_request_id = "bench-request"
    log_group_name = "/aws/lambda/bench-receiver"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


CONTEXT = LambdaContext()


def spawn_and_wait(module_args: list[str], env: dict[str, str]) -> tuple[float, Any]:
    """Run `python -m <module_args>` from the project root: seconds from spawn to exit and the
    child's rusage (CPU time, peak RSS). A failing child raises, naming its command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", *module_args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(module_args)} failed ({code})")
    return elapsed, usage
