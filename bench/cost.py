"""Cost per delivery, counted: `python -m bench.cost` (or `make bench BENCH_ARGS=cost`).

For each subject, a fresh moto server behind a request counter (infra/counting_moto.py), then:

1. the receiver started the way `make run` starts it (`python -m infra.local_stack`,
   LOCAL_AWS=0, AWS_ENDPOINT_URL at the counter, LOCAL_WORKER=0: the bench starts make run's
   worker, `python -m infra.local_worker`, itself, to hold it back for the backlog); the floor
   is its own receiver and worker (bench/subjects/cost_floor.py) served the same way;
2. per pattern (below), the counter is reset and N signed GitHub `push` deliveries (~740 bytes)
   are posted;
3. when all are processed (every message deleted, every dedup record `processed`, the queue
   empty), the counts are read, and the log bytes the receiver and worker wrote meanwhile. The
   bench's own checks go around the counter (infra/counting_moto.py's UNCOUNTED_AGENT);
4. the subject's two Lambda handlers are timed in-process against the same server
   (bench/subjects/cost_timing.py): the Lambda estimate, reported beside the total.

Subjects: `default` (default settings), `volume` (the archive mode for volume, when the
checkout has one), `floor`. Two patterns of arrival, because what a delivery costs depends on
how busy the worker is: `paced` (one delivery in flight, the next sent once the worker, polling
as `make run`'s does, has processed the previous one: batches of 1, and the worker reaches each
delivery while the receiver's after-response work may still run; at 10 M a month, ~4 a second,
Lambda's event source mapping without a batching window mostly sees this) and `backlog`
(all queued, then the worker starts: batches of 10, what a batching window gives at volume).
Prices: bench/cost_prices.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.cost_prices import (
    PRICES,
    PRICES_READ,
    SERVICES,
    Counts,
    dollars_per_million,
    lambda_per_million,
    usage_from_counts,
)
from bench.cost_traffic import Delivery, signed_push
from bench.e2e import processed_count
from infra import DEMO_SOURCES
from infra.counting_moto import UNCOUNTED_AGENT
from infra.processes import EMULATOR_CREDENTIALS, free_port, start, stop, wait_for_http
from infra.resources import create_resources

CONCURRENCY = 4
DELIVERIES = 60
DONE_TIMEOUT = 120.0
TEMPLATE = ROOT / "template.yaml"


@dataclass(frozen=True)
class Subject:
    name: str  # default | volume | floor
    kind: str  # ours | floor
    env: dict[str, str] = field(default_factory=dict)


def volume_setting() -> dict[str, str] | None:
    """The environment that selects the volume archive mode (one archive object per batch),
    if this checkout has one: a setting named like `archive_mode` that allows `batch` (or
    `volume`)."""
    from handler.settings import Settings

    for name, found in Settings.model_fields.items():
        if "archive" not in name or "mode" not in name:
            continue
        allowed = getattr(found.annotation, "__args__", ())
        value = next((v for v in ("batch", "volume") if v in allowed), None)
        if value:
            return {name.upper(): value}
    return None


@dataclass(frozen=True)
class TemplateSizes:
    receiver_mb: int
    worker_mb: int
    batch_size: int
    batching_window_s: int


def template_sizes() -> TemplateSizes:
    from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

    parameters = cfn_yaml.load(str(TEMPLATE))["Parameters"]
    return TemplateSizes(
        receiver_mb=int(parameters["ReceiverMemorySize"]["Default"]),
        worker_mb=int(parameters["WorkerMemorySize"]["Default"]),
        batch_size=int(parameters["WorkerBatchSize"]["Default"]),
        batching_window_s=int(parameters["WorkerBatchingWindowSeconds"]["Default"]),
    )


# ---------------------------------------------------------------- the counter and its server


def counter(endpoint: str, reset: bool = False) -> dict[str, Any]:
    request = urllib.request.Request(f"{endpoint}/_counter", method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=10) as answer:
        counts: dict[str, Any] = json.load(answer)
        return counts


def uncounted(service: str, endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    return session.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(user_agent_extra=UNCOUNTED_AGENT),
    )


def start_counting_moto(port: int) -> subprocess.Popen[bytes]:
    process = start(
        [sys.executable, "-m", "infra.counting_moto", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_http(f"http://127.0.0.1:{port}/_counter", process=process)
    return process


# ---------------------------------------------------------------- the stacks


def wait_for_line(
    log: Path, text: str, process: subprocess.Popen[bytes], timeout: float, offset: int = 0
) -> None:
    """Wait until `text` appears in `log` after `offset`; fail if `process` exits first."""
    deadline = time.monotonic() + timeout
    while text.encode() not in log.read_bytes()[offset:]:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited before {text!r}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {text!r} within {timeout} s:\n{log.read_text()}")
        time.sleep(0.1)


def start_logged(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return start([sys.executable, *args], env, stdout=out, stderr=out, cwd=ROOT)


def start_receiver(subject: Subject, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Ours: `make run` with LOCAL_AWS=0, AWS_ENDPOINT_URL at the counter and LOCAL_WORKER=0 (the
    bench starts make run's worker itself, to hold it back for the backlog). The floor: its
    receiver under uvicorn, as make run serves ours."""
    if subject.kind == "ours":
        stack_env = {**env, "LOCAL_AWS": "0", "LOCAL_DESTINATION": "0", "LOCAL_WORKER": "0"}
        process = start_logged(["-m", "infra.local_stack"], stack_env, log)
        wait_for_line(log, "Ctrl-C stops everything.", process, 90)
        return process
    host, port = "127.0.0.1", env["PORT"]
    app = "bench.subjects.cost_floor:app"
    process = start_logged(["-m", "uvicorn", app, "--host", host, "--port", port], env, log)
    wait_for_http(f"http://{host}:{port}/health", timeout=90, process=process)
    return process


