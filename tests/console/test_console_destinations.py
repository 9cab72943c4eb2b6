"""The Destinations page and a delivery's forwarding, over in-process AWS and a real HTTP
destination on 127.0.0.1 (infra/destination_server.py), forwarded by the real worker.

The worker's clock can be moved forward (a paused destination's deliveries look again after
five minutes); SQS delays are dropped so that a wake-up is received at once, and the forwarder
decides from its clock whether it is due.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from console_helpers import BASE, csrf_of, deliver
from fastapi.testclient import TestClient
from markupsafe import escape

from handler import wiring
from handler.process.destinations.records import record_key
from handler.process.worker import Worker
from handler.settings import Settings
from infra.destination_server import Answer, DestinationServer, running
from infra.local_worker import poll_once
from webhooks_cli.operations import Operations
from webhooks_cli.operations import destinations as destination_ops

SECRET = "whsec_" + "dGVzdC1kZXN0aW5hdGlvbi1zZWNyZXQ="
HOSTILE = "<script>alert('dest')</script><img src=x onerror=alert(2)>"
OPS = "/ops?token=query-sekrit"  # the path the destination sees
SOURCES = """
[sources.github]
scheme = "github"
secrets = ["demo-github-secret"]

[[sources.github.destinations]]
name = "ops"
url = "{url}{path}"
secret = "{secret}"
allow_private_network = true
timeout_seconds = 2
rate_limit_per_second = 20
headers = {{ "Authorization" = "Bearer header-sekrit", "X-Team" = "platform" }}
"""


@dataclass
class Clock:
    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class Undelayed:
    """The moto SQS client, but a wake-up is visible at once: the forwarder's clock says when it
    is due, and the test moves that clock instead of waiting."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs

    def send_message(self, **kwargs: Any) -> Any:
        kwargs.pop("DelaySeconds", None)
        return self.sqs.send_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)


@pytest.fixture
def destination() -> Iterator[DestinationServer]:
    with running() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, destination: DestinationServer) -> Settings:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES.format(url=destination.url(""), path=OPS, secret=SECRET))
    return settings.model_copy(update={"webhook_sources_file": str(sources)})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def forwarding(worker: Worker, operations: Operations, clock: Clock) -> Worker:
    forwarder = wiring.forwarder(operations.settings, operations.clients, worker.load_body)
    assert forwarder is not None
    forwarder.clock, forwarder.sqs = clock, Undelayed(operations.clients.sqs)
    return replace(worker, forwarder=forwarder)


