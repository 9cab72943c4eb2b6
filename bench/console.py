"""The console's deliveries page with 1,000 deliveries in the window, against a moto server.

    python -m bench.console [--rounds 15] [--count 1000]

Target (issue 14): under 1 s. Measured in the same run, interleaved: the same page with 10
deliveries in the window, and the bare `Operations.deliveries` call the page is built on (no
HTML), so the ratio says what the page adds. The first render (nothing cached: one S3 GET per
delivery) is reported on its own. The page is requested through the ASGI app in-process
(httpx TestClient): everything but the browser's socket; AWS is the moto server over HTTP.
Never part of `make test`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from fastapi.testclient import TestClient

from infra import DEMO_SOURCES
from infra.processes import EMULATOR_CREDENTIALS, free_port, start_moto, stop
from infra.resources import Resources, create_resources

RESULTS = Path(__file__).with_name("results")
TARGET_S = 1.0
TIMES = "\u00d7"


def populate(resources: Resources, endpoint: str, source: str, count: int) -> None:
    """What the receiver and worker leave per delivery: body, meta, a processed record."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    now = datetime.now(UTC)

    def one(index: int) -> None:
        delivery_id = f"{source}-{index:05d}-{uuid.uuid4().hex[:8]}"
        body = json.dumps({"id": delivery_id, "n": index, "pad": "x" * 400}).encode()
        received = now - timedelta(seconds=index * 3)
        prefix = f"archive/{source}/{received:%Y/%m/%d}/{delivery_id}"
        meta = {
            "version": 1,
            "id": delivery_id,
            "source": source,
            "event_type": "invoice.paid" if index % 3 else "push",
            "received_at": received.isoformat(),
            "url": f"http://127.0.0.1:8000/webhooks/{source}",
            "headers": {"content-type": "application/json", "x-bench": "1"},
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body_size": len(body),
        }
        s3.put_object(Bucket=resources.bucket, Key=prefix + ".body", Body=body)
        s3.put_object(Bucket=resources.bucket, Key=prefix + ".json", Body=json.dumps(meta).encode())
        stamp = str(int(received.timestamp()))
        dynamodb.put_item(
            TableName=resources.table,
            Item={
                "pk": {"S": f"{source}#{delivery_id}"},
                "status": {"S": "processed"},
                "claimed_at": {"N": stamp},
                "processed_at": {"N": stamp},
                "expires_at": {"N": str(int(received.timestamp()) + 259200)},
                "attempts": {"N": "1"},
                "outcome": {
                    "S": json.dumps({"processor": "bench", "b": base64.b64encode(b"x").decode()})
                },
            },
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(count)))


def floor(operations: Any, since: datetime) -> None:
    """The two AWS reads no deliveries page can skip, one after the other, nothing else."""
    from handler.store.archive import ARCHIVE_PREFIX, dated_keys
    from webhooks_cli.operations.deliveries import _dedup_keys

    s3, bucket = operations.clients.s3, operations.settings.archive_bucket
    keys = [
        k
        for k in dated_keys(s3, bucket, ARCHIVE_PREFIX, "github", since, None)
        if k.endswith(".json")
    ]
    operations.records(_dedup_keys(keys))


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = start_moto("127.0.0.1", port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        os.environ.update({**EMULATOR_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint})
        resources = create_resources(endpoint_url=endpoint)
        started = time.perf_counter()
        populate(resources, endpoint, "github", args.count)
        populate(resources, endpoint, "stripe", 10)
        print(f"wrote {args.count} + 10 deliveries in {time.perf_counter() - started:.1f} s")

        from handler.settings import Settings
        from webhooks_cli.console import create_console
        from webhooks_cli.console.security import Guard
        from webhooks_cli.operations import Operations

        settings = Settings(
            webhook_sources_file=str(DEMO_SOURCES),
            archive_bucket=resources.bucket,
            work_queue_url=resources.queue_url,
            idempotency_table=resources.table,
        )
        operations = Operations(settings)
        guard = Guard(token="bench", port=1)
        with TestClient(create_console(operations, guard), base_url="http://127.0.0.1:1") as page:
            page.get("/?token=bench")

            def render(query: str, rows: int) -> Callable[[], Any]:
                def call() -> None:
                    answer = page.get(f"/deliveries?since=1d&{query}")
                    assert answer.status_code == 200, answer.text[:300]
                    assert answer.text.count('class="id"><a') == rows, "wrong row count"

                return call

            since = datetime.now(UTC) - timedelta(days=1)
            subjects: dict[str, Callable[[], Any]] = {
                "page, 1000 in window, 200 rows shown (default)": render("source=github", 200),
                "page, 1000 in window, all 1000 rows": render("source=github&limit=1000", 1000),
                "page, 10 in window (baseline)": render("source=stripe", 10),
                "bare Operations.deliveries, 1000": lambda: operations.deliveries("github", since),
                "moto floor: list the keys + read the records": lambda: floor(operations, since),
            }
            cold = timed(render("source=github", 200))
            samples: dict[str, list[float]] = {name: [] for name in subjects}
            for _ in range(args.rounds):
                for name, call in subjects.items():
                    samples[name].append(timed(call))
    finally:
        stop([moto])

    baseline = statistics.median(samples["page, 10 in window (baseline)"])
    report: dict[str, Any] = {"count": args.count, "rounds": args.rounds, "cold_s": cold}
    print(f"\nfirst render, nothing cached (1000 S3 GETs, 8 in parallel): {cold * 1000:.0f} ms")
    print(f"{'subject':52} {'median':>10} {'ratio':>10}")
    for name, values in samples.items():
        median = statistics.median(values)
        report[name] = {"median_s": median, "ratio_to_10": median / baseline, "samples": values}
        print(f"{name:52} {median * 1000:8.0f} ms {median / baseline:9.2f}{TIMES}")
    main_page = report["page, 1000 in window, 200 rows shown (default)"]["median_s"]
    verdict = "MET" if main_page < TARGET_S else "MISSED"
    print(f"\ntarget: the deliveries page with 1000 in the window < {TARGET_S:.0f} s: {verdict}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"console-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
