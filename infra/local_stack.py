"""`make run`: moto server, resources, worker loop and the receiver under uvicorn, in one command.

Environment: LOCAL_AWS=0 skips the embedded moto server (then AWS_ENDPOINT_URL or real AWS
credentials are used), LOCAL_AWS_PORT (5000), LOCAL_WORKER=0 leaves messages in the queue,
LOCAL_DESTINATION=0 skips the echo destination the demo `relay` source forwards to (port 8099),
HOST (127.0.0.1), PORT (8000), WEBHOOK_SOURCES_FILE (infra/demo-sources.toml),
QUEUE_VISIBILITY_TIMEOUT (30) and QUEUE_MAX_RECEIVE_COUNT (5) for the work queue it creates.
Settings whose processing lease could outlive the queue's receives are refused before anything
starts (handler/store/leases.py). A worker that dies (a crash, SIGKILL) is started again, as Lambda
starts a new worker; one that refuses its configuration stops everything.
Ctrl-C stops every process started here.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from handler import wiring
from handler.errors import ConfigError
from handler.settings import Settings
from handler.store.leases import check_lease
from infra import DEMO_SOURCES

from .local_worker import CONFIG_EXIT
from .processes import (
    EMULATOR_CREDENTIALS,
    start_destination,
    start_moto,
    start_receiver,
    start_worker,
    stop,
    wait_for_port,
)
from .resources import MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT, create_resources

DEMO_DESTINATION_PORT = 8099  # the demo `relay` source's destination URL names this port


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def demo_curl(base_url: str, sources_file: str) -> str | None:
    """A copy-paste command sending a correctly signed GitHub delivery, if a source uses GitHub."""
    sources = wiring.sources(Settings(webhook_sources_file=sources_file))
    github = sources.get("github") or next(
        (s for s in sources.values() if s.scheme.name == "github"), None
    )
    if github is None:
        return None
    body = json.dumps({"zen": "Design for failure.", "hook_id": 1}).encode()
    headers = github.sign(
        body,
        url=f"{base_url}/webhooks/{github.name}",
        now=time.time(),
        event_type="ping",
        delivery_id=str(uuid.uuid4()),
    )
    parts = ["curl", "-sS", "-i", "-X", "POST", f"{base_url}/webhooks/{github.name}"]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", body.decode()]
    return shlex.join(parts)


def queue_timing_from_env() -> tuple[int, int]:
    """The work queue's visibility timeout and maxReceiveCount for `make run`."""
    visibility = int(os.environ.get("QUEUE_VISIBILITY_TIMEOUT", str(VISIBILITY_TIMEOUT)))
    max_receive = int(os.environ.get("QUEUE_MAX_RECEIVE_COUNT", str(MAX_RECEIVE_COUNT)))
    return visibility, max_receive


def check_settings() -> str | None:
    """Why `make run` must not start with this environment, or None."""
    try:
        settings = Settings()
        visibility, max_receive = queue_timing_from_env()
        check_lease(
            settings.processing_lease_seconds,
            visibility,
            max_receive,
            settings.worker_timeout_seconds,
        )
    except ConfigError as error:
        return str(error)
    except ValueError as error:  # a number that is not one
        return f"invalid setting: {error}"
    return None


def console_command(env: dict[str, str]) -> str:
    """`webhooks console` with what points it at this stack (the CLI reads the same variables)."""
    webhooks = Path(sys.executable).with_name("webhooks")  # .venv/bin/webhooks after `make run`
    if webhooks.exists():
        shown = (
            webhooks.relative_to(Path.cwd()) if webhooks.is_relative_to(Path.cwd()) else webhooks
        )
        program = [str(shown)]
    else:
        program = [sys.executable, "-m", "webhooks_cli"]
    settings = [f"{name}={value}" for name, value in sorted(env.items())]
    return shlex.join(["env", *settings, *program, "console"])


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    problem = check_settings()
    if problem:
        print(f"make run: refusing to start: {problem}", file=sys.stderr)
        return 2
    env: dict[str, str] = {}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    sources_file = os.environ.get("WEBHOOK_SOURCES_FILE") or str(DEMO_SOURCES)
    destination = os.environ.get("LOCAL_DESTINATION", "1") != "0" and sources_file == str(
        DEMO_SOURCES
    )
    try:
        if destination and not port_in_use(DEMO_DESTINATION_PORT):
            # Started first, waited for last: it needs nothing, and starts while the rest do.
            processes["destination"] = start_destination(DEMO_DESTINATION_PORT, wait=False)
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if not endpoint and os.environ.get("LOCAL_AWS", "1") != "0":
            aws_port = int(os.environ.get("LOCAL_AWS_PORT", "5000"))
            processes["moto server"] = start_moto(
                "127.0.0.1", aws_port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            endpoint = f"http://127.0.0.1:{aws_port}"
            env.update({**EMULATOR_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint})
            print(f"local AWS (moto server): {endpoint}", flush=True)
        os.environ.update(env)
        visibility, max_receive = queue_timing_from_env()
        resources = create_resources(
            endpoint_url=endpoint or None,
            visibility_timeout=visibility,
            max_receive_count=max_receive,
        )
        env.update(resources.environment())
        env["WEBHOOK_SOURCES_FILE"] = sources_file
        if os.environ.get("LOCAL_WORKER", "1") != "0":
            processes["worker"] = start_worker(env)
        processes["receiver"] = start_receiver(host, port, env)
        if destination:
            if "destination" in processes:
                wait_for_port(DEMO_DESTINATION_PORT, processes["destination"])
            else:  # another stack's: forwards go there
                print(f"destination: port {DEMO_DESTINATION_PORT} is in use; not started")
            print(f"destination (relay -> echo): http://127.0.0.1:{DEMO_DESTINATION_PORT}/relay")
        base_url = f"http://{host}:{port}"
        print(f"\nreceiver:  {base_url}/webhooks/<source>")
        print(f"health:    {base_url}/health   docs: {base_url}/docs")
        # `webhooks send` posts here when WEBHOOKS_URL is exported (else to --url or port 8000).
        print(f"webhooks:  export WEBHOOKS_URL={base_url}")
        print(f"sources:   {sources_file}")
        print(f"resources: s3://{resources.bucket}  {resources.queue_url}  table {resources.table}")
        command = demo_curl(base_url, sources_file)
        if command:
            print("\nsend a signed demo delivery (twice: the second is a duplicate):")
            print(f"\n  {command}\n")
            if "destination" in processes:
                print("forwarded to the echo destination: the same, to /webhooks/relay, with")
                print("  webhooks send relay --url " + base_url + "\n")
        print("the web console (prints a one-time URL to open):")
        print(f"\n  {console_command(env)}\n")
        print("Ctrl-C stops everything.", flush=True)
        while not stopping:
            for name, process in processes.items():
                if process.poll() is None:
                    continue
                if name == "worker" and process.returncode != CONFIG_EXIT:
                    # Deliveries it held come back when their lease ends (handler/store/leases.py).
                    print(
                        f"worker exited with {process.returncode}; starting a new one", flush=True
                    )
                    processes["worker"] = start_worker(env)
                    continue
                print(f"{name} exited with {process.returncode}; stopping", file=sys.stderr)
                return 1
            time.sleep(0.2)
        return 0
    finally:
        stop(list(processes.values()))


if __name__ == "__main__":
    sys.exit(main())
