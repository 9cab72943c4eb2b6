"""Deliveries per interval over a window, and the ack latency, drawn as plain SVG on the server.

Two sources of numbers:
- `archive`: what the archive and dedup records hold. Works anywhere the CLI works (the local
  stack has no CloudWatch). Accepted deliveries and their ack latency (`ack_ms`, which the
  worker derives from the message's SentTimestamp; none for claim-checked bodies) from the
  archive's metas,
  processed and failed from their dedup records, duplicates and refusals (every reason) from the
  receiver's per-minute counts (handler/store/tally.py).
- `cloudwatch`: the EMF metrics the receiver and worker emit (namespace WebhookReceiver,
  handler/metrics.py), summed over every dimension set (source, reason), per interval.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handler.aws import AWS_ERRORS, error_code
from handler.metrics import NAMESPACE
from handler.store.tally import DUPLICATE, REJECTED, UNKNOWN_SOURCE, Count, Tally
from webhooks_cli.operations import Operations

WINDOWS = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400}
BUCKETS = 30  # every window / 30 is a whole number of minutes, as CloudWatch periods must be
SERIES = ("accepted", "duplicate", "rejected", "processed", "failed")
METRICS = {
    "accepted": "Accepted",
    "duplicate": "Duplicate",
    "rejected": "Rejected",
    "processed": "Processed",
    "failed": "ProcessingFailed",
}


@dataclass
class ChartData:
    start: datetime
    interval: int  # seconds per bucket
    origin: str  # archive | cloudwatch
    counts: dict[str, list[float] | None] = field(default_factory=dict)  # None: not known here
    latency: dict[str, list[float | None]] | None = None  # p50 / p99 in ms
    notes: dict[str, str] = field(default_factory=dict)

    def bucket(self, moment: datetime) -> int | None:
        index = int((moment - self.start).total_seconds() // self.interval)
        return index if 0 <= index < BUCKETS else None


def empty(window: int, now: datetime, origin: str) -> ChartData:
    """Buckets on whole periods, as CloudWatch aligns them; the last one holds `now`."""
    interval = window // BUCKETS
    end = (int(now.timestamp()) // interval + 1) * interval
    start = datetime.fromtimestamp(end - interval * BUCKETS, UTC)
    return ChartData(start=start, interval=interval, origin=origin)


def end_of(chart: ChartData) -> datetime:
    return chart.start + timedelta(seconds=chart.interval * BUCKETS)


def archive_chart(
    operations: Operations, window: int, now: datetime, source: str | None
) -> ChartData:
    chart = empty(window, now, "archive")
    accepted, processed, failed, duplicate, rejected = ([0.0] * BUCKETS for _ in range(5))
    latencies: list[list[float]] = [[] for _ in range(BUCKETS)]
    for delivery in operations.deliveries(source, chart.start, end_of(chart)):
        record = delivery.record or {}
        arrived = chart.bucket(delivery.received_at)
        _count(accepted, arrived)
        if arrived is not None and delivery.meta.get("ack_ms") is not None:
            latencies[arrived].append(float(delivery.meta["ack_ms"]))
        if record.get("processed_at"):
            done = datetime.fromtimestamp(int(record["processed_at"]), UTC)
            _count(processed, chart.bucket(done))
        if record.get("last_error") and record.get("status") != "processed":
            _count(failed, arrived)
    reasons: Counter[str] = Counter()
    for count in tally_counts(operations, source, chart.start, end_of(chart)):
        index = chart.bucket(datetime.fromtimestamp(count.minute, UTC))
        if count.counter == DUPLICATE:
            _count(duplicate, index, count.value)
        elif count.counter.startswith(f"{REJECTED}:"):
            _count(rejected, index, count.value)
            reasons[count.counter.partition(":")[2]] += count.value
    chart.counts = {
        "accepted": accepted,
        "duplicate": duplicate,
        "rejected": rejected,
        "processed": processed,
        "failed": failed,
    }
    by_reason = ", ".join(f"{reason} {n}" for reason, n in reasons.most_common())
    chart.notes = {
        "duplicate": "repeats of a delivery id, acked without processing, counted per minute",
        "rejected": "every refusal, counted per minute" + (f": {by_reason}" if by_reason else ""),
        "failed": "deliveries whose processor raised and that are not processed since, by arrival",
        "latency": (
            "arrival to hand-off of accepted deliveries (their archive's ack_ms: the SQS"
            " message's SentTimestamp minus received_at; the ack follows it), by arrival"
        ),
    }
    if any(latencies):
        chart.latency = {
            "p50": [percentile(values, 0.50) for values in latencies],
            "p99": [percentile(values, 0.99) for values in latencies],
        }
    else:
        chart.notes["latency"] = "no ack latency stored for deliveries in this window"
    return chart


def tally_counts(
    operations: Operations, source: str | None, since: datetime, until: datetime
) -> list[Count]:
    """The receiver's per-minute counts, one source per thread (a week is ~1,000 keys each)."""
    tally = Tally(operations.clients.dynamodb, operations.settings.idempotency_table)
    sources = [source] if source else [*operations.sources, UNKNOWN_SOURCE]
    window = (since.timestamp(), until.timestamp())
    with ThreadPoolExecutor(8) as pool:
        found = pool.map(lambda name: list(tally.read([name], *window)), sources)
        return [count for counts in found for count in counts]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest rank: a value that was measured, never an interpolation between two."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _count(values: list[float], index: int | None, value: float = 1) -> None:
    if index is not None:
        values[index] += value