def run_worker(worker: Worker, operations: Operations) -> int:
    """Every message in the work queue handled (wake-ups included), one batch at a time."""
    sqs = operations.clients.sqs
    arn = sqs.get_queue_attributes(QueueUrl=operations.queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    handled = 0
    for _ in range(20):  # bounded: a paused destination's wake-ups come back rescheduled
        done, failed = poll_once(worker, sqs, operations.queue_url, arn, wait_seconds=0)
        assert failed == 0
        if not done:
            break
        handled += done
    return handled


def record(operations: Operations, delivery_id: str) -> dict[str, Any]:
    table = destination_ops.forward_table(operations)
    found = table.get(record_key("github", delivery_id, "ops"))
    assert found is not None
    return found


def post(browser: TestClient, path: str, **form: str) -> Any:
    csrf = csrf_of(browser.get("/destinations").text)
    return browser.post(path, data={"csrf": csrf, **form}, headers={"origin": BASE})


def test_a_failing_attempt_shows_its_status_and_escaped_answer_and_retry_resends_it(
    browser: TestClient,
    client: TestClient,
    forwarding: Worker,
    operations: Operations,
    destination: DestinationServer,
) -> None:
    destination.default(OPS, Answer(422, body=HOSTILE.encode()))
    delivery_id = deliver(client, "github", b'{"n": 1}')
    run_worker(forwarding, operations)
    assert record(operations, delivery_id)["status"] == "dead"

    page = browser.get(f"/deliveries/github/{delivery_id}").text
    section = page.split('<section id="destinations">', 1)[1].split("</section>", 1)[0]
    assert "dead" in section and ">422<" in section and "HTTP 422" in section
    assert re.search(r"\d+\.\d ms", section)  # the attempt's latency
    assert str(escape(HOSTILE)) in section  # the answer, as text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert 'name="id" value="' + delivery_id in section  # a Retry button for this delivery

    destination.default(OPS, Answer(200))
    path = "/destinations/github/ops/retry"
    dry = post(browser, path, id=delivery_id, mode="dry-run")
    assert dry.status_code == 200 and f"would_retry ({delivery_id})" in dry.text
    run_worker(forwarding, operations)
    assert destination.effects(OPS) == {}  # a dry run sends nothing

    retried = post(browser, path, id=delivery_id, mode="retry")
    assert retried.url.path == f"/deliveries/github/{delivery_id}"  # back to where it was asked
    assert f"1 retried ({delivery_id})" in retried.text
    run_worker(forwarding, operations)
    assert destination.effects(OPS) == {delivery_id: 1}  # received, once
    after = browser.get(f"/deliveries/github/{delivery_id}").text
    assert "s-fwd-delivered" in after and "2 attempts" in after


def test_retry_all_asks_first_says_how_many_and_where_then_resends(
    browser: TestClient,
    client: TestClient,
    forwarding: Worker,
    operations: Operations,
    destination: DestinationServer,
) -> None:
    destination.default(OPS, Answer(400, body=b"bad"))
    ids = [deliver(client, "github", f'{{"n": {n}}}'.encode()) for n in range(2)]
    run_worker(forwarding, operations)
    listed = browser.get("/destinations").text
    row = listed.split('id="d-github-ops"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'class="num error">2<', row)  # two dead
    # Without the confirmation a POST only leads to it.
    unconfirmed = post(browser, "/destinations/github/ops/retry", mode="retry")
    assert unconfirmed.url.path == "/destinations/github/ops/retry"
    confirm = unconfirmed.text
    assert "Retry 2 failed forwards to" in confirm
    assert f"http://127.0.0.1:{destination.port}/ops" in confirm
    assert all(delivery_id in confirm for delivery_id in ids)
    assert destination.effects(OPS) == {}

    destination.default(OPS, Answer(204))
    done = post(browser, "/destinations/github/ops/retry", mode="retry", confirm="yes")
    assert "2 retried" in done.text
    run_worker(forwarding, operations)
    assert destination.effects(OPS) == dict.fromkeys(ids, 1)


def test_pause_holds_forwarding_and_resume_restarts_it(
    browser: TestClient,
    client: TestClient,
    forwarding: Worker,
    operations: Operations,
    destination: DestinationServer,
    clock: Clock,
) -> None:
    paused = post(browser, "/destinations/github/ops/pause", reason="<b>maintenance</b>")
    assert paused.status_code == 200 and "github/ops: paused" in paused.text
    row = paused.text.split('id="d-github-ops"', 1)[1].split("</tr>", 1)[0]
    assert ">paused<" in row and "&lt;b&gt;maintenance&lt;/b&gt;" in row
    assert 'action="/destinations/github/ops/resume"' in row  # the button offered is Resume

    held = deliver(client, "github", b'{"held": true}')
    run_worker(forwarding, operations)
    assert destination.at(OPS) == []
    assert record(operations, held)["hold_reason"] == "paused"

    resumed = post(browser, "/destinations/github/ops/resume")
    assert "github/ops: resumed; 1 held delivery sent now" in resumed.text
    row = resumed.text.split('id="d-github-ops"', 1)[1].split("</tr>", 1)[0]
    assert ">active<" in row and 'action="/destinations/github/ops/pause"' in row
    fresh = deliver(client, "github", b'{"fresh": true}')
    run_worker(forwarding, operations)
    # Both at once: the held one was woken by the resume, not left to its 5-minute check.
    assert destination.effects(OPS) == {fresh: 1, held: 1}
    clock.offset = 301  # that check still comes, and finds it delivered
    run_worker(forwarding, operations)
    assert destination.effects(OPS) == {fresh: 1, held: 1}


def test_actions_without_the_csrf_token_are_refused(
    browser: TestClient, operations: Operations
) -> None:
    for action in ("pause", "resume", "retry"):
        path = f"/destinations/github/ops/{action}"
        assert browser.post(path, data={"mode": "dry-run"}).status_code == 403
        csrf = csrf_of(browser.get("/destinations").text)
        evil = browser.post(path, data={"csrf": csrf}, headers={"origin": "http://evil.example"})
        assert evil.status_code == 403
    assert destination_ops.forward_table(operations).state("github", "ops").label == "closed"
    assert browser.get("/destinations/github/ops/pause").status_code == 405  # no GET action


def test_the_page_shows_no_secret_of_the_destination(
    browser: TestClient, destination: DestinationServer
) -> None:
    page = browser.get("/destinations").text
    assert "query-sekrit" not in page and "header-sekrit" not in page
    assert SECRET not in page and SECRET.removeprefix("whsec_") not in page
    assert f"http://127.0.0.1:{destination.port}/ops<" in page  # without its query string
    assert "Authorization, X-Team (values not shown)" in page
    assert ">20/s<" in page  # the rate limit
    assert 'href="/destinations" class="active"' in page  # in the navigation


def test_an_unknown_destination_is_a_clear_4xx(browser: TestClient) -> None:
    answer = post(browser, "/destinations/github/nope/pause")
    assert answer.status_code == 400 and "no destination named" in answer.text
    assert browser.get("/destinations/nope/ops/retry").status_code == 400


def test_a_large_table_is_counted_only_when_asked(
    browser: TestClient,
    client: TestClient,
    forwarding: Worker,
    operations: Operations,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """moto reports a table size of 0; AWS reports the real one (refreshed every ~6 h)."""
    deliver(client, "github", b'{"n": 1}')
    run_worker(forwarding, operations)
    dynamodb = operations.clients.dynamodb.client  # type: ignore[attr-defined]  # the botocore one
    real = dynamodb.describe_table

    def large(**kwargs: Any) -> Any:
        answer = real(**kwargs)
        answer["Table"]["TableSizeBytes"] = 50 * 1024 * 1024
        return answer

    monkeypatch.setattr(dynamodb, "describe_table", large)
    page = browser.get("/destinations").text
    assert "not counted" in page and 'href="/destinations?counts=1"' in page
    counted = browser.get("/destinations?counts=1").text
    row = counted.split('id="d-github-ops"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'class="num[^"]*">(\d+)<', row)[-3:] == ["0", "1", "0"]


def test_a_destination_gone_410_shows_disabled_and_resume_re_enables_it(
    browser: TestClient,
    client: TestClient,
    forwarding: Worker,
    operations: Operations,
    destination: DestinationServer,
) -> None:
    destination.default(OPS, Answer(410, body=b"gone"))
    delivery_id = deliver(client, "github", b'{"n": 1}')
    run_worker(forwarding, operations)
    row = browser.get("/destinations").text.split('id="d-github-ops"', 1)[1].split("</tr>")[0]
    assert ">disabled<" in row and "HTTP 410 Gone" in row
    assert 'action="/destinations/github/ops/resume"' in row
    assert "<button disabled" in row and 'href="/destinations/github/ops/retry"' not in row
    refused = post(browser, "/destinations/github/ops/retry", id=delivery_id, mode="retry")
    assert "is disabled: `resume` it first" in refused.text  # said on the delivery's page
    assert refused.url.path == f"/deliveries/github/{delivery_id}"

    destination.default(OPS, Answer(200))
    post(browser, "/destinations/github/ops/resume")
    assert "1 retried" in post(browser, "/destinations/github/ops/retry", id=delivery_id).text
    run_worker(forwarding, operations)
    assert destination.effects(OPS) == {delivery_id: 1}
