"""Destinations without sockets: configuration errors, the SSRF rules, the retry schedule."""

from __future__ import annotations

import ipaddress
import json
import random
import socket
from typing import Any

import pytest

from handler.errors import ConfigError
from handler.process.destinations.config import RetrySchedule
from handler.process.destinations.forward import Response, retry_after_seconds
from handler.process.destinations.schedule import (
    Verdict,
    after_attempt,
    backoff_seconds,
    judge,
    sqs_delay,
)
from handler.process.destinations.ssrf import (
    UnsafeUrl,
    check_url_statically,
    parse_target,
    refusal,
    resolve_checked,
)
from handler.receive.sources import load_sources
from handler.settings import Settings

SECRET = "whsec_dGVzdC1kZXN0aW5hdGlvbi1zZWNyZXQ="


def load(destination: dict[str, Any], env: dict[str, str] | None = None) -> Any:
    document = {
        "sources": {
            "stripe": {
                "scheme": "stripe",
                "secrets": ["whsec_x"],
                "destinations": [destination],
            }
        }
    }
    settings = Settings(webhook_sources=json.dumps(document))
    return load_sources(settings, lambda kind, name: "", env or {})["stripe"].destinations


def test_a_destination_is_parsed_with_defaults_and_its_secret_resolved() -> None:
    [dest] = load(
        {"name": "billing", "url": "https://billing.example.com/h", "secret": "env:BILLING"},
        env={"BILLING": SECRET},
    )
    assert dest.secret == SECRET and dest.source == "stripe"
    assert dest.event_types == ("*",) and dest.retry.horizon_seconds == 3 * 86400
    assert SECRET not in repr(dest)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "http://127.0.0.1:8080/"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://[fd00:ec2::254]/"}, "url"),
        ({"url": "http://localhost/"}, "url"),
        ({"url": "http://10.1.2.3/"}, "url"),
        ({"url": "https://user:pw@example.com/"}, "url"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"rate_limit_per_second": 0}, "rate_limit_per_second"),
        ({"retry": {"horizon_seconds": 30 * 86400}}, "retry.horizon_seconds"),
        ({"retry": {"multiplier": 0.5}}, "retry.multiplier"),
        ({"headers": {"webhook-signature": "forged"}}, "headers"),
        ({"headers": {"X-Ok": "line\r\nbreak"}}, "headers"),
        ({"event_types": []}, "event_types"),
        ({"filter": {"a..b": 1}}, "filter"),
        ({"unknown": 1}, "unknown"),
        ({"secret": "whsec_!!!not-base64"}, "secret"),
        ({"secret": "env:MISSING"}, "secret"),
    ],
)
def test_invalid_configuration_names_source_destination_and_field_never_the_secret(
    change: dict[str, Any], field: str
) -> None:
    destination = {"name": "billing", "url": "https://example.com/h", "secret": SECRET, **change}
    with pytest.raises(ConfigError) as raised:
        load(destination)
    message = str(raised.value)
    assert "source 'stripe'" in message and "destination 'billing'" in message
    assert f"field '{field}" in message
    assert SECRET not in message and "forged" not in message


def test_a_private_address_is_allowed_only_when_configured() -> None:
    [dest] = load(
        {
            "name": "internal",
            "url": "http://10.0.0.5:8080/h",
            "secret": SECRET,
            "allow_private_network": True,
        }
    )
    assert dest.allow_private_network


def test_destination_names_are_unique_per_source() -> None:
    with pytest.raises(ConfigError, match="used twice"):
        load_sources(
            Settings(
                webhook_sources='{"sources": {"s": {"scheme": "github", "secrets": ["x"],'
                ' "destinations": [{"name": "a", "url": "https://e.com", "secret": "whsec_eA=="},'
                ' {"name": "a", "url": "https://e.com", "secret": "whsec_eA=="}]}}}'
            ),
            lambda kind, name: "",
            {},
        )


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_send_time_check_refuses_a_name_that_resolves_privately(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: a public-looking name answering a private address is refused, even when
    another answer is public."""

    def fake_getaddrinfo(host: str, port: int, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    target = check_url_statically("https://hooks.example.com/x", allow_private_network=False)
    with pytest.raises(UnsafeUrl, match="private"):
        resolve_checked(target, allow_private_network=False)
    assert resolve_checked(target, allow_private_network=True) == "93.184.216.34"


def test_targets_keep_path_and_query() -> None:
    target = parse_target("https://example.com:8443/a/b?x=1")
    assert (target.host, target.port, target.path) == ("example.com", 8443, "/a/b?x=1")
    assert parse_target("http://example.com").path == "/"


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (410, Verdict.GONE),
        (429, Verdict.RETRY),
        (408, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (0, Verdict.RETRY),
        (400, Verdict.FAIL),
        (401, Verdict.FAIL),
        (404, Verdict.FAIL),
        (301, Verdict.FAIL),
    ],
)
def test_verdicts(status: int, verdict: Verdict) -> None:
    assert judge(Response(status, 1.0)) is verdict


def test_backoff_is_exponential_with_a_ceiling_and_bounded_jitter() -> None:
    schedule = RetrySchedule(initial_seconds=10, multiplier=3, max_interval_seconds=100)
    rand = random.Random(1)
    waits = [backoff_seconds(schedule, n, rand) for n in range(1, 6)]
    for wait, ceiling in zip(waits, [10, 30, 90, 100, 100], strict=True):
        assert ceiling * 0.8 <= wait <= ceiling


def test_retry_after_wins_over_a_shorter_backoff_and_the_horizon_ends_retries() -> None:
    schedule = RetrySchedule(initial_seconds=5, horizon_seconds=600)
    limited = Response(429, 1.0, retry_after=300)
    step = after_attempt(schedule, limited, attempts=1, first_attempt_at=0, now=0)
    assert step.verdict is Verdict.RETRY and step.at is not None and step.at >= 300
    late = after_attempt(schedule, limited, attempts=9, first_attempt_at=0, now=400)
    assert late.verdict is Verdict.FAIL and "horizon" in late.reason


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("120", 0) == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 60) == 60
    assert retry_after_seconds("soon", 0) is None and retry_after_seconds(None, 0) is None


def test_sqs_delays_are_chained_past_15_minutes() -> None:
    assert sqs_delay(100.2, 100) == 1
    assert sqs_delay(5000, 0) == 900
    assert sqs_delay(0, 10) == 0