def cloudwatch_chart(cloudwatch: Any, window: int, now: datetime, source: str | None) -> ChartData:
    chart = empty(window, now, "cloudwatch")
    counts: dict[str, list[float] | None] = {name: [0.0] * BUCKETS for name in SERIES}
    wanted = [(series, metric, "Sum") for series, metric in METRICS.items()]
    for (series, _), stamp, value in _series(cloudwatch, chart, wanted, source):
        index = chart.bucket(stamp)
        values = counts[series]
        if index is not None and values is not None:
            values[index] += value
    chart.counts = counts
    latency: dict[str, list[float | None]] = {"p50": [None] * BUCKETS, "p99": [None] * BUCKETS}
    percentiles = [("latency", "AckLatency", "p50"), ("latency", "AckLatency", "p99")]
    try:
        for (_, statistic), stamp, value in _series(cloudwatch, chart, percentiles, source):
            index = chart.bucket(stamp)
            if index is None:
                continue
            # Percentiles of different sources cannot be merged: show the slowest source's.
            current = latency[statistic][index]
            latency[statistic][index] = value if current is None else max(current, value)
    except AWS_ERRORS as error:  # an emulator without percentiles (moto) must not cost the page
        chart.notes["latency"] = f"the ack latency could not be read ({error_code(error)})"
        return chart
    chart.latency = latency
    chart.notes["latency"] = "per interval, the slowest source's percentile"
    return chart


def _series(
    cloudwatch: Any,
    chart: ChartData,
    wanted: list[tuple[str, str, str]],
    source: str | None,
) -> Iterable[tuple[tuple[str, str], datetime, float]]:
    """((series, statistic), timestamp, value) for every dimension set of each wanted metric."""
    queries: list[dict[str, Any]] = []
    owners: list[tuple[str, str]] = []
    for series, metric, statistic in wanted:
        for dimensions in _dimension_sets(cloudwatch, metric, source):
            owners.append((series, statistic))
            queries.append(
                {
                    "Id": f"q{len(queries)}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": dimensions,
                        },
                        "Period": chart.interval,
                        "Stat": statistic,
                    },
                    "ReturnData": True,
                }
            )
    for result in _metric_data(cloudwatch, queries, chart.start, end_of(chart)):
        owner = owners[int(str(result["Id"])[1:])]
        stamps, values = result.get("Timestamps", []), result.get("Values", [])
        for stamp, value in zip(stamps, values, strict=False):
            yield owner, stamp, float(value)


def _dimension_sets(cloudwatch: Any, metric: str, source: str | None) -> list[list[dict[str, str]]]:
    found = []
    for page in cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=NAMESPACE, MetricName=metric
    ):
        for entry in page.get("Metrics", []):
            dimensions = [{"Name": d["Name"], "Value": d["Value"]} for d in entry["Dimensions"]]
            if source is None or {"Name": "source", "Value": source} in dimensions:
                found.append(dimensions)
    return found


def _metric_data(
    cloudwatch: Any, queries: list[dict[str, Any]], start: datetime, end: datetime
) -> Iterable[dict[str, Any]]:
    for first in range(0, len(queries), 500):  # GetMetricData's limit per call
        request: dict[str, Any] = {
            "MetricDataQueries": queries[first : first + 500],
            "StartTime": start,
            "EndTime": end,
        }
        while True:
            response = cloudwatch.get_metric_data(**request)
            yield from response.get("MetricDataResults", [])
            if not response.get("NextToken"):
                break
            request["NextToken"] = response["NextToken"]


# Drawing ----------------------------------------------------------------------------------------

WIDTH, HEIGHT = 300, 80


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Panel:
    name: str
    total: float | None  # None: not known from this origin
    peak: float
    bars: list[Bar]
    lines: dict[str, str]  # statistic -> SVG polyline points
    note: str = ""


def bar_panel(name: str, values: list[float] | None, chart: ChartData) -> Panel:
    if values is None:
        return Panel(name, None, 0, [], {}, chart.notes.get(name, ""))
    peak = max(values) or 1.0
    step = WIDTH / BUCKETS
    bars = []
    for index, value in enumerate(values):
        if value:
            height = HEIGHT * value / peak
            at = chart.start + timedelta(seconds=index * chart.interval)
            bars.append(
                Bar(
                    x=round(index * step + 1, 1),
                    y=round(HEIGHT - height, 1),
                    width=round(step - 2, 1),
                    height=round(height, 1),
                    title=f"{at:%Y-%m-%d %H:%M} UTC: {value:g}",
                )
            )
    return Panel(name, sum(values), max(values), bars, {}, chart.notes.get(name, ""))


def latency_panel(chart: ChartData) -> Panel:
    if chart.latency is None:
        return Panel("ack latency", None, 0, [], {}, chart.notes.get("latency", ""))
    known = [v for values in chart.latency.values() for v in values if v is not None]
    peak = max(known, default=0.0) or 1.0
    step = WIDTH / BUCKETS
    lines = {}
    for statistic, values in chart.latency.items():
        points = [
            f"{index * step + step / 2:.1f},{HEIGHT - HEIGHT * value / peak:.1f}"
            for index, value in enumerate(values)
            if value is not None
        ]
        lines[statistic] = " ".join(points)
    return Panel("ack latency", None, max(known, default=0.0), [], lines, chart.notes["latency"])


def panels(chart: ChartData) -> list[Panel]:
    return [bar_panel(name, chart.counts.get(name), chart) for name in SERIES] + [
        latency_panel(chart)
    ]
