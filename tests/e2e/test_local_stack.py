"""`make run` as a user runs it: the stack starts, the printed curl works, Ctrl-C stops it all."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from infra.processes import free_port
from support import ROOT

pytestmark = pytest.mark.e2e


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 60) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"the stack exited early:\n{''.join(lines)}")
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not printed within {timeout} s:\n{''.join(lines)}")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_make_run_serves_the_printed_demo_delivery_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, aws_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "WEBHOOK_", "LOCAL_"))
    } | {"PORT": str(port), "LOCAL_AWS_PORT": str(aws_port), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = read_until(process, "Ctrl-C stops everything.")
        command = next(line.strip() for line in lines if line.strip().startswith("curl "))
        assert f"export WEBHOOKS_URL=http://127.0.0.1:{port}" in "".join(lines)
        first = subprocess.run(shlex.split(command), capture_output=True, text=True, check=True)
        second = subprocess.run(shlex.split(command), capture_output=True, text=True, check=True)
        assert "HTTP/1.1 202" in first.stdout and '"status":"accepted"' in first.stdout
        assert "HTTP/1.1 200" in second.stdout and '"status":"duplicate"' in second.stdout
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{aws_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        deadline = time.monotonic() + 20
        statuses: list[str] = []
        while time.monotonic() < deadline:
            items = dynamodb.scan(TableName="webhook-idempotency")["Items"]
            statuses = [item["status"]["S"] for item in items]
            if statuses == ["processed"]:
                break
            time.sleep(0.2)
        assert statuses == ["processed"], "the local worker loop did not process the delivery"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    assert port_is_free(port) and port_is_free(aws_port)
