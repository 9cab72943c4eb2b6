"""The console's deliveries page with 1,000 deliveries in the window, against a moto server.

    python -m bench.console [--rounds 15] [--count 1000]

Target (issue 14): under 1 s. Measured in the same run, interleaved: the same page with 10
deliveries in the window, the bare listing the page is built on (no HTML), and the AWS reads
the page made before the listing learnt to keep what never changes (list every key, read every
record). The first render of a console process (nothing learnt yet) is reported on its own, for
records as the receiver writes them now (the list's facts in the claim) and for older records
(one archive GET per delivery). The page is requested through the ASGI app in-process (httpx
TestClient): everything but the browser's socket; AWS is the moto server over HTTP. Never part
of `make test`.
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


def populate(
    resources: Resources, endpoint: str, source: str, count: int, *, facts: bool = True
) -> None:
    """What the receiver and worker leave per delivery: body, meta, a processed record (with
    the list's facts, as the receiver's claim writes them; without: as before it did)."""
    from handler.store.dedup import delivery_facts

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
        listed = delivery_facts(str(meta["event_type"]), received, len(body)) if facts else {}
        dynamodb.put_item(
            TableName=resources.table,
            Item={
                **{k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in listed.items()},
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
    """What the page read every time before: every key listed, every record, one after the
    other, nothing else (its metas were cached already)."""
    from handler.store.archive import ARCHIVE_PREFIX, dated_keys
    from webhooks_cli.operations.listing import dedup_keys

    s3, bucket = operations.clients.s3, operations.settings.archive_bucket
    keys = [
        k
        for k in dated_keys(s3, bucket, ARCHIVE_PREFIX, "github", since, None)
        if k.endswith(".json")
    ]
    operations.records(dedup_keys(keys))


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
        populate(resources, endpoint, "gitlab", args.count, facts=False)
        populate(resources, endpoint, "stripe", 10)
        print(
            f"wrote {args.count} + {args.count} (older records) + 10 deliveries"
            f" in {time.perf_counter() - started:.1f} s"
        )

        from handler.settings import Settings
        from webhooks_cli.console import create_console
        from webhooks_cli.console.security import Guard
        from webhooks_cli.operations import Operations
        from webhooks_cli.operations.listing import STATUS_ATTRIBUTES

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
            n = args.count
            subjects: dict[str, Callable[[], Any]] = {
                f"page, {n} in window, 200 rows shown (default)": render("source=github", 200),
                f"page, {n} in window, all {n} rows": render(f"source=github&limit={n}", n),
                "page, 10 in window (baseline)": render("source=stripe", 10),
                f"bare listing, {n} (what the page reads)": lambda: operations.listing.deliveries(
                    "github", since, None, STATUS_ATTRIBUTES
                ),
                "before: list every key + read every record": lambda: floor(operations, since),
            }
            render("source=stripe", 10)()  # the templates compiled: not the listing's cost
            cold = timed(render("source=github", 200))
            cold_old = timed(render("source=gitlab", 200))
            samples: dict[str, list[float]] = {name: [] for name in subjects}
            for _ in range(args.rounds):
                for name, call in subjects.items():
                    samples[name].append(timed(call))
    finally:
        stop([moto])

    baseline = statistics.median(samples["page, 10 in window (baseline)"])
    report: dict[str, Any] = {
        "count": args.count,
        "rounds": args.rounds,
        "cold_s": cold,
        "cold_older_records_s": cold_old,
    }
    print(f"\nfirst render of the process, {args.count} in the window (nothing learnt yet):")
    print(f"  records with the list's facts:             {cold * 1000:6.0f} ms")
    print(f"  older records (one archive GET each):       {cold_old * 1000:6.0f} ms")
    print(f"\nlater renders ({args.rounds} rounds, interleaved):")
    print(f"{'subject':52} {'median':>10} {'max':>10} {'ratio':>8}")
    for name, values in samples.items():
        median = statistics.median(values)
        report[name] = {"median_s": median, "ratio_to_10": median / baseline, "samples": values}
        print(
            f"{name:52} {median * 1000:7.0f} ms {max(values) * 1000:7.0f} ms"
            f" {median / baseline:7.2f}{TIMES}"
        )
    main_page = report[f"page, {args.count} in window, 200 rows shown (default)"]["median_s"]
    verdict = "MET" if main_page < TARGET_S else "MISSED"
    print(
        f"\ntarget: the deliveries page with {args.count} in the window < {TARGET_S:.0f} s"
        f" (median of later renders): {verdict}"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"console-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
