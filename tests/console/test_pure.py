"""The console's pure parts: body decoding, statuses, chart geometry, the guard."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webhooks_cli.console.bodies import view_body
from webhooks_cli.console.charts import (
    BUCKETS,
    ChartData,
    bar_panel,
    cloudwatch_chart,
    empty,
    latency_panel,
)
from webhooks_cli.console.security import Guard
from webhooks_cli.console.views import delivery_status

JSON = {"content-type": "application/json; charset=utf-8"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_json_is_pretty_printed_and_raw_kept() -> None:
    body = b'{"b":[1,2],"a":"\xc3\xa9"}'
    view = view_body(body, JSON)
    assert view.encoding == "json" and view.raw == body.decode()
    assert view.pretty == json.dumps({"b": [1, 2], "a": "é"}, indent=2, ensure_ascii=False)


def test_json_without_a_content_type_is_still_json() -> None:
    assert view_body(b'[{"x": "a=b"}]', {}).encoding == "json"


def test_form_fields_and_the_json_payload_field() -> None:
    body = b"payload=%7B%22type%22%3A%22block_actions%22%7D&user=%3Cb%3Eme%3C%2Fb%3E&empty="
    view = view_body(body, FORM)
    assert view.encoding == "form"
    fields = {f.name: f for f in view.fields}
    assert fields["payload"].json == '{\n  "type": "block_actions"\n}'
    assert fields["user"].value == "<b>me</b>" and fields["user"].json is None
    assert fields["empty"].value == ""


def test_invalid_utf8_and_control_bytes_become_visible_escapes() -> None:
    view = view_body(b'{"a": "\xff"}\x00\x1b\r\n\t', JSON)
    assert not view.valid_utf8 and view.encoding == "binary" and view.pretty is None
    assert view.raw == '{"a": "\\xff"}\\x00\\x1b\r\n\t'


def test_large_bodies_are_not_formatted() -> None:
    body = json.dumps({"x": "y" * (1024 * 1024)}).encode()
    view = view_body(body, JSON)
    assert view.pretty is None and view.note == "too large to format" and view.raw == body.decode()


def test_empty_body() -> None:
    assert view_body(b"", JSON).encoding == "empty"


@pytest.mark.parametrize(
    ("record", "dead", "status"),
    [
        ({"status": "claimed"}, False, "accepted"),
        ({"status": "enqueued"}, False, "accepted"),
        ({"status": "enqueued", "last_error": "E"}, False, "failed"),
        ({"status": "processing"}, False, "processing"),
        ({"status": "processed", "last_error": "E"}, False, "processed"),
        ({"status": "enqueued", "last_error": "E"}, True, "dead-lettered"),
        ({"status": "processed"}, True, "processed"),
        (None, False, "unknown"),
        (None, True, "dead-lettered"),
    ],
)
def test_statuses(record: dict[str, str] | None, dead: bool, status: str) -> None:
    assert delivery_status(record, dead) == status


def test_chart_buckets_end_on_a_period_boundary_holding_now() -> None:
    now = datetime(2026, 1, 1, 12, 7, 30, tzinfo=UTC)
    chart = empty(3600, now, "archive")
    assert chart.interval == 120
    assert chart.bucket(now) == BUCKETS - 1
    assert chart.start == datetime(2026, 1, 1, 11, 8, tzinfo=UTC)
    assert chart.bucket(chart.start) == 0 and chart.bucket(datetime(2025, 1, 1, tzinfo=UTC)) is None


def test_bar_and_latency_geometry() -> None:
    chart = ChartData(start=datetime(2026, 1, 1, tzinfo=UTC), interval=60, origin="cloudwatch")
    values = [0.0] * BUCKETS
    values[0], values[29] = 2.0, 4.0
    panel = bar_panel("accepted", values, chart)
    assert panel.total == 6 and panel.peak == 4
    assert [(bar.height, bar.y) for bar in panel.bars] == [(40.0, 40.0), (80.0, 0.0)]
    assert panel.bars[1].title == "2026-01-01 00:29 UTC: 4"
    assert bar_panel("duplicate", None, chart).total is None
    chart.latency = {"p50": [None] * BUCKETS, "p99": [None] * BUCKETS}
    chart.latency["p50"][0], chart.latency["p99"][0] = 10.0, 40.0
    chart.notes["latency"] = "n"
    lines = latency_panel(chart).lines
    assert lines == {"p50": "5.0,60.0", "p99": "5.0,0.0"}


def test_guard_hosts_and_one_time_token() -> None:
    guard = Guard(token="secret-token", port=4000)
    assert guard.allowed_host("127.0.0.1:4000") and guard.allowed_host("localhost:4000")
    assert guard.allowed_host("[::1]:4000")
    for host in ("127.0.0.1:4001", "evil.example:4000", "127.0.0.1", "", "4000"):
        assert not guard.allowed_host(host), host
    assert guard.exchange("wrong") is None
    session = guard.exchange("secret-token")
    assert session is not None and guard.exchange("secret-token") is None
    assert guard.session(session.id) is session and guard.session("other") is None
    assert guard.csrf_ok(session, session.csrf, "http://127.0.0.1:4000")
    assert guard.csrf_ok(session, session.csrf, None)
    assert not guard.csrf_ok(session, session.csrf, "null")
    assert not guard.csrf_ok(session, "forged", None)


class FakeCloudWatch:
    """ListMetrics + GetMetricData over fixed series: moto has no percentiles to test with."""

    def __init__(self, series: dict[tuple[str, str, str], list[tuple[datetime, float]]]) -> None:
        self.series = series  # (metric, source, statistic) -> points

    def get_paginator(self, name: str) -> Any:
        assert name == "list_metrics"
        fake = self

        class Pages:
            def paginate(self, Namespace: str, MetricName: str) -> list[dict[str, Any]]:
                sources = sorted({s for m, s, _ in fake.series if m == MetricName})
                metrics = [
                    {
                        "Dimensions": [
                            {"Name": "service", "Value": "w"},
                            {"Name": "source", "Value": s},
                        ]
                    }
                    for s in sources
                ]
                return [{"Metrics": metrics}]

        return Pages()

    def get_metric_data(self, MetricDataQueries: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        results = []
        for query in MetricDataQueries:
            stat = query["MetricStat"]
            source = stat["Metric"]["Dimensions"][1]["Value"]
            points = self.series.get((stat["Metric"]["MetricName"], source, stat["Stat"]), [])
            results.append(
                {
                    "Id": query["Id"],
                    "Timestamps": [t for t, _ in points],
                    "Values": [v for _, v in points],
                }
            )
        return {"MetricDataResults": results}


def test_cloudwatch_counts_add_up_and_latency_is_the_slowest_source() -> None:
    now = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
    at = now - timedelta(minutes=5)
    fake = FakeCloudWatch(
        {
            ("Accepted", "github", "Sum"): [(at, 3.0)],
            ("Accepted", "stripe", "Sum"): [(at, 2.0)],
            ("ProcessingFailed", "stripe", "Sum"): [(at, 1.0)],
            ("AckLatency", "github", "p50"): [(at, 8.0)],
            ("AckLatency", "stripe", "p50"): [(at, 11.0)],
            ("AckLatency", "github", "p99"): [(at, 90.0)],
            ("AckLatency", "stripe", "p99"): [(at, 40.0)],
        }
    )
    chart = cloudwatch_chart(fake, 3600, now, None)
    index = chart.bucket(at)
    assert index is not None
    assert chart.counts["accepted"] is not None and chart.counts["accepted"][index] == 5
    assert chart.counts["failed"] is not None and sum(chart.counts["failed"]) == 1
    assert chart.latency is not None
    assert (chart.latency["p50"][index], chart.latency["p99"][index]) == (11.0, 90.0)
    github = cloudwatch_chart(fake, 3600, now, "github")
    assert github.counts["accepted"] is not None and sum(github.counts["accepted"]) == 3
    assert github.latency is not None and github.latency["p50"][index] == 8.0
