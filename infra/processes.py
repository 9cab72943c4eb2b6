"""Start, watch and stop the local processes (moto server, worker, uvicorn): shared by `make run`
and the end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

# boto3 needs credentials even for an emulator; these are never real ones.
EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until `url` answers any HTTP status; fail early if `process` has died."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"{process.args!r} exited with {process.returncode} before {url} answered"
            )
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout} s") from None
            time.sleep(0.1)


def start(
    args: list[str], env: Mapping[str, str] | None = None, **kwargs: Any
) -> subprocess.Popen[bytes]:
    process: subprocess.Popen[bytes] = subprocess.Popen(
        args, env={**os.environ, **(env or {})}, **kwargs
    )
    return process


def start_moto(host: str, port: int, **kwargs: Any) -> subprocess.Popen[bytes]:
    process = start(
        [sys.executable, "-m", "infra.moto_server", "-H", host, "-p", str(port)], **kwargs
    )
    wait_for_http(f"http://{host}:{port}/moto-api/", process=process)
    return process


def start_receiver(
    host: str, port: int, env: Mapping[str, str], **kwargs: object
) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "handler.main:app",
        "--host",
        host,
        "--port",
        str(port),
    ]
    process = start(args, env, **kwargs)
    wait_for_http(f"http://{host}:{port}/health", process=process)
    return process


def start_destination(port: int, *, wait: bool = True, **kwargs: Any) -> subprocess.Popen[bytes]:
    """The echo destination (infra/destination_server.py) the demo `relay` source forwards to.
    wait=False: return at once (`wait_for_port` later), so it starts while other things do."""
    args = [sys.executable, "-m", "infra.destination_server", "--port", str(port)]
    process = start(args, **kwargs)
    if wait:
        wait_for_port(port, process)
    return process


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Until `process` accepts connections on 127.0.0.1:`port` (it may answer POST only)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the process for port {port} did not start") from None
            time.sleep(0.05)


def start_worker(env: Mapping[str, str], **kwargs: object) -> subprocess.Popen[bytes]:
    return start([sys.executable, "-m", "infra.local_worker"], env, **kwargs)


def stop(processes: list[subprocess.Popen[bytes]], timeout: float = 10.0) -> None:
    """Terminate in reverse start order; kill whatever does not exit in time."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in reversed(processes):
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
