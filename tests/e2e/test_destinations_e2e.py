"""Forwarding end to end: `make run` forwards the demo `relay` source; a worker process killed
in the middle of an attempt.

The receiver (uvicorn) and the worker (infra/local_worker.py) are real processes on a moto
server; the destination is a real server in this test. The worker is SIGKILLed while the
destination holds the request: the delivery's message comes back after its visibility timeout,
the attempt's lease has ended, and one more attempt is made with the same webhook-id, which the
destination dedups. At most one extra attempt, no lost delivery.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import standardwebhooks

from handler import wiring
from handler.aws import AwsClients
from handler.process.destinations.records import record_key
from handler.process.worker import Worker
from handler.settings import Settings
from infra.destination_server import Answer, running
from infra.local_stack import DEMO_DESTINATION_PORT
from infra.local_worker import poll_once
from infra.processes import start_worker
from support import make_run_env, read_until, running_stack, sign, start_make_run

pytestmark = pytest.mark.e2e

SECRET = "whsec_dGVzdC1kZXN0aW5hdGlvbi1zZWNyZXQ="


def test_make_run_forwards_the_relay_source_to_its_echo_destination() -> None:
    env = make_run_env()
    port = int(env["PORT"])
    process = start_make_run(env)

    def wait_for(marker: str) -> str:
        return read_until(process, marker)[-1]

    try:
        wait_for(f"http://127.0.0.1:{DEMO_DESTINATION_PORT}/relay")
        wait_for("Ctrl-C stops everything.")
        body = b'{"zen": "Forward it.", "hook_id": 7}'
        url, headers = sign(
            "relay",
            body,
            base_url=f"http://127.0.0.1:{port}",
            delivery_id="relay-e2e-1",
            event_type="ping",
        )
        assert httpx.post(url, content=body, headers=headers).status_code == 202
        line = wait_for("destination: /relay")
        assert "200 id=relay-e2e-1 source=relay type=ping bytes=36" in line
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def test_worker_killed_mid_attempt_makes_at_most_one_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running() as destination:
        destination.answer("/hook", Answer(delay=5.0))  # held until the worker is killed
        sources = (
            "\n[[sources.github.destinations]]\n"
            f'name = "ci"\nurl = "{destination.url("/hook")}"\nsecret = "{SECRET}"\n'
            "allow_private_network = true\ntimeout_seconds = 10\n"
        )
        with running_stack(tmp_path, sources, {}) as stack:
            body = b'{"ref": "main"}'
            url, headers = sign(
                "github", body, base_url=stack.base_url, delivery_id="kill-1", event_type="push"
            )
            assert httpx.post(url, content=body, headers=headers).status_code == 202
            with stack.log.open("ab") as output:
                worker = start_worker(
                    stack.env, stdout=output, stderr=output, start_new_session=True
                )
                try:
                    assert destination.arrived.wait(30), "the worker never reached the destination"
                finally:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
            for name, value in stack.env.items():
                monkeypatch.setenv(name, value)
            settings = Settings()
            clients = AwsClients.create(settings)
            # A worker whose clock is past the dead attempt's lease (timeout + 30 s), so the test
            # need not wait for it; the message itself comes back after its visibility timeout.
            later = lambda: time.time() + 120  # noqa: E731
            dedup = wiring.dedup_table(settings, clients)
            survivor = Worker(dedup, wiring.archive(settings, clients), clock=later)
            forwarder = wiring.forwarder(settings, clients, survivor.load_body)
            assert forwarder is not None
            forwarder.clock = later
            survivor = replace(survivor, forwarder=forwarder)
            queue = stack.resources.queue_url
            arn = "arn:aws:sqs:us-east-1:123456789012:webhook-work"
            deadline = time.monotonic() + 30
            record = None
            while time.monotonic() < deadline:
                poll_once(survivor, clients.sqs, queue, arn, wait_seconds=1)
                record = forwarder.table.get(record_key("github", "kill-1", "ci"))
                if record and record["status"] == "delivered":
                    break
            assert record is not None and record["status"] == "delivered"
            assert record["attempts"] == 2
            while len(destination.at("/hook")) < 2 and time.monotonic() < deadline + 10:
                time.sleep(0.2)  # the held first request is recorded when its answer is due
            requests = destination.at("/hook")
            assert len(requests) == 2  # the killed attempt and exactly one more
            assert {r.headers["webhook-id"] for r in requests} == {"kill-1"}  # one effect
            for request in requests:
                standardwebhooks.Webhook(SECRET).verify(request.body, request.headers)
