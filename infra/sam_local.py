"""`make sam-api` and `make sam-invoke`: the Lambda package in `sam local` containers, on moto.

    python -m infra.sam_local api                       # sam local start-api (Ctrl-C stops)
    python -m infra.sam_local invoke EVENT [FUNCTION]   # sam local invoke, once

What it does, stopping everything it started at the end (the Docker engine only if it started it):
1. a Docker engine (infra/docker.sh: installs Debian's docker.io and starts dockerd if none runs)
   and the offline stand-in Lambda base image (infra/lambda_image.sh, DESIGN.md §3);
2. a moto server bound on the Docker bridge address, which containers reach as
   host.docker.internal (samconfig.toml maps it); the bucket, queue + DLQ and table, and the
   sources JSON in moto's SSM under the parameter the template's SourcesConfig names;
3. an --env-vars file (infra/.build/sam-env.json) pointing both functions at that moto server;
4. `sam build` (skipped when the build is newer than the code), then `sam local start-api` or
   `sam local invoke`.

Environment: SAM_CLI (.venv-sam/bin/sam), LOCAL_AWS_PORT (a free port), SAM_API_PORT (3000),
WEBHOOK_SOURCES_FILE (infra/demo-sources.toml), SAM_BUILD=1 forces `sam build`, FRESH=0 sends a
generated event file as it is instead of re-signing it now. AWS credentials and profiles of the
calling shell never reach SAM or the containers (the functions get SAM's fake defaults).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3

from infra import DEMO_SOURCES

from . import events as sample
from .processes import EMULATOR_CREDENTIALS, free_port, start_moto, stop
from .resources import DEFAULT_REGION, Resources, create_resources

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
BUILD_STATE = INFRA / ".build"  # git-ignored: logs, pid files, the env-vars file
DEFAULT_BUILD_DIR = ROOT / ".aws-sam" / "build"
# skip_pull_image and the host.docker.internal mapping live here.
SAMCONFIG = ROOT / "samconfig.toml"
# template.yaml: Parameters.SourcesConfig.Default (tests/e2e/test_sam_local.py checks they agree).
SOURCES_PARAMETER = "/webhook-receiver/sources"
FUNCTIONS = ("ReceiverFunction", "WorkerFunction")
CONTAINER_HOST = "host.docker.internal"
# What the package is built from: a newer file means `sam build` must run again.
BUILD_INPUTS = ("handler", "requirements.txt", "template.yaml", "infra/lambda/Makefile")
# The calling shell's AWS settings must not reach SAM: real credentials would be handed to the
# containers, and a profile or region would point them away from moto.
AWS_SHELL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def log(message: str) -> None:
    print(f"[sam_local] {message}", file=sys.stderr, flush=True)


class DockerUnavailable(RuntimeError):
    """No Docker engine answers and none could be started (the reason is the message)."""


# --------------------------------------------------------------------------- Docker


def docker_status() -> str:
    """infra/docker.sh status: "running <pid>" (started by docker.sh), "external" or "stopped"."""
    result = subprocess.run(
        [str(INFRA / "docker.sh"), "status"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "stopped"


def start_docker() -> bool:
    """Make sure an engine answers; True when this call started it (so the caller stops it)."""
    before = docker_status()
    result = subprocess.run(
        [str(INFRA / "docker.sh"), "start"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()[-3:] or [f"exit status {result.returncode}"]
        raise DockerUnavailable("infra/docker.sh start failed: " + " | ".join(reason))
    return before == "stopped" and result.stdout.strip() not in ("", "external")


def stop_docker() -> None:
    """Stop the dockerd that infra/docker.sh started (its pid file); never any other."""
    subprocess.run([str(INFRA / "docker.sh"), "stop"], check=False)


def ensure_lambda_image() -> None:
    subprocess.run([str(INFRA / "lambda_image.sh")], check=True)


def bridge_address() -> str:
    """The host's address on Docker's default bridge: what host.docker.internal resolves to."""
    result = subprocess.run(
        ["docker", "network", "inspect", "bridge", "-f", "{{(index .IPAM.Config 0).Gateway}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    address = result.stdout.strip()
    return address if result.returncode == 0 and address else "0.0.0.0"


# --------------------------------------------------------------------------- local AWS


def sources_json(sources_file: Path) -> str:
    """The sources TOML file as the JSON document WEBHOOK_SOURCES holds on Lambda."""
    with sources_file.open("rb") as handle:
        return json.dumps(tomllib.load(handle))


def for_containers(url: str, port: int) -> str:
    """`url` with its host replaced by the name containers reach the host by."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{CONTAINER_HOST}:{port}"))


