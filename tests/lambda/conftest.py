"""The Lambda harness: our fake Runtime API on 127.0.0.1 and the real awslambdaric in a process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from infra.processes import EMULATOR_CREDENTIALS
from infra.runtime_api import FakeRuntimeAPI

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

StartFunction = Callable[..., FakeRuntimeAPI]


@pytest.fixture
def lambda_function() -> Iterator[StartFunction]:
    """Start `python -m awslambdaric <handler>` against a fresh fake Runtime API."""
    started: list[tuple[FakeRuntimeAPI, subprocess.Popen[bytes]]] = []

    def start(
        handler: str,
        env: dict[str, str],
        extensions: int = 1,
        output: Path | None = None,
        launcher: str = "awslambdaric",
        **api_options: Any,
    ) -> FakeRuntimeAPI:
        """`output`: the function's stdout and stderr (its logs and EMF lines) go to that file.
        `launcher`: infra.snapfork forks an environment per SnapStart restore."""
        api = FakeRuntimeAPI(**api_options).__enter__()
        sink = open(output, "wb") if output is not None else None  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", launcher, handler],
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
                "AWS_LAMBDA_RUNTIME_API": api.address,
                "AWS_LAMBDA_FUNCTION_NAME": "receiver",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
                "AWS_REGION": "us-east-1",
                **env,
            },
            cwd=ROOT,
            stdout=sink,
            stderr=sink,
            # A group of its own: the environments infra.snapfork forks are stopped with it.
            start_new_session=True,
        )
        if sink is not None:
            sink.close()  # the child holds its own descriptor
        started.append((api, process))
        api.wait_init(extensions=extensions)
        return api

    yield start
    for api, process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        # The runtime sits in a long poll (`next`) inside the runtime client's C code, where the
        # SIGTERM handler (coverage's: it saves the process's data) cannot run until the call
        # returns: dropping the API's connections returns it, so it exits now, not after 10 s.
        api.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(ProcessLookupError):  # forked environments left behind
            os.killpg(process.pid, signal.SIGKILL)
        api.close()


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server on a free port of 127.0.0.1, with the emulator's credentials in the env."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in EMULATOR_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    yield f"http://{host}:{port}"
    server.stop()
