"""Deliveries per interval over a window, and the ack latency, drawn as plain SVG on the server.

Two sources of numbers:
- `archive`: what the archive, the dedup records and the quarantine hold. Works anywhere the
  CLI works (the local stack has no CloudWatch), but some things are never stored: duplicates
  are answered without a trace, only signature refusals are kept (quarantine), and the ack
  latency exists only as a metric. Those panels say so instead of drawing zeros.
- `cloudwatch`: the EMF metrics the receiver and worker emit (namespace WebhookReceiver,
  handler/metrics.py), summed over every dimension set (source, reason), per interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handler.aws import AWS_ERRORS, error_code
from handler.metrics import NAMESPACE
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
    accepted, processed, failed, rejected = ([0.0] * BUCKETS for _ in range(4))
    for delivery in operations.deliveries(source, chart.start, end_of(chart)):
        record = delivery.record or {}
        _count(accepted, chart.bucket(delivery.received_at))
        if record.get("processed_at"):
            done = datetime.fromtimestamp(int(record["processed_at"]), UTC)
            _count(processed, chart.bucket(done))
        if record.get("last_error") and record.get("status") != "processed":
            _count(failed, chart.bucket(delivery.received_at))
    for item in operations.quarantine.items(source, chart.start, end_of(chart)):
        _count(rejected, chart.bucket(item.received_at))
    chart.counts = {
        "accepted": accepted,
        "duplicate": None,
        "rejected": rejected,
        "processed": processed,
        "failed": failed,
    }
    chart.notes = {
        "duplicate": "not stored: duplicates are answered without a trace (CloudWatch has them)",
        "rejected": "signature refusals kept in the quarantine only (CloudWatch has every reason)",
        "failed": "deliveries whose processor raised and that are not processed since, by arrival",
        "latency": "the ack latency is only a metric: point the console at AWS (CloudWatch)",
    }
    return chart


def _count(values: list[float], index: int | None) -> None:
    if index is not None:
        values[index] += 1


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