# The work queue template.yaml declares for its default WorkerTimeout (60 s): the worker checks
# its lease against the queue it reads from (handler/store/leases.py), so the local one must match.
TEMPLATE_VISIBILITY_TIMEOUT = 660


def function_environment(
    resources: Resources, port: int, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What the template's variables become locally (only declared variables can be set)."""
    return {
        "AWS_ENDPOINT_URL": f"http://{CONTAINER_HOST}:{port}",
        "WEBHOOK_SOURCES": f"ssm:{SOURCES_PARAMETER}",
        "ARCHIVE_BUCKET": resources.bucket,
        "WORK_QUEUE_URL": for_containers(resources.queue_url, port),
        "IDEMPOTENCY_TABLE": resources.table,
        **(overrides or {}),
    }


def write_env_vars(path: Path, variables: Mapping[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({name: dict(variables) for name in FUNCTIONS}, indent=2) + "\n")
    return path


def sam_environment() -> dict[str, str]:
    """The environment SAM runs in: no AWS settings of the caller, no telemetry."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_SHELL_VARIABLES}
    env.update(
        {
            "SAM_CLI_TELEMETRY": "0",
            # No shared credentials/config either: the containers get SAM's fake defaults.
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


def sam_binary() -> str:
    return os.environ.get("SAM_CLI") or str(ROOT / ".venv-sam" / "bin" / "sam")


# --------------------------------------------------------------------------- sam build / local


def build_is_current(build_dir: Path) -> bool:
    built = build_dir / "template.yaml"
    if not built.is_file():
        return False
    stamp = built.stat().st_mtime
    for name in BUILD_INPUTS:
        path = ROOT / name
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts and file.stat().st_mtime > stamp:
                return False
    return True


def sam_build(build_dir: Path = DEFAULT_BUILD_DIR, *, quiet: bool = False) -> float:
    """`sam build` into build_dir; returns how long it took."""
    started = time.monotonic()
    result = subprocess.run(
        [sam_binary(), "build", "--build-dir", str(build_dir)],
        cwd=ROOT,
        env=sam_environment(),
        capture_output=quiet,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout or "") + (result.stderr or "") if quiet else ""
        raise RuntimeError(f"sam build failed ({result.returncode})\n{output[-4000:]}")
    return time.monotonic() - started


@dataclass
class Invocation:
    returncode: int
    response: Any  # the function's JSON result (None when it printed none)
    stdout: str
    stderr: str
    seconds: float


def sam_invoke(
    function: str,
    event: Path,
    env_vars: Path,
    build_dir: Path = DEFAULT_BUILD_DIR,
    *,
    capture: bool = True,
    timeout: float = 120,
) -> Invocation:
    args = [
        sam_binary(),
        "local",
        "invoke",
        function,
        "--template",
        str(build_dir / "template.yaml"),
        # Found next to --template otherwise: the built template has none beside it.
        "--config-file",
        str(SAMCONFIG),
        "--event",
        str(event),
        "--env-vars",
        str(env_vars),
    ]
    started = time.monotonic()
    result = subprocess.run(
        args,
        cwd=ROOT,
        env=sam_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if capture else None,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - started
    response = None
    for line in reversed(result.stdout.strip().splitlines()):
        with contextlib.suppress(ValueError):
            response = json.loads(line)
            break
    return Invocation(result.returncode, response, result.stdout, result.stderr or "", seconds)


def start_api(
    port: int,
    env_vars: Path,
    build_dir: Path = DEFAULT_BUILD_DIR,
    *,
    host: str = "127.0.0.1",
    **kwargs: Any,
) -> subprocess.Popen[bytes]:
    """`sam local start-api` in a session of its own: `stop_api` sends it Ctrl-C (SIGINT)."""
    args = [
        sam_binary(),
        "local",
        "start-api",
        "--template",
        str(build_dir / "template.yaml"),
        "--config-file",
        str(SAMCONFIG),
        "--env-vars",
        str(env_vars),
        "--host",
        host,
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        env=sam_environment(),
        start_new_session=True,
        # SIGINT may be ignored by inheritance (a background job): SAM cleans up only on Ctrl-C.
        preexec_fn=_default_sigint,
        **kwargs,
    )
    deadline = time.monotonic() + 120
    while True:  # the port opens once SAM has read the template; no container starts yet
        if process.poll() is not None:
            raise RuntimeError(f"sam local start-api exited with {process.returncode}")
        with contextlib.suppress(OSError):
            socket.create_connection((host, port), timeout=1).close()
            return process
        if time.monotonic() > deadline:
            stop_api(process)
            raise TimeoutError("sam local start-api did not listen within 120 s")
        time.sleep(0.2)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_api(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Ctrl-C, so SAM removes its warm containers itself; then SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
    process.kill()
    process.wait()


# --------------------------------------------------------------------------- the whole setup


@dataclass
class LocalCloud:
    """Docker engine + stand-in image + moto server + resources + env-vars file."""

    sources_file: Path = DEMO_SOURCES
    aws_port: int | None = None
    env_vars: Path = BUILD_STATE / "sam-env.json"
    log_file: Path = BUILD_STATE / "sam-moto.log"
    function_overrides: dict[str, str] = field(default_factory=dict)
    # Filled by start():
    started_docker: bool = False
    host: str = ""
    port: int = 0
    resources: Resources | None = None
    variables: dict[str, str] = field(default_factory=dict)
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        """The moto server as this machine reaches it (containers: host.docker.internal)."""
        host = "127.0.0.1" if self.host == "0.0.0.0" else self.host
        return f"http://{host}:{self.port}"

    def client(self, service: str) -> Any:
        new_client: Any = boto3.client  # typed per service name; the name here is a variable
        return new_client(
            service,
            endpoint_url=self.endpoint,
            region_name=DEFAULT_REGION,
            aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def start(self) -> LocalCloud:
        self.started_docker = start_docker()
        try:
            ensure_lambda_image()
            self.host = bridge_address()
            self.port = self.aws_port or free_port(self.host)
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            with self.log_file.open("ab") as output:
                # A session of its own: Ctrl-C reaches only us, and we stop it after SAM.
                self._processes.append(
                    start_moto(
                        self.host, self.port, stdout=output, stderr=output, start_new_session=True
                    )
                )
            with _aws_env(self.endpoint):
                self.resources = create_resources(
                    endpoint_url=self.endpoint, visibility_timeout=TEMPLATE_VISIBILITY_TIMEOUT
                )
            self.client("ssm").put_parameter(
                Name=SOURCES_PARAMETER,
                Value=sources_json(self.sources_file),
                Type="SecureString",
                Overwrite=True,
            )
            self.variables = function_environment(
                self.resources, self.port, self.function_overrides
            )
            write_env_vars(self.env_vars, self.variables)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop(self._processes)
        self._processes.clear()
        if self.started_docker:
            stop_docker()
            self.started_docker = False

    def running(self) -> bool:
        return bool(self._processes) and all(p.poll() is None for p in self._processes)

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def archive_keys(self) -> list[str]:
        assert self.resources is not None
        listed = self.client("s3").list_objects_v2(Bucket=self.resources.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def queued(self) -> int:
        assert self.resources is not None
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.resources.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


@contextlib.contextmanager
def _aws_env(endpoint: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in [*EMULATOR_CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update({**EMULATOR_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def ensure_build(build_dir: Path = DEFAULT_BUILD_DIR) -> None:
    if os.environ.get("SAM_BUILD") != "1" and build_is_current(build_dir):
        log(f"{build_dir.relative_to(ROOT)} is newer than the code; skipping sam build")
        return
    log("sam build")
    log(f"sam build took {sam_build(build_dir):.1f}s")


def finish_build(early: Future[None]) -> None:
    """Wait for the `sam build` started before the local cloud. It needs no Docker when a CPython
    3.13 compiles the .pyc (infra/lambda/Makefile); without one it needed the stand-in image,
    which is there now: build again."""
    try:
        early.result()
    except RuntimeError as error:
        log(f"sam build failed before the stand-in image was ready; again ({str(error)[:200]})")
        ensure_build()


def fresh_event(path: Path) -> Path:
    """A generated event re-signed now (signed events go stale); any other file as it is."""
    name = path.stem
    if os.environ.get("FRESH", "1") == "0" or path.resolve().parent != sample.DEFAULT_OUT:
        return path
    events = sample.generate(time.time())
    if name not in events:
        return path
    fresh = BUILD_STATE / "events" / f"{name}.json"
    sample.write({name: events[name]}, fresh.parent)
    log(f"{path.name} is a generated event: re-signed now as {fresh.relative_to(ROOT)}")
    log("(FRESH=0 sends the file as it is)")
    return fresh


def run_invoke(event: Path, function: str | None) -> int:
    event = fresh_event(event)
    document = json.loads(event.read_text())
    function = function or sample.function_for(document)
    # `sam build` meanwhile: the engine, the image and moto take the same tens of seconds.
    with ThreadPoolExecutor(1) as pool:
        early = pool.submit(ensure_build)
        with LocalCloud(sources_file=_sources_file()) as cloud:
            finish_build(early)
            log(f"sam local invoke {function} --event {event}")
            result = sam_invoke(function, event, cloud.env_vars, capture=False)
            print(result.stdout, end="" if result.stdout.endswith("\n") else "\n")
            log(f"sam local invoke took {result.seconds:.1f}s (exit {result.returncode})")
            _report(cloud, function, result.response)
            return result.returncode


def _report(cloud: LocalCloud, function: str, response: Any) -> None:
    if function == "WorkerFunction" and isinstance(response, dict):
        failures = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
        log(f"batchItemFailures: {failures or 'none'}")
    keys: list[str] = []
    for _ in range(10):  # the archive is written after the response
        keys = cloud.archive_keys()
        if keys or function != "ReceiverFunction":
            break
        time.sleep(0.3)
    assert cloud.resources is not None
    for key in keys:
        log(f"archived: s3://{cloud.resources.bucket}/{key}")
    log(f"messages in the work queue: {cloud.queued()}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_api() -> int:
    # Ctrl-C and SIGTERM stop everything started here (even where SIGINT was inherited ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    port = int(os.environ.get("SAM_API_PORT", "3000"))
    sources_file = _sources_file()
    with ThreadPoolExecutor(1) as pool:  # `sam build` meanwhile, as run_invoke
        early = pool.submit(ensure_build)
        with LocalCloud(sources_file=sources_file) as cloud:
            finish_build(early)
            api = start_api(port, cloud.env_vars)
            try:
                base_url = f"http://127.0.0.1:{port}"
                started = time.monotonic()
                # The first request starts the function's container (warm_containers = LAZY).
                urllib.request.urlopen(f"{base_url}/health", timeout=120).close()
                log(f"first request (container start) took {time.monotonic() - started:.2f}s")
                _print_banner(cloud, base_url, sources_file)
                seen: set[str] = set()
                while api.poll() is None and cloud.running():
                    for key in cloud.archive_keys():
                        if key not in seen:
                            seen.add(key)
                            assert cloud.resources is not None
                            print(f"archived: s3://{cloud.resources.bucket}/{key}", flush=True)
                    time.sleep(1)
                which = "the moto server" if api.poll() is None else "sam local start-api"
                log(f"{which} exited; stopping")
                return 1
            except KeyboardInterrupt:
                return 0
            finally:
                also = " and the dockerd it started" if cloud.started_docker else ""
                log(f"stopping sam local start-api, the moto server{also}")
                stop_api(api)


def _print_banner(cloud: LocalCloud, base_url: str, sources_file: Path) -> None:
    from .local_stack import demo_curl

    assert cloud.resources is not None
    print(f"\nreceiver (sam local start-api): {base_url}/webhooks/<source>")
    print(f"health:    {base_url}/health")
    resources = cloud.resources
    containers = cloud.variables["AWS_ENDPOINT_URL"]
    print(f"local AWS: {cloud.endpoint} (moto server; containers: {containers})")
    print(f"sources:   {sources_file} -> ssm:{SOURCES_PARAMETER}")
    print(f"resources: s3://{resources.bucket}  {resources.queue_url}  table {resources.table}")
    command = demo_curl(base_url, str(sources_file))
    if command:
        print("\nsend a signed demo delivery (202, then its raw body is archived in S3):")
        print(f"\n  {command}\n")
    print("Queued deliveries stay in SQS (no event source mapping locally): try")
    print("  make sam-invoke EVENT=events/sqs-batch.json")
    print("Ctrl-C stops everything.", flush=True)


def _sources_file() -> Path:
    return Path(os.environ.get("WEBHOOK_SOURCES_FILE") or DEMO_SOURCES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="sam local against moto (make sam-api/sam-invoke)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("api", help="sam local start-api")
    invoke = commands.add_parser("invoke", help="sam local invoke, once")
    invoke.add_argument("event", type=Path, help="event JSON file (events/*.json)")
    invoke.add_argument("function", nargs="?", help="ReceiverFunction or WorkerFunction (inferred)")
    args = parser.parse_args(argv)
    try:
        if args.command == "api":
            return run_api()
        return run_invoke(args.event, args.function)
    except DockerUnavailable as error:
        log(str(error))
        return 2


if __name__ == "__main__":
    sys.exit(main())
