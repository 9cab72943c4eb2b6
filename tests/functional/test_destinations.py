"""Forwarding to a real HTTP destination on 127.0.0.1, over in-process AWS (mock_aws).

The destination is a real server (infra/destination_server.py) scripted to fail, time out,
rate-limit and go away; our signature is checked with the `standardwebhooks` library. The
forwarder's clock is a fake one, so retry schedules are followed without waiting; SQS delays
are recorded (and then dropped, so the test can receive the wake-up at once).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from fastapi.testclient import TestClient

from handler import wiring
from handler.aws import AwsClients
from handler.process.destinations.forwarder import Forwarder
from handler.process.destinations.records import record_key
from handler.process.worker import Worker, handle_batch
from handler.receive.api import create_app
from handler.settings import Settings
from handler.store.dedup import dedup_key
from infra.destination_server import Answer, DestinationServer, running
from infra.local_worker import sqs_event
from infra.resources import Resources
from support import sign

SECRET = "whsec_" + "dGVzdC1kZXN0aW5hdGlvbi1zZWNyZXQ="  # base64 of "test-destination-secret"
ARN = "arn:aws:sqs:us-east-1:123456789012:webhook-work"


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class RecordingSqs:
    """The real (moto) client, but a delayed message waits for the fake clock, not real time:
    it is parked, and sent when `release` finds its delay over. Delays are recorded."""

    def __init__(self, sqs: Any, clock: FakeClock) -> None:
        self.sqs = sqs
        self.clock = clock
        self.delays: list[int] = []
        self.parked: list[tuple[float, dict[str, Any]]] = []

    def send_message(self, **kwargs: Any) -> Any:
        delay = int(kwargs.pop("DelaySeconds", 0))
        self.delays.append(delay)
        if delay:
            self.parked.append((self.clock.now + delay, kwargs))
            return {"MessageId": "parked"}
        return self.sqs.send_message(**kwargs)

    def release(self) -> None:
        due = [kwargs for at, kwargs in self.parked if at <= self.clock.now]
        self.parked = [(at, kwargs) for at, kwargs in self.parked if at > self.clock.now]
        for kwargs in due:
            self.sqs.send_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)


def destination_toml(name: str, url: str, **extra: str) -> str:
    lines = [
        "[[sources.github.destinations]]",
        f'name = "{name}"',
        f'url = "{url}"',
        f'secret = "{SECRET}"',
        "allow_private_network = true",
        "timeout_seconds = 0.5",
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def destination() -> Iterator[DestinationServer]:
    with running() as server:
        yield server


class Stack:
    def __init__(
        self, tmp_path: Path, resources: Resources, destinations: str, dlq_url: str
    ) -> None:
        sources = tmp_path / "sources.toml"
        sources.write_text(
            '[sources.github]\nscheme = "github"\nsecrets = ["demo-github-secret"]\n\n'
            + destinations
        )
        self.settings = Settings(
            webhook_sources_file=str(sources),
            archive_bucket=resources.bucket,
            work_queue_url=resources.queue_url,
            idempotency_table=resources.table,
            destinations_dlq_url=dlq_url,
        )
        self.resources = resources
        self.clients = AwsClients.create(self.settings)
        receiver = wiring.receiver(self.settings, self.clients, wiring.sources(self.settings))
        self.http = TestClient(create_app(receiver), raise_server_exceptions=False)
        worker = Worker(
            wiring.dedup_table(self.settings, self.clients),
            wiring.archive(self.settings, self.clients),
        )
        forwarder = wiring.forwarder(self.settings, self.clients, worker.load_body)
        assert forwarder is not None
        self.clock = FakeClock(time.time())
        self.sqs = RecordingSqs(self.clients.sqs, self.clock)
        forwarder.clock, forwarder.sleep, forwarder.sqs = self.clock, self.clock.sleep, self.sqs
        self.forwarder: Forwarder = forwarder
        self.worker = replace(worker, forwarder=forwarder)
        self.envelopes: list[str] = []
        self.seen: list[dict[str, Any]] = []

    def redeliver(self) -> None:
        """SQS delivers at least once: every delivery's message handled again."""
        assert handle_batch(self.worker, sqs_event(self.seen, ARN)) == {"batchItemFailures": []}

    def deliver(self, delivery_id: str, body: bytes = b'{"ref": "main"}') -> None:
        url, headers = sign("github", body, delivery_id=delivery_id, event_type="push")
        assert self.http.post(url, content=body, headers=headers).status_code == 202
        self.envelopes.append(delivery_id)

    def drain(self) -> int:
        """Run the worker over everything in the work queue (wake-ups included); messages seen."""
        seen = 0
        while True:
            messages = self.clients.sqs.receive_message(
                QueueUrl=self.resources.queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return seen
            seen += len(messages)
            self.seen.extend(m for m in messages if not m["Body"].startswith('{"forward"'))
            event = sqs_event(messages, ARN)
            if handle_batch(self.worker, event)["batchItemFailures"]:
                for record in event["Records"]:  # raise the failure's own error, for the report
                    self.worker.handle_record(SQSRecord(record))
            self.clients.sqs.delete_message_batch(
                QueueUrl=self.resources.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )

    def advance(self, to: float) -> int:
        """Move the fake clock, let the wake-ups due by then arrive, and run the worker."""
        self.clock.now = to
        self.sqs.release()
        return self.drain()

    def record(self, delivery_id: str, destination: str) -> dict[str, Any]:
        item = self.forwarder.table.get(record_key("github", delivery_id, destination))
        assert item is not None
        return item

    def dead_letters(self) -> list[dict[str, Any]]:
        messages = self.clients.sqs.receive_message(QueueUrl=self.dlq, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        return [json.loads(m["Body"]) for m in messages]

    @property
    def dlq(self) -> str:
        return self.settings.destinations_dlq_url


@pytest.fixture
def make_stack(tmp_path: Path, resources: Resources) -> Iterator[Any]:
    stacks: list[Stack] = []

    def make(destinations: str) -> Stack:
        sqs = AwsClients.create(Settings()).sqs
        dlq = sqs.create_queue(QueueName="webhook-destinations-dlq")["QueueUrl"]
        stack = Stack(tmp_path, resources, destinations, dlq)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.http.close()


def test_forwards_the_raw_body_signed_with_standard_webhooks(
    make_stack: Any, destination: DestinationServer
) -> None:
    stack = make_stack(
        destination_toml("ci", destination.url("/ci"), headers='{ "X-Team" = "platform" }')
    )
    body = b'{"ref":  "refs/heads/main",\n "x": [1, 2]}'  # odd spacing: byte-exact or not at all
    stack.deliver("d-1", body)
    stack.drain()
    [request] = destination.at("/ci")
    assert request.body == body
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "d-1"
    assert request.headers["webhook-source"] == "github"
    assert request.headers["webhook-event-type"] == "push"
    assert request.headers["x-team"] == "platform"
    # The destination's own check, by the reference library (raises if the signature is wrong).
    standardwebhooks.Webhook(SECRET).verify(request.body, request.headers)
    assert stack.record("d-1", "ci")["status"] == "delivered"


def test_filters_by_event_type_glob_and_payload_field(
    make_stack: Any, destination: DestinationServer
) -> None:
    stack = make_stack(
        destination_toml(
            "main-only",
            destination.url("/main"),
            event_types='["pu*"]',
            filter='{ "ref" = "main" }',
        )
        + destination_toml("issues", destination.url("/issues"), event_types='["issues"]')
    )
    stack.deliver("on-main", b'{"ref": "main"}')
    stack.deliver("on-dev", b'{"ref": "dev"}')
    stack.drain()
    assert [r.headers["webhook-id"] for r in destination.at("/main")] == ["on-main"]
    assert destination.at("/issues") == []


def test_fan_out_with_one_destination_down_never_resends_to_the_other(
    make_stack: Any, destination: DestinationServer
) -> None:
    stack = make_stack(
        destination_toml("up", destination.url("/up"))
        + destination_toml("down", destination.url("/down"))
    )
    destination.default("/down", Answer(503))
    stack.deliver("fan-1")
    stack.drain()  # the first attempt, and the wake-up: not due yet, so re-scheduled
    assert destination.effects("/up") == {"fan-1": 1}
    down = stack.record("fan-1", "down")
    assert down["status"] == "pending" and down["attempts"] == 1 and down["last_status"] == 503
    assert down["next_attempt_at"] > stack.clock.now
    # A retry is a delayed wake-up message, not a failed record: the work queue's receives are
    # not spent, and the delay follows the schedule (5 s first, jittered down by at most 20 %).
    assert 4 <= stack.sqs.delays[0] <= 5
    destination.default("/down", Answer(200))
    stack.redeliver()  # the delivery's message again: no second effect anywhere
    assert stack.advance(down["next_attempt_at"] + 1) >= 1  # the wake-up, on the fake clock
    down = stack.record("fan-1", "down")
    assert down["status"] == "delivered" and down["attempts"] == 2
    assert destination.effects("/up") == {"fan-1": 1}
    assert destination.effects("/down") == {"fan-1": 1}
    assert len(destination.at("/down")) == 2


def test_429_retry_after_is_honoured(make_stack: Any, destination: DestinationServer) -> None:
    stack = make_stack(destination_toml("slow", destination.url("/slow")))
    destination.answer("/slow", Answer(429, headers={"Retry-After": "120"}, body=b"slow down"))
    stack.deliver("limited")
    stack.drain()
    record = stack.record("limited", "slow")
    assert record["status"] == "pending" and record["last_status"] == 429
    assert record["next_attempt_at"] >= stack.clock.now + 119.99  # stored to the millisecond
    assert record["last_snippet"] == "slow down"
    assert stack.sqs.delays[0] >= 120


def test_410_disables_the_destination_and_dead_letters(
    make_stack: Any, destination: DestinationServer
) -> None:
    stack = make_stack(destination_toml("gone", destination.url("/gone")))
    destination.default("/gone", Answer(410, body=b"no such endpoint"))
    stack.deliver("g-1")
    stack.drain()
    stack.deliver("g-2")
    stack.drain()
    assert len(destination.at("/gone")) == 1  # g-2 was never sent: the destination is disabled
    assert stack.forwarder.table.state("github", "gone").label == "disabled"
    first, second = stack.record("g-1", "gone"), stack.record("g-2", "gone")
    assert first["status"] == "dead" and first["last_status"] == 410
    assert second["status"] == "dead" and "disabled" in second["dead_reason"]
    letters = stack.dead_letters()
    assert sorted(m["delivery_id"] for m in letters) == ["g-1", "g-2"]
    assert all(m["destination"] == "gone" for m in letters)


def test_other_4xx_fail_fast_and_redirects_are_not_followed(
    make_stack: Any, destination: DestinationServer
) -> None:
    stack = make_stack(
        destination_toml("bad", destination.url("/bad"))
        + destination_toml("moved", destination.url("/moved"))
    )
    destination.default("/bad", Answer(400, body=b"bad request"))
    destination.default("/moved", Answer(302, headers={"Location": destination.url("/elsewhere")}))
    stack.deliver("f-1")
    stack.drain()
    assert stack.record("f-1", "bad")["status"] == "dead"
    assert stack.record("f-1", "bad")["dead_reason"] == "HTTP 400"
    assert stack.record("f-1", "moved")["status"] == "dead"
    assert destination.at("/elsewhere") == []
    assert len(destination.at("/bad")) == 1 and len(destination.at("/moved")) == 1


def test_timeouts_retry_until_the_horizon_then_dead_letter_with_the_last_response(
    make_stack: Any, destination: DestinationServer
) -> None:
    stack = make_stack(
        destination_toml(
            "stuck",
            destination.url("/stuck"),
            retry="{ initial_seconds = 30, max_interval_seconds = 60, horizon_seconds = 120 }",
            circuit="{ failure_threshold = 100 }",
        )
    )
    destination.answer("/stuck", Answer(delay=1.0))  # the first times out (timeout 0.5 s)
    destination.default("/stuck", Answer(500, body=b"still broken"))
    stack.deliver("h-1")
    stack.drain()
    record = stack.record("h-1", "stuck")
    assert record["last_error"] == "timeout" and record["status"] == "pending"
    for _ in range(10):
        if record["status"] != "pending":
            break
        assert stack.advance(record["next_attempt_at"] + 1) == 1
        record = stack.record("h-1", "stuck")
    assert record["status"] == "dead"
    assert "horizon" in record["dead_reason"]
    assert record["last_status"] == 500 and record["last_snippet"] == "still broken"
    assert record["history"][0]["status"] == 0 and record["history"][0]["error"] == "timeout"
    assert 3 <= record["attempts"] <= 5  # 120 s of 30-60 s waits
    assert stack.dead_letters()[0]["last_status"] == 500


def test_the_response_body_is_capped_and_never_logged(
    make_stack: Any,
    destination: DestinationServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    stack = make_stack(destination_toml("chatty", destination.url("/chatty")))
    destination.default("/chatty", Answer(500, body=b"SECRET-ISH-" + b"x" * 1_000_000))
    stack.deliver("c-1")
    stack.drain()
    record = stack.record("c-1", "chatty")
    assert record["last_snippet"].startswith("SECRET-ISH-") and len(record["last_snippet"]) <= 256
    assert "SECRET-ISH" not in capsys.readouterr().out
    logged = [str(vars(record)) for record in caplog.records]
    assert any("c-1" in line and "HTTP 500" in line for line in logged)  # the failure is logged
    assert not any("SECRET-ISH" in line for line in logged)  # but not the answer's body


def test_the_circuit_opens_after_repeated_failures_probes_once_and_closes(
    make_stack: Any, destination: DestinationServer, caplog: pytest.LogCaptureFixture
) -> None:
    stack = make_stack(
        destination_toml(
            "flaky",
            destination.url("/flaky"),
            circuit="{ failure_threshold = 2, open_seconds = 60 }",
        )
    )
    destination.default("/flaky", Answer(503))
    stack.deliver("c-1")
    stack.deliver("c-2")
    stack.drain()
    state = stack.forwarder.table.state("github", "flaky")
    assert state.circuit == "open" and state.open_until >= stack.clock.now + 59
    stack.deliver("c-3")
    stack.drain()
    assert len(destination.at("/flaky")) == 2  # c-3 is held while the circuit is open
    held = stack.record("c-3", "flaky")
    assert held["status"] == "pending" and held["hold_reason"] == "circuit_open"
    assert held["attempts"] == 0
    destination.default("/flaky", Answer(200))
    stack.advance(state.open_until + 5)  # everything due: one probe, then the rest
    assert stack.forwarder.table.state("github", "flaky").circuit == "closed"
    stack.advance(stack.clock.now + 3600)
    assert destination.effects("/flaky") == {"c-1": 1, "c-2": 1, "c-3": 1}
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("destination circuit opened: attempts paused") == 1
    assert messages.count("destination circuit closed") == 1
    opened = next(r for r in caplog.records if r.getMessage().startswith("destination circuit o"))
    assert vars(opened)["destination"] == "flaky"
    assert vars(opened)["delivery_id"] in {"c-1", "c-2"}


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_batchs_first_attempts_to_a_slow_destination_run_side_by_side(
    make_stack: Any, destination: DestinationServer, concurrency: int
) -> None:
    """One batch's forwards do not queue behind each other: the destination sees them at once
    (with one thread, the baseline, it sees them one by one), each delivered exactly once, and
    the batch's records are all processed."""
    slow = destination_toml("slow", destination.url("/slow"))
    stack = make_stack(slow.replace("timeout_seconds = 0.5", "timeout_seconds = 10"))
    stack.forwarder.concurrency = concurrency
    destination.default("/slow", Answer(delay=0.3))
    ids = [f"s-{n}" for n in range(4)]
    for delivery_id in ids:
        stack.deliver(delivery_id)
    assert stack.drain() == len(ids)
    assert destination.effects("/slow") == {delivery_id: 1 for delivery_id in ids}
    if concurrency == 1:
        assert destination.max_in_flight == 1
    else:
        assert destination.max_in_flight > 1
    stack.redeliver()  # the batch again: no second effect
    assert destination.effects("/slow") == {delivery_id: 1 for delivery_id in ids}
    dedup = wiring.dedup_table(stack.settings, stack.clients)
    for delivery_id in ids:
        record = dedup.get(dedup_key("github", delivery_id))
        assert record is not None and record["status"] == "processed"


def test_a_failed_forwarding_step_fails_only_its_own_record(
    make_stack: Any, destination: DestinationServer
) -> None:
    """batchItemFailures as before: the record whose forward raised, and only it."""
    stack = make_stack(destination_toml("ok", destination.url("/ok")))
    for delivery_id in ("b-1", "b-2", "b-3"):
        stack.deliver(delivery_id)
    messages = stack.clients.sqs.receive_message(
        QueueUrl=stack.resources.queue_url, MaxNumberOfMessages=10
    )["Messages"]
    assert len(messages) == 3
    broken = json.loads(messages[1]["Body"])["id"]
    run = stack.forwarder.run

    def failing(destination: Any, envelope: Any, body: Any, wake: Any) -> None:
        if envelope.id == broken:
            raise RuntimeError("the forward table is down")
        run(destination, envelope, body, wake)

    stack.forwarder.run = failing  # type: ignore[method-assign]
    result = handle_batch(stack.worker, sqs_event(messages, ARN))
    assert result == {"batchItemFailures": [{"itemIdentifier": messages[1]["MessageId"]}]}
    assert set(destination.effects("/ok")) == {"b-1", "b-2", "b-3"} - {broken}


def test_the_rate_limit_holds_per_second_window(
    make_stack: Any, destination: DestinationServer
) -> None:
    paced = destination_toml("paced", destination.url("/paced"), rate_limit_per_second="2")
    stack = make_stack(paced)
    # One thread: the fake clock is shared, so one thread's fake sleep would move another's
    # attempt time (its record's last_at) into the next window. The limit itself is a conditional
    # ADD in DynamoDB whoever sends; bench/forward.py measures it with two workers.
    stack.forwarder.concurrency = 1
    stack.clock.now = float(int(stack.clock.now))  # the start of a window
    for n in range(5):
        stack.deliver(f"r-{n}")
    stack.drain()  # the fake sleep moves the clock to the next window when one is full
    for _ in range(5):
        stack.advance(stack.clock.now + 3)
    assert destination.effects("/paced") == {f"r-{n}": 1 for n in range(5)}
    sent = [stack.record(f"r-{n}", "paced")["last_at"] for n in range(5)]
    windows = [int(at) for at in sent]
    assert max(windows.count(window) for window in windows) <= 2


def test_a_paused_destination_holds_deliveries_until_resumed(
    make_stack: Any, destination: DestinationServer
) -> None:
    stack = make_stack(destination_toml("held", destination.url("/held")))
    stack.forwarder.table.set_switch("github", "held", "paused", True, "maintenance")
    stack.deliver("p-1")
    stack.drain()
    assert destination.at("/held") == []
    assert stack.record("p-1", "held")["hold_reason"] == "paused"
    stack.forwarder.table.set_switch("github", "held", "paused", False, "resumed")
    stack.advance(stack.clock.now + 301)
    assert destination.effects("/held") == {"p-1": 1}


def test_resume_sends_what_the_pause_held_at_once_and_once(
    make_stack: Any, destination: DestinationServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from webhooks_cli import app

    stack = make_stack(destination_toml("held", destination.url("/held")))
    cli_environment(stack, monkeypatch)
    runner = CliRunner()
    assert runner.invoke(app, ["destinations", "pause", "github", "held"]).exit_code == 0
    ids = ["h-1", "h-2", "h-3"]
    for delivery_id in ids:
        stack.deliver(delivery_id)
    stack.drain()
    assert destination.at("/held") == []
    assert all(stack.record(i, "held")["hold_reason"] == "paused" for i in ids)
    resumed = runner.invoke(app, ["destinations", "resume", "github", "held"])
    assert resumed.exit_code == 0, resumed.output
    assert "3 held deliveries sent now" in resumed.output
    # The wake-ups are due at the real time (the CLI's clock); far before the 5-minute check.
    stack.advance(time.time() + 2)
    assert destination.effects("/held") == dict.fromkeys(ids, 1)
    assert all(stack.record(i, "held")["status"] == "delivered" for i in ids)
    # The pause's own re-checks still come, and find the records delivered: no second effect.
    stack.redeliver()
    stack.advance(stack.clock.now + 301)
    assert destination.effects("/held") == dict.fromkeys(ids, 1)
    assert len(destination.at("/held")) == 3
    again = runner.invoke(app, ["destinations", "resume", "github", "held"])
    assert "0 held deliveries sent now" in again.output


def test_a_name_resolving_to_a_private_address_is_refused_at_send_time(
    make_stack: Any, destination: DestinationServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    real = socket.getaddrinfo

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.example.com":  # public at start-up, loopback at send time
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://hooks.example.com:{destination.port}/rebound"
    stack = make_stack(destination_toml("rebound", url).replace("allow_private_network = true", ""))
    stack.deliver("s-1")
    stack.drain()
    record = stack.record("s-1", "rebound")
    assert record["status"] == "pending" and record["last_error"].startswith("refused_url")
    assert destination.at("/rebound") == []


def cli_environment(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the stack's resources from the environment, as it would on a laptop."""
    for name, value in {
        "WEBHOOK_SOURCES_FILE": str(stack.settings.webhook_sources_file),
        "ARCHIVE_BUCKET": stack.settings.archive_bucket,
        "WORK_QUEUE_URL": stack.settings.work_queue_url,
        "IDEMPOTENCY_TABLE": stack.settings.idempotency_table,
    }.items():
        monkeypatch.setenv(name, value)


def test_cli_lists_shows_attempts_pauses_resumes_and_retries(
    make_stack: Any, destination: DestinationServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from webhooks_cli import app

    stack = make_stack(destination_toml("ops", destination.url("/ops")))
    cli_environment(stack, monkeypatch)
    runner = CliRunner()

    def cli(*args: str) -> Any:
        result = runner.invoke(app, ["destinations", *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    destination.default("/ops", Answer(422, body=b"unprocessable: field x"))
    stack.deliver("o-1")
    stack.drain()
    [shown] = cli("attempts", "o-1")
    assert shown["status"] == "dead" and shown["dead_reason"] == "HTTP 422"
    [attempt] = shown["history"]
    assert attempt["status"] == 422 and attempt["snippet"] == "unprocessable: field x"
    assert attempt["latency_ms"] > 0

    assert runner.invoke(app, ["destinations", "pause", "github", "ops"]).exit_code == 0
    [listed] = cli("list")
    assert (listed["destination"], listed["state"]) == ("ops", "paused")
    assert runner.invoke(app, ["destinations", "resume", "github", "ops"]).exit_code == 0
    assert cli("list")[0]["state"] == "closed"

    destination.default("/ops", Answer(200))
    retried = cli("retry", "github", "ops", "--all")
    assert retried["counts"] == {"retried": 1}
    stack.advance(time.time() + 2)  # the CLI's wake-up is due at the real time
    assert destination.effects("/ops") == {"o-1": 1}
    assert cli("attempts", "o-1")[0]["status"] == "delivered"
    assert cli("retry", "github", "ops", "--all")["counts"] == {}  # nothing dead any more


def test_cli_prints_a_destinations_answer_as_text_and_counts_records(
    make_stack: Any, destination: DestinationServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from webhooks_cli import app

    url = destination.url("/loud") + "?token=sekrit-in-query"
    stack = make_stack(destination_toml("loud", url))
    cli_environment(stack, monkeypatch)
    answer = b"[/bold] [red]<script>alert(1)</script>"  # Rich markup would choke on "[/bold]"
    destination.default("/loud?token=sekrit-in-query", Answer(400, body=answer))
    stack.deliver("m-1")
    stack.drain()
    runner = CliRunner()
    shown = runner.invoke(app, ["destinations", "attempts", "m-1"])
    assert shown.exit_code == 0, shown.output
    assert "[/bold]" in shown.output and "[red]<script>alert(1)</script>" in shown.output
    listed = runner.invoke(app, ["destinations", "list", "--counts", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert row["counts"] == {"pending": 0, "delivered": 0, "dead": 1}
    assert row["url"] == destination.url("/loud") and "sekrit" not in listed.output
    table = runner.invoke(app, ["destinations", "list", "--counts"], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    header, *_ = [line for line in table.output.splitlines() if "delivered" in line]
    assert header.split("┃")[-4:-1] == [" pending ", " delivered ", " dead "], header