def start_worker(subject: Subject, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The worker loop make run starts (infra/local_worker.py), or the floor's."""
    module = "infra.local_worker" if subject.kind == "ours" else "bench.subjects.cost_floor"
    return start_logged(["-m", module], env, log)


def start_polling_worker(
    subject: Subject, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    offset = log.stat().st_size
    process = start_worker(subject, env, log)
    wait_for_line(log, "polling", process, 60, offset)
    return process


# ---------------------------------------------------------------- traffic and completion


def post(url: str, delivery: Delivery) -> int:
    request = urllib.request.Request(url, data=delivery.body, headers=delivery.headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return int(answer.status)


def send_all(url: str, deliveries: list[Delivery], concurrency: int) -> None:
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(lambda delivery: post(url, delivery), deliveries))
    refused = [status for status in statuses if status != 202]
    if refused:
        raise RuntimeError(f"{len(refused)} deliveries were not accepted: {sorted(set(refused))}")


def send_paced(url: str, deliveries: list[Delivery], endpoint: str) -> None:
    """One delivery in flight: the next is sent once the worker has deleted the previous
    message (read from the counter, which counts no request of its own)."""
    for index, delivery in enumerate(deliveries, start=1):
        status = post(url, delivery)
        if status != 202:
            raise RuntimeError(f"delivery {index} was answered {status}")
        deadline = time.monotonic() + DONE_TIMEOUT
        while deleted_messages(counter(endpoint)) < index:
            if time.monotonic() > deadline:
                raise TimeoutError(f"delivery {index} was not processed in time")
            time.sleep(0.01)


def deleted_messages(counts: Counts) -> int:
    sqs = counts.get("sqs", {})
    return int(
        sum(sqs.get(op, {}).get("messages", 0) for op in ("DeleteMessageBatch", "DeleteMessage"))
    )


def queue_empty(sqs: Any, queue_url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return all(int(attributes[name]) == 0 for name in names)


def wait_done(
    endpoint: str, subject: Subject, count: int, queue_url: str, table: str, before: int
) -> None:
    """Every message deleted (the counter says so), then the queue empty and, for ours, `count`
    more dedup records `processed` than `before` (read around the counter)."""
    sqs, dynamodb = uncounted("sqs", endpoint), uncounted("dynamodb", endpoint)
    deadline = time.monotonic() + DONE_TIMEOUT
    while time.monotonic() < deadline:
        if (
            deleted_messages(counter(endpoint)) >= count
            and queue_empty(sqs, queue_url)
            and (subject.kind == "floor" or processed_count(dynamodb, table) >= before + count)
        ):
            return
        time.sleep(0.25)
    raise TimeoutError(f"{subject.name}: not all {count} deliveries were processed in time")


# ---------------------------------------------------------------- logs


@dataclass(frozen=True)
class LogBytes:
    product: int  # JSON lines: the receiver's and worker's logs and EMF metrics
    access: int  # uvicorn's access log (no such line on Lambda: API Gateway's access log instead)
    other: int
    recreated: int  # "re-creating the archive" lines

    @staticmethod
    def of(text: bytes) -> LogBytes:
        product = access = other = recreated = 0
        for line in text.splitlines(keepends=True):
            if line.lstrip().startswith(b"{"):
                product += len(line)
                recreated += int(b"re-creating the archive" in line)
            elif b'HTTP/1.1"' in line:
                access += len(line)
            else:
                other += len(line)
        return LogBytes(product, access, other, recreated)


# ---------------------------------------------------------------- one subject


def subject_env(endpoint: str, subject: Subject) -> dict[str, str]:
    return {
        **EMULATOR_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "PYTHONUNBUFFERED": "1",  # log bytes are read while the processes run
        "PYTHONPATH": str(ROOT),
        "PORT": str(free_port()),
        "WEBHOOK_SOURCES_FILE": str(DEMO_SOURCES),
        # infra/resources.py's names, which make run creates
        "ARCHIVE_BUCKET": "webhook-archive",
        "IDEMPOTENCY_TABLE": "webhook-idempotency",
        **subject.env,
    }


def time_handlers(
    env: dict[str, str], subject: Subject, deliveries: int, workdir: Path
) -> dict[str, Any]:
    out = workdir / f"timing-{subject.name}.json"
    logs = workdir / f"timing-{subject.name}.log"
    with logs.open("wb") as stdout:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.subjects.cost_timing",
                subject.kind,
                "--deliveries",
                str(deliveries),
                "--out",
                str(out),
            ],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=120,
        )
    timing: dict[str, Any] = json.loads(out.read_text())
    return timing


def count_pattern(
    subject: Subject,
    pattern: str,
    env: dict[str, str],
    log: Path,
    count: int,
    concurrency: int,
) -> dict[str, Any]:
    """One counted run: reset the counter, send, wait until all are processed, read the counts
    and the log bytes written meanwhile. The worker polls while they arrive (paced) or starts
    once all are queued (backlog); it is stopped after."""
    endpoint = env["AWS_ENDPOINT_URL"]
    paced = pattern == "paced"
    worker = start_polling_worker(subject, env, log) if paced else None
    try:
        deliveries = [signed_push() for _ in range(count)]
        url = f"http://127.0.0.1:{env['PORT']}/webhooks/github"
        table = env["IDEMPOTENCY_TABLE"]
        before = (
            processed_count(uncounted("dynamodb", endpoint), table) if subject.kind == "ours" else 0
        )
        counter(endpoint, reset=True)
        log_start = log.stat().st_size
        started = time.perf_counter()
        if paced:
            send_paced(url, deliveries, endpoint)
        else:
            send_all(url, deliveries, concurrency)
        if worker is None:
            worker = start_worker(subject, env, log)
        wait_done(endpoint, subject, count, env["WORK_QUEUE_URL"], table, before)
        seconds = time.perf_counter() - started
        time.sleep(0.3)  # the last lines of the last batch
        counts = counter(endpoint)
        with log.open("rb") as read:
            read.seek(log_start)
            logs = LogBytes.of(read.read())
    finally:
        if worker is not None:
            stop([worker])
    return {
        "subject": f"{subject.name} ({pattern})",
        "deliveries": count,
        "seconds": seconds,
        "counts": counts,
        "logs": logs.__dict__,
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One run's figures from several: the median of each count and log figure (the paced
    pattern's race makes them vary from run to run)."""
    if len(runs) == 1:
        return runs[0]
    counts: dict[str, dict[str, dict[str, float]]] = {}
    keys = {(svc, op) for run in runs for svc, ops in run["counts"].items() for op in ops}
    for service, operation in sorted(keys):
        tallies = [run["counts"].get(service, {}).get(operation, {}) for run in runs]
        fields = {name for tally in tallies for name in tally}
        counts.setdefault(service, {})[operation] = {
            name: statistics.median(tally.get(name, 0) for tally in tallies) for name in fields
        }
    logs = {name: statistics.median(run["logs"][name] for run in runs) for name in runs[0]["logs"]}
    seconds = statistics.median(run["seconds"] for run in runs)
    return {**runs[0], "counts": counts, "logs": logs, "seconds": seconds, "repeats": len(runs)}


def run_subject(
    subject: Subject,
    patterns: list[str],
    count: int,
    concurrency: int,
    timing_deliveries: int,
    workdir: Path,
    repeat: int = 1,
) -> list[dict[str, Any]]:
    """A fresh counting moto server and receiver for the subject, one counted run per pattern,
    then its handlers timed in-process (the durations do not depend on the pattern)."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = workdir / f"stack-{subject.name}.log"
    log.write_bytes(b"")
    env = subject_env(endpoint, subject)
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = now - mark
        mark = now

    processes: list[subprocess.Popen[bytes]] = [start_counting_moto(port)]
    try:
        if subject.kind == "floor":  # make run creates ours (infra/local_stack.py)
            env.update(create_resources(endpoint_url=endpoint).environment())
        processes.append(start_receiver(subject, env, log))
        queues = uncounted("sqs", endpoint)
        env["WORK_QUEUE_URL"] = queues.get_queue_url(QueueName="webhook-work")["QueueUrl"]
        phase("start")
        results = []
        for pattern in patterns:
            runs = [
                count_pattern(subject, pattern, env, log, count, concurrency) for _ in range(repeat)
            ]
            results.append(median_run(runs))
            phase(pattern)
        timing = time_handlers(env, subject, timing_deliveries, workdir)
        phase("timing")
    finally:
        stop(processes)
    spent = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
    print(f"cost: {subject.name}: {spent}", file=sys.stderr, flush=True)
    return [{**result, "timing": timing} for result in results]


# ---------------------------------------------------------------- figures and table


def receives(counts: Counts) -> tuple[int, int]:
    tally = counts.get("sqs", {}).get("ReceiveMessage", {})
    return int(tally.get("requests", 0)) - int(tally.get("empty", 0)), int(tally.get("messages", 0))


def figures(result: dict[str, Any], sizes: TemplateSizes) -> dict[str, Any]:
    counts: Counts = result["counts"]
    count = int(result["deliveries"])
    usage = usage_from_counts(counts, count, int(result["logs"]["product"]))
    dollars = dollars_per_million(usage)
    with_messages, messages = receives(counts)
    timing = result["timing"]
    # The worker is invoked once per batch: batches as this run's receives handed them out (at
    # most the template's), each taking the measured time per delivery times its size.
    mean_batch = messages / with_messages if with_messages else float(sizes.batch_size)
    batch = min(mean_batch, float(sizes.batch_size))
    lambda_usd = {
        arch: lambda_per_million(
            receiver_ms=timing["receiver_ms"],
            receiver_mb=sizes.receiver_mb,
            worker_batch_ms=timing["worker_ms_per_delivery"] * batch,
            worker_mb=sizes.worker_mb,
            batch_size=batch,
            architecture=arch,
        )
        for arch in ("x86_64", "arm64")
    }
    return {
        "usage": usage.__dict__,
        "dollars_per_million": dollars,
        "mean_batch": mean_batch,
        "lambda_per_million": lambda_usd,
    }


def per_delivery_rows(results: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(label, one cell per result): requests per delivery by service and operation."""
    keys: set[tuple[str, str]] = set()
    for result in results:
        for service, operations in result["counts"].items():
            keys.update((service, operation) for operation in operations)
    rows: list[tuple[str, list[str]]] = []
    for service, operation in sorted(keys):
        cells = []
        for result in results:
            tally = result["counts"].get(service, {}).get(operation)
            count = result["deliveries"]
            if not tally:
                cells.append("-")
                continue
            cell = f"{tally['requests'] / count:.2f}"
            notes = []
            if tally["conditional"]:
                notes.append(f"{tally['conditional'] / count:.2f} cond")
            if tally["client_errors"]:
                notes.append(f"{tally['client_errors'] / count:.2f} 4xx")
            if tally["server_errors"]:
                notes.append(f"{tally['server_errors'] / count:.2f} 5xx")
            if service == "dynamodb" and tally["units"] != tally["requests"]:
                notes.append(f"{tally['units'] / count:.2f} units")
            if operation == "ReceiveMessage" and tally["empty"]:
                notes.append(f"+{tally['empty']} empty")
            if notes:
                cell += f" ({', '.join(notes)})"
            cells.append(cell)
        rows.append((f"{service} {operation}", cells))
    return rows


def table(results: list[dict[str, Any]], sizes: TemplateSizes) -> str:
    computed = [figures(result, sizes) for result in results]
    header = ("per delivery", *(result["subject"] for result in results))
    lines: list[tuple[str, ...]] = []
    for label, cells in per_delivery_rows(results):
        lines.append((label, *cells))
    lines.append(("SQS messages per receive", *(f"{c['mean_batch']:.1f}" for c in computed)))
    lines.append(
        (
            "log bytes (JSON lines)",
            *(f"{r['logs']['product'] / r['deliveries']:.0f}" for r in results),
        )
    )
    lines.append(
        (
            "log bytes, uvicorn access",
            *(f"{r['logs']['access'] / r['deliveries']:.0f}" for r in results),
        )
    )
    lines.append(("'re-creating the archive'", *(str(r["logs"]["recreated"]) for r in results)))
    lines.append(("", *("" for _ in results)))
    lines.append(("$ per million deliveries", *("" for _ in results)))
    for service in (*SERVICES, "total"):
        lines.append((service, *(f"{c['dollars_per_million'][service]:.2f}" for c in computed)))
    lines.append(("", *("" for _ in results)))
    lines.append(("beside: Lambda (estimated)", *("" for _ in results)))
    lines.append(
        ("receiver ms / delivery", *(f"{r['timing']['receiver_ms']:.1f}" for r in results))
    )
    lines.append(
        (
            f"worker ms / delivery (batches of {sizes.batch_size})",
            *(f"{r['timing']['worker_ms_per_delivery']:.1f}" for r in results),
        )
    )
    for arch in ("x86_64", "arm64"):
        lines.append(
            (f"Lambda $/M, {arch}", *(f"{c['lambda_per_million'][arch]:.2f}" for c in computed))
        )
    lines.append(
        (
            "log bytes on Lambda (in-process)",
            *(f"{r['timing']['lambda_log_bytes_per_delivery']:.0f}" for r in results),
        )
    )
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    fmt = " | ".join(f"{{:<{w}}}" for w in widths)
    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([fmt.format(*header), rule, *(fmt.format(*row) for row in lines)])


def notes(sizes: TemplateSizes, count: int, concurrency: int) -> str:
    sources = sorted({price.source for price in PRICES.values()})
    return "\n".join(
        [
            f"{count} signed GitHub push deliveries per run: paced one in flight, backlog "
            f"{concurrency} at a time; counts reset after start-up; the bench's "
            "checks uncounted.",
            "Totals: S3 + DynamoDB (1 KB write / 4 KB read units) + SQS (64 KB chunks, empty "
            "receives left out) + one HTTP API request + CloudWatch Logs (the JSON lines).",
            f"SQS receives/deletes depend on the batch: the local worker asks for up to 10 "
            f"(WaitTimeSeconds 1); template.yaml: BatchSize {sizes.batch_size}, batching window "
            f"{sizes.batching_window_s} s. Idle, Lambda's event source mapping long-polls with ~5 "
            "pollers (20 s waits): ~0.65 M ReceiveMessage a month, ~$0.26, whatever the traffic.",
            f"Lambda beside: receiver {sizes.receiver_mb} MB, one invocation per delivery; worker "
            f"{sizes.worker_mb} MB, one per batch (the run's mean batch, at most "
            f"{sizes.batch_size}); warm durations measured in-process against moto (AWS round "
            "trips are slower), billed per whole ms; "
            "START/END/REPORT lines and API Gateway's access log not counted.",
            f"Prices: us-east-1 list prices read {PRICES_READ} (bench/cost_prices.py): "
            + ", ".join(sources),
        ]
    )


def subjects(names: list[str]) -> tuple[list[Subject], list[str]]:
    """The subjects asked for, and those this checkout does not have."""
    chosen: list[Subject] = []
    missing: list[str] = []
    for name in names:
        if name == "default":
            chosen.append(Subject("default", "ours"))
        elif name == "volume":
            volume = volume_setting()
            if volume is None:
                missing.append("volume")
            else:
                chosen.append(Subject("volume", "ours", volume))
        elif name == "floor":
            chosen.append(Subject("floor", "floor"))
        else:
            raise ValueError(f"unknown subject {name!r} (default, volume, floor)")
    return chosen, missing


def measure(
    count: int,
    concurrency: int,
    patterns: list[str],
    names: list[str],
    timing_deliveries: int,
    repeat: int = 1,
) -> dict[str, Any]:
    sizes = template_sizes()
    chosen, missing = subjects(names)
    results = []
    saved = dict(os.environ)
    os.environ.update(EMULATOR_CREDENTIALS)  # this process's own calls go to the moto servers only
    try:
        with tempfile.TemporaryDirectory(prefix="bench-cost-") as workdir:
            for subject in chosen:
                print(f"cost: {subject.name} ...", file=sys.stderr, flush=True)
                results += run_subject(
                    subject, patterns, count, concurrency, timing_deliveries, Path(workdir), repeat
                )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {
        "deliveries": count,
        "concurrency": concurrency,
        "template": sizes.__dict__,
        "prices_read": PRICES_READ,
        "missing": missing,
        "results": results,
        "figures": {r["subject"]: figures(r, sizes) for r in results},
        "table": table(results, sizes) if results else "",
        "notes": notes(sizes, count, concurrency),
    }


def run(quick: bool) -> dict[str, Any]:
    """The `make bench` case."""
    count = 40 if quick else DELIVERIES
    names = ["default", "volume", "floor"]
    result = measure(count, CONCURRENCY, ["paced", "backlog"], names, 29 if quick else 59)
    print(result["table"], file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cost", description=__doc__.splitlines()[0]
    )
    parser.add_argument("-n", "--deliveries", type=int, default=DELIVERIES)
    parser.add_argument("-c", "--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument(
        "--pattern", choices=["paced", "backlog", "both"], default="both", help="see above"
    )
    parser.add_argument("--subjects", default="default,volume,floor")
    parser.add_argument("--timing-deliveries", type=int, default=59)
    parser.add_argument(
        "--repeat", type=int, default=1, help="counted runs per pattern (medians are shown)"
    )
    parser.add_argument("--json", help="also write the counts and figures here")
    args = parser.parse_args(argv)
    patterns = ["paced", "backlog"] if args.pattern == "both" else [args.pattern]
    names = [name.strip() for name in args.subjects.split(",") if name.strip()]
    started = time.perf_counter()
    result = measure(
        args.deliveries, args.concurrency, patterns, names, args.timing_deliveries, args.repeat
    )
    print(result["table"])
    for name in result["missing"]:
        print(f"\n{name} mode: not available in this checkout")
    print()
    print(result["notes"])
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
