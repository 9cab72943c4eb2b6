"""`webhooks console` in a real browser (Debian's chromium driven by Playwright) against the stack
`make run` starts, opened with the console command `make run` prints.

Screenshots of every page go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from handler.store.dedup import DedupTable
from handler.store.queue import Envelope
from support import ROOT, emulator_client, make_run_env, read_until, sign, start_make_run

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
HOSTILE = "<script>alert('xss')</script><img src=x onerror=\"alert('img')\">"

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed (pip install -r requirements-dev.txt)",
)
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(
        f"no browser at {CHROMIUM}: .ci/run installs Debian's chromium (apt-get install chromium);"
        " this machine could not",
        allow_module_level=True,
    )


@dataclass
class Stack:
    receiver: str
    aws_url: str
    console_url: str
    env: dict[str, str]
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return emulator_client(service, self.aws_url)

    def send(
        self, body: bytes, *, event_type: str = "push", source: str = "github", **headers: str
    ) -> str:
        import httpx

        delivery_id = str(uuid.uuid4())
        url, signed = sign(
            source, body, base_url=self.receiver, event_type=event_type, delivery_id=delivery_id
        )
        answer = httpx.post(url, content=body, headers={**signed, **headers}, timeout=30)
        assert answer.status_code in (202, 401), answer.text
        return delivery_id


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make run` (infra.local_stack) on free ports, then the console command it prints."""
    env = make_run_env()
    port, aws_port = int(env["PORT"]), int(env["LOCAL_AWS_PORT"])
    base = {name: value for name, value in env.items() if name not in ("PORT", "LOCAL_AWS_PORT")}
    log = (tmp_path_factory.mktemp("console") / "stack.log").open("w")
    run = start_make_run(env, stderr=log)
    processes = [run]
    try:
        lines = read_until(run, "Ctrl-C stops everything.")
        printed = next(line.strip() for line in lines if line.strip().startswith("env "))
        words = shlex.split(printed)[1:]
        settings = dict(word.split("=", 1) for word in words if "=" in word and "/" not in word[:1])
        assert words[-1] == "console" and settings["AWS_ENDPOINT_URL"].endswith(str(aws_port))
        # The printed program is .venv/bin/webhooks; run the same CLI from this interpreter.
        console = subprocess.Popen(
            [sys.executable, "-m", "webhooks_cli", "console"],
            cwd=ROOT,
            env=base | settings | {"PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        processes.append(console)
        url = read_until(console, "console: ", timeout=60)[-1].split("console: ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and "?token=" in url
        yield Stack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}", url, settings)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
            viewport={"width": 1360, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(browser: Any, stack: Stack) -> Any:
    page = browser.new_page()
    page.dialogs = []  # every alert/confirm/prompt a page tries to open
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(stack.console_url)  # the one-time URL: session cookie, then the deliveries
    assert page.url.endswith("/deliveries"), page.url
    return page


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def status_of(page: Any) -> str:
    return str(page.locator("h1 .status").inner_text())


def wait_for_status(page: Any, path: str, wanted: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        page.goto(path)
        if status_of(page) == wanted:
            return
        assert time.monotonic() < deadline, f"{path} stayed {status_of(page)!r}, not {wanted!r}"
        time.sleep(0.5)


def test_a_delivery_appears_in_the_list_by_itself(page: Any, stack: Stack) -> None:
    page.goto(f"{page.url.split('/deliveries')[0]}/deliveries?since=1h")
    delivery_id = stack.send(b'{"zen": "Appears by itself.", "hook_id": 7}', event_type="ping")
    # No reload: the list refreshes itself (htmx polling every 5 s).
    page.get_by_role("link", name=delivery_id).wait_for(timeout=20_000)
    page.locator("tr", has_text=delivery_id).locator(".s-processed").wait_for(timeout=20_000)
    assert "processed" in page.locator(".counts").inner_text()
    shot(page, "deliveries")


def test_its_page_shows_the_exact_body_and_a_forced_replay_runs_it_again(
    page: Any, stack: Stack
) -> None:
    body = b'{"action": "opened",\r\n  "note": "caf\xc3\xa9 \\u00e9",  "n": [1, 2.50]}'
    delivery_id = stack.send(body)
    origin = page.url.split("/deliveries")[0]
    path = f"{origin}/deliveries/github/{delivery_id}"
    wait_for_status(page, path, "processed")
    assert page.locator("#raw").text_content() == body.decode()
    assert json.loads(page.locator("#pretty").text_content()) == json.loads(body)
    assert "x-hub-signature-256" in page.locator("table.headers").inner_text()
    shot(page, "delivery")

    page.get_by_role("link", name="Forced replay…").click()
    assert "handler.process.processors.default.log_delivery" in page.inner_text("main")
    assert "back to enqueued" in page.inner_text("main")
    shot(page, "confirm-forced-replay")
    page.get_by_role("button", name="Run it again").click()
    assert f"replayed: {delivery_id} — was processed" in page.locator(".flash").inner_text()
    assert status_of(page) in {"accepted", "processing", "processed"}
    wait_for_status(page, path, "processed")
    record = page.locator("table.fields").nth(1).inner_text()
    assert "replays\t1" in record and "attempts\t2" in record  # ran twice: once, then the replay


def test_a_dead_letter_is_redriven_and_processed(page: Any, stack: Stack) -> None:
    """What maxReceiveCount failures leave: the message in the DLQ, the error on the record."""
    delivery_id = dead_letter(stack, "TimeoutError: the downstream API did not answer")
    origin = page.url.split("/deliveries")[0].split("/dlq")[0]
    page.goto(f"{origin}/dlq")
    row = page.locator("tr", has_text=delivery_id)
    assert "TimeoutError: the downstream API did not answer" in row.inner_text()
    shot(page, "dlq")
    row.get_by_role("button", name="Redrive").click()
    assert "redriven" in page.locator(".flash").inner_text()
    wait_for_status(page, f"{origin}/deliveries/github/{delivery_id}", "processed")
    page.goto(f"{origin}/dlq")
    assert delivery_id not in page.inner_text("main")


def dead_letter(stack: Stack, error: str) -> str:
    """What maxReceiveCount failures leave: the message in the DLQ, the error on the record."""
    import base64
    import hashlib
    from datetime import UTC, datetime

    sqs, dynamodb = stack.client("sqs"), stack.client("dynamodb")
    queue = stack.env["WORK_QUEUE_URL"]
    dlq_arn = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])["Attributes"][
            "RedrivePolicy"
        ]
    )["deadLetterTargetArn"]
    dlq = sqs.get_queue_url(QueueName=dlq_arn.rsplit(":", 1)[-1])["QueueUrl"]
    delivery_id = f"dead-{uuid.uuid4().hex[:12]}"
    body = b'{"zen": "Dead letters come back."}'
    received = datetime.now(UTC)
    envelope = Envelope(
        id=delivery_id,
        source="github",
        event_type="ping",
        received_at=received,
        url=f"{stack.receiver}/webhooks/github",
        headers={"content-type": "application/json", "x-github-event": "ping"},
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_size=len(body),
        body_b64=base64.b64encode(body).decode(),
    )
    # The receiver archived it before the worker failed on it.
    s3 = stack.client("s3")
    prefix = f"archive/github/{received:%Y/%m/%d}/{delivery_id}"
    s3.put_object(Bucket=stack.env["ARCHIVE_BUCKET"], Key=prefix + ".body", Body=body)
    meta = envelope.model_dump_json(exclude={"body_b64", "body_key"}).encode()
    s3.put_object(Bucket=stack.env["ARCHIVE_BUCKET"], Key=prefix + ".json", Body=meta)
    table = DedupTable(dynamodb, stack.env["IDEMPOTENCY_TABLE"], 3600, 30, 300)
    key = f"github#{delivery_id}"
    table.claim(key, time.time())
    _, token = table.hold_for_processing(key, time.time())
    table.release_processing(key, token, error)
    sqs.send_message(QueueUrl=dlq, MessageBody=envelope.model_dump_json(exclude_none=True))
    return delivery_id


def test_a_hostile_body_does_not_run(page: Any, stack: Stack) -> None:
    body = json.dumps({"comment": HOSTILE, "</pre><script>alert(2)</script>": True}).encode()
    delivery_id = stack.send(body, **{"x-hostile": "<script>alert('header')</script>"})
    origin = page.url.split("/deliveries")[0].split("/dlq")[0]
    wait_for_status(page, f"{origin}/deliveries/github/{delivery_id}", "processed")
    assert json.loads(page.locator("#pretty").text_content())["comment"] == HOSTILE  # as text
    assert page.locator("#raw").text_content() == body.decode()
    assert "<script>alert('header')</script>" in page.locator("table.headers").inner_text()
    assert page.locator("main script, main img").count() == 0  # nothing became markup
    page.wait_for_timeout(500)
    assert page.dialogs == []
    shot(page, "hostile-body")


def test_quarantine_and_charts_pages(page: Any, stack: Stack) -> None:
    stack.send(b'{"rotated": true}', **{"x-hub-signature-256": "sha256=" + "0" * 64})
    origin = page.url.split("/deliveries")[0].split("/dlq")[0]
    row = page.locator("tbody tr").first
    deadline = time.monotonic() + 20  # the receiver keeps it after its 401 has gone out
    while True:
        page.goto(f"{origin}/quarantine")
        if "bad_signature" in row.inner_text():
            break
        assert time.monotonic() < deadline, "the refused delivery was not quarantined"
        time.sleep(0.5)
    shot(page, "quarantine")
    row.get_by_role("button", name="Re-verify").click()
    assert "still rejected" in page.locator(".flash").inner_text()
    import httpx

    first = stack.send(b'{"again": true}')
    url, signed = sign("github", b'{"again": true}', base_url=stack.receiver, delivery_id=first)
    assert httpx.post(url, content=b'{"again": true}', headers=signed).status_code == 200
    deadline = time.monotonic() + 20  # counted after the response has gone out
    while True:
        page.goto(f"{origin}/charts?window=1h")
        kinds = ("accepted", "processed", "rejected", "duplicate")
        drawn = {name: page.locator(f"rect.bar-{name}").count() for name in kinds}
        if all(drawn.values()):
            break
        assert time.monotonic() < deadline, f"not drawn in 20 s: {drawn}"
        time.sleep(0.5)
    assert page.locator("polyline.line-p50").count() == 1  # the archived ack latencies
    shot(page, "charts")
    assert page.dialogs == []


def wait_for_text(page: Any, path: str, selector: str, wanted: str, timeout: float = 30) -> None:
    """Reload `path` until the element at `selector` says `wanted` (the worker runs apart)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(path)
        found = page.locator(selector)
        if found.count() and wanted in found.first.inner_text():
            return
        assert time.monotonic() < deadline, f"{path}: {selector} never said {wanted!r}"
        time.sleep(0.5)


def test_destinations_page_pauses_and_resumes_the_relay_destination(
    page: Any, stack: Stack
) -> None:
    """`make run`'s demo `relay` source forwards to the echo destination on 127.0.0.1:8099."""
    origin = "/".join(page.url.split("/")[:3])
    page.goto(f"{origin}/deliveries")
    page.get_by_role("link", name="Destinations").click()
    row = page.locator("tr#d-relay-echo")
    assert "http://127.0.0.1:8099/relay" in row.inner_text()
    assert row.locator(".status").inner_text() == "active"
    row.get_by_role("button", name="Dry run").click()
    assert "retry relay/echo: no dead-lettered forwards" in page.locator(".flash").inner_text()

    row.get_by_role("button", name="Pause").click()
    assert "relay/echo: paused" in page.locator(".flash").inner_text()
    assert row.locator(".status").inner_text() == "paused"
    held = stack.send(b'{"zen": "Held while paused."}', source="relay")
    wait_for_text(page, f"{origin}/deliveries/relay/{held}", "#f-echo h3", "held: paused")
    assert page.locator("#f-echo .status").inner_text() == "pending"
    page.goto(f"{origin}/destinations")
    shot(page, "destinations")

    row.get_by_role("button", name="Resume").click()
    assert "relay/echo: resumed" in page.locator(".flash").inner_text()
    assert row.locator(".status").inner_text() == "active"
    sent = stack.send(b'{"zen": "Forwarded once resumed."}', source="relay")
    wait_for_text(page, f"{origin}/deliveries/relay/{sent}", "#f-echo .status", "delivered")
    # The last attempt: port 8099 is shared by every `make run` on this machine, and another
    # stack's echo server may have been going away for the first.
    attempt = page.locator("#f-echo table.attempts tbody tr").last.inner_text()
    assert "200" in attempt and " ms" in attempt
    shot(page, "delivery-forwards")
    assert page.dialogs == []


def test_overview(page: Any, stack: Stack) -> None:
    """The README's picture: a few sources, one delivery stuck in the DLQ."""
    stack.send(
        json.dumps({"id": "evt_1Q2w3E", "object": "event", "type": "invoice.paid"}).encode(),
        source="stripe",
        event_type="invoice.paid",
    )
    stack.send(json.dumps({"type": "order.created", "data": {"n": 1}}).encode(), source="standard")
    stuck = dead_letter(stack, "ConnectionError: billing API refused the connection")
    origin = page.url.split("/deliveries")[0].split("/dlq")[0].split("/quarantine")[0]
    origin = origin.split("/charts")[0]
    page.goto(f"{origin}/deliveries?since=1h")
    page.locator("tr", has_text=stuck).locator(".s-dead-lettered").wait_for(timeout=20_000)
    page.set_viewport_size({"width": 1360, "height": 560})
    page.screenshot(path=str(ARTIFACTS / "console-overview.png"))


def test_screenshots_were_written() -> None:
    names = ("deliveries", "delivery", "confirm-forced-replay", "dlq", "hostile-body")
    for name in (*names, "destinations", "delivery-forwards"):
        assert (ARTIFACTS / f"console-{name}.png").stat().st_size > 10_000, name
    assert Path(ARTIFACTS / "console-charts.png").exists()
