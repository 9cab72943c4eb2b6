"""`make run` as a user runs it: the stack starts, the printed curl works, Ctrl-C stops it all;
a worker SIGKILLed mid-batch loses nothing and dead-letters nothing."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from random import Random
from typing import Any

import httpx
import pytest

from support import emulator_client, make_run_env, read_until, sign, start_make_run

pytestmark = pytest.mark.e2e


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_make_run_serves_the_printed_demo_delivery_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = make_run_env()
    port, aws_port = int(env["PORT"]), int(env["LOCAL_AWS_PORT"])
    process = start_make_run(env)
    try:
        lines = read_until(process, "Ctrl-C stops everything.")
        command = next(line.strip() for line in lines if line.strip().startswith("curl "))
        assert f"export WEBHOOKS_URL=http://127.0.0.1:{port}" in "".join(lines)
        first = subprocess.run(shlex.split(command), capture_output=True, text=True, check=True)
        second = subprocess.run(shlex.split(command), capture_output=True, text=True, check=True)
        assert "HTTP/1.1 202" in first.stdout and '"status":"accepted"' in first.stdout
        assert "HTTP/1.1 200" in second.stdout and '"status":"duplicate"' in second.stdout
        dynamodb = emulator_client("dynamodb", f"http://127.0.0.1:{aws_port}")
        deadline = time.monotonic() + 20
        statuses: list[str] = []
        duplicates: list[int] = []
        while time.monotonic() < deadline:
            items = dynamodb.scan(TableName="webhook-idempotency")["Items"]
            # tally#...: the per-minute counts the console charts (here the duplicate's, flushed
            # after its response: maybe after the worker's record)
            counts = [item for item in items if item["pk"]["S"].startswith("tally#")]
            statuses = [item["status"]["S"] for item in items if item not in counts]
            duplicates = [int(v["N"]) for c in counts for k, v in c.items() if k.startswith("dup")]
            if statuses == ["processed"] and duplicates:
                break
            time.sleep(0.2)
        assert statuses == ["processed"], "the local worker loop did not process the delivery"
        assert duplicates == [1]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    assert port_is_free(port) and port_is_free(aws_port)


# A worker crash under `make run` ----------------------------------------------------------------

# Small, so the test is fast, and satisfying the lease rule (10 + 2 <= 3 x 4). The lease outlasts
# a new worker's start, so the held deliveries are found busy at least once.
LEASE, VISIBILITY, RECEIVES = 10, 3, 5


class Output:
    """Every line the stack prints, read on a thread so the pipe never fills and blocks it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self.read, args=(process,), daemon=True)
        self.thread.start()

    def read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def wait_for(self, marker: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(marker in line for line in list(self.lines)):
            assert time.monotonic() < deadline, f"{marker!r} not printed:\n{''.join(self.lines)}"
            time.sleep(0.05)

    def json_lines(self, message: str) -> list[dict[str, Any]]:
        found = []
        for line in list(self.lines):
            if line.startswith("{") and f'"message":"{message}"' in line:
                found.append(json.loads(line))
        return found


def worker_pid(stack_pid: int, not_pid: int | None = None) -> int:
    """The worker loop `make run` started (a child running infra.local_worker); after a kill,
    the new one (`make run` says so just before it starts it)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        children = Path(f"/proc/{stack_pid}/task/{stack_pid}/children").read_text().split()
        for child in children:
            with contextlib.suppress(OSError):  # a child that just exited
                command = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"infra.local_worker" in command and int(child) != not_pid:
                    return int(child)
        time.sleep(0.05)
    raise AssertionError("make run has no worker process")


def send_deliveries(base_url: str, count: int) -> set[str]:
    """Signed GitHub deliveries, 8 at a time; returns the ids acknowledged with 202."""

    def post(n: int) -> str | None:
        delivery_id = f"crash-{uuid.uuid4()}"
        body = json.dumps({"ref": "refs/heads/main", "n": n, "pusher": {"name": "Zoë"}}).encode()
        url, headers = sign("github", body, base_url=base_url, delivery_id=delivery_id)
        response = httpx.post(url, content=body, headers=headers, timeout=30)
        return delivery_id if response.status_code == 202 else None

    with ThreadPoolExecutor(8) as pool:
        return {i for i in pool.map(post, range(count)) if i is not None}


def records(dynamodb: Any) -> dict[str, dict[str, str]]:
    items = dynamodb.scan(TableName="webhook-idempotency", ConsistentRead=True)["Items"]
    return {
        item["pk"]["S"].split("#", 1)[1]: {k: next(iter(v.values())) for k, v in item.items()}
        for item in items
    }


def depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_make_run_refuses_a_lease_that_outlives_the_queues_receives() -> None:
    """The settings `make run` shipped with: a 300 s lease against 30 s x 5 receives."""
    process = start_make_run(
        make_run_env(PROCESSING_LEASE_SECONDS="300"),
        stderr=subprocess.PIPE,
        start_new_session=True,  # if it does start, everything it started is stopped below
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2, stdout + stderr
    assert "refusing to start" in stderr and "maxReceiveCount 5" in stderr
    assert "local AWS" not in stdout  # refused before anything started


def test_worker_sigkilled_mid_batch_under_make_run_loses_nothing_and_dead_letters_nothing() -> None:
    """SIGKILL the worker while it holds deliveries; `make run` starts a new one. Every
    acknowledged delivery is processed, the DLQ stays empty, within lease + visibility."""
    env = make_run_env(
        PROCESSING_LEASE_SECONDS=str(LEASE),
        QUEUE_VISIBILITY_TIMEOUT=str(VISIBILITY),
        QUEUE_MAX_RECEIVE_COUNT=str(RECEIVES),
    )
    port, aws_port = int(env["PORT"]), int(env["LOCAL_AWS_PORT"])
    process = start_make_run(env)
    output = Output(process)
    try:
        output.wait_for("Ctrl-C stops everything.")
        aws_url = f"http://127.0.0.1:{aws_port}"
        dynamodb, sqs = emulator_client("dynamodb", aws_url), emulator_client("sqs", aws_url)
        queue_url = sqs.get_queue_url(QueueName="webhook-work")["QueueUrl"]
        dlq_url = sqs.get_queue_url(QueueName="webhook-work-dlq")["QueueUrl"]
        acked: set[str] = set()
        held: set[str] = set()
        # Freeze the worker at random moments while senders keep posting; the first time it
        # is frozen holding a live processing lease, SIGKILL it there: mid-batch, mid-record.
        pid = worker_pid(process.pid)
        random = Random(11)
        with ThreadPoolExecutor(1) as senders:
            sent = senders.submit(send_deliveries, f"http://127.0.0.1:{port}", 80)
            while not held and not sent.done():
                time.sleep(random.uniform(0.0, 0.05))
                os.kill(pid, signal.SIGSTOP)
                killed_at = time.time()
                held = {
                    delivery_id
                    for delivery_id, record in records(dynamodb).items()
                    if record["status"] == "processing" and int(record["lease_until"]) >= killed_at
                }
                os.kill(pid, signal.SIGKILL if held else signal.SIGCONT)
            acked |= sent.result()
        assert held, "the worker was never frozen while it held a delivery"
        output.wait_for(f"worker exited with -{signal.SIGKILL.value}; starting a new one")

        # Bounded by what the rule promises: the lease ends, the message becomes visible again.
        deadline = killed_at + LEASE + VISIBILITY + 30  # + slack for a loaded 2-core machine
        state = records(dynamodb)
        while time.time() < deadline:
            state = records(dynamodb)
            if all(state.get(i, {}).get("status") == "processed" for i in acked):
                break
            time.sleep(0.2)
        unprocessed = {i: state.get(i, {}).get("status") for i in acked}
        unprocessed = {i: s for i, s in unprocessed.items() if s != "processed"}
        assert unprocessed == {}, unprocessed
        assert depth(sqs, dlq_url) == 0, "a delivery was dead-lettered"
        assert depth(sqs, queue_url) == 0

        # Exactly once: one recorded outcome each; the processor ran once for every delivery the
        # killed worker was not holding (one it held may have run before the kill: processors
        # key their effects by delivery id for that reason).
        runs = Counter(line["delivery_id"] for line in output.json_lines("processed"))
        # (A sender that gave up on a slow answer may still have had its delivery queued.)
        assert acked <= set(runs), acked - set(runs)
        assert {i: n for i, n in runs.items() if n != 1 and i not in held} == {}
        # A held delivery found busy was sent back for the rest of the lease: one busy receive,
        # not one per visibility timeout.
        busy = Counter(
            line["delivery_id"]
            for line in output.json_lines("record failed")
            if line["error_type"] == "DeliveryBusy"
        )
        assert set(busy) <= held and all(n == 1 for n in busy.values()), busy
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
