"""The console's pages and actions over in-process AWS: access, escaping, and the CLI's actions."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from console_helpers import BASE, PORT, TOKEN, csrf_of, deliver, drain
from fastapi.testclient import TestClient
from markupsafe import escape

from handler.process.worker import Worker
from handler.settings import Settings
from handler.store.archive import envelope_fields
from handler.store.queue import Envelope
from support import archive_legacy
from webhooks_cli.operations import Operations

HOSTILE = "<script>alert('body')</script><img src=x onerror=alert(1)>"


# Access ----------------------------------------------------------------------------------------


def test_every_page_needs_the_session_and_the_token_works_once(anonymous: TestClient) -> None:
    for path in ("/deliveries", "/dlq", "/quarantine", "/charts", "/static/htmx.min.js"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.get("/?token=wrong").status_code == 401
    first = anonymous.get(f"/deliveries?token={TOKEN}&since=1h", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == f"{BASE}/deliveries?since=1h"  # the token leaves the URL
    cookie = first.headers["set-cookie"]
    assert f"webhooks_console_{PORT}=" in cookie
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert anonymous.get("/deliveries").status_code == 200
    assert anonymous.get("/static/htmx.min.js").status_code == 200
    anonymous.cookies.clear()
    assert anonymous.get(f"/?token={TOKEN}").status_code == 401  # used up


def test_the_printed_url_opened_again_in_the_same_browser_just_drops_the_token(
    browser: TestClient,
) -> None:
    again = browser.get(f"/deliveries?token={TOKEN}", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"{BASE}/deliveries"
    assert "set-cookie" not in again.headers


def test_the_console_refuses_to_listen_beyond_loopback() -> None:
    from typer.testing import CliRunner

    from webhooks_cli import app

    result = CliRunner().invoke(app, ["console", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "loopback address only" in result.output


def test_other_host_names_are_refused(browser: TestClient) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host."""
    answer = browser.get("/deliveries", headers={"host": f"evil.example:{PORT}"})
    assert answer.status_code == 421
    assert browser.get("/deliveries", headers={"host": "127.0.0.1:1"}).status_code == 421


def test_actions_need_the_csrf_token_and_our_origin(
    browser: TestClient, client: TestClient
) -> None:
    delivery_id = deliver(client, "github", b'{"a": 1}')
    path = f"/deliveries/github/{delivery_id}/replay"
    page = browser.get(f"/deliveries/github/{delivery_id}")
    csrf = csrf_of(page.text)
    assert browser.post(path, data={"mode": "replay"}).status_code == 403
    assert browser.post(path, data={"mode": "replay", "csrf": "x" + csrf}).status_code == 403
    evil = browser.post(
        path, data={"mode": "replay", "csrf": csrf}, headers={"origin": "http://evil.example"}
    )
    assert evil.status_code == 403
    good = browser.post(
        path, data={"mode": "dry-run", "csrf": csrf, "verify": "on"}, headers={"origin": BASE}
    )
    assert good.status_code == 200 and "would_replay" in good.text


def test_pages_forbid_inline_script(browser: TestClient) -> None:
    answer = browser.get("/deliveries")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"


# Hostile bodies -------------------------------------------------------------------------------


def test_hostile_json_body_and_headers_are_escaped(browser: TestClient, client: TestClient) -> None:
    body = json.dumps({"comment": HOSTILE, "</pre><script>x()</script>": 1}).encode()
    delivery_id = deliver(
        client,
        "github",
        body,
        event_type="<b>push</b>",
        extra_headers={"x-note": "<script>alert('header')</script>"},
    )
    page = browser.get(f"/deliveries/github/{delivery_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page and "</pre><script>" not in page
    assert "<b>push</b>" not in page
    assert escape("<script>alert('header')</script>") in page
    assert escape(HOSTILE) in page  # the text is there, as text
    listed = browser.get("/deliveries").text
    assert "&lt;b&gt;push&lt;/b&gt;" in listed and "<b>push</b>" not in listed


def test_credential_headers_of_an_older_archive_are_never_shown(
    browser: TestClient, client: TestClient, operations: Operations
) -> None:
    """An archive in the layout before `.delivery`, written by a version that kept them."""
    delivery_id = deliver(client, "github", b'{"n": 1}')
    found = operations.locate(delivery_id, "github")
    headers = {
        **found.meta["headers"],
        "Authorization": "Bearer sekrit-token-1",
        "x-gitlab-token": "sekrit-token-2",
        "cookie": "session=sekrit-token-3",
    }
    older = Envelope.model_validate(
        {**envelope_fields(found.meta), "headers": headers, "id": "older-1", "body_b64": "e30="}
    )
    archive_legacy(operations.clients.s3, operations.archive.bucket, older, b"{}")
    page = browser.get("/deliveries/github/older-1").text
    assert "older-1" in page
    assert "sekrit" not in page
    assert page.count("&lt;redacted&gt;") == 3


def test_invalid_utf8_is_shown_as_escapes_and_downloaded_exactly(
    browser: TestClient, client: TestClient
) -> None:
    body = b"caf\xc3\xa9 \xff\xfe<script>alert(1)</script> \x00\x1b[31m"
    delivery_id = deliver(client, "github", body, content_type="application/octet-stream")
    page = browser.get(f"/deliveries/github/{delivery_id}").text
    assert "not valid UTF-8" in page and "\\x00\\x1b[31m" in page
    assert "café \\xff\\xfe&lt;script&gt;" in page
    assert "<script>alert(1)" not in page
    download = browser.get(f"/deliveries/github/{delivery_id}/body")
    assert download.content == body
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")


def test_a_4_mib_body_renders_escaped(browser: TestClient, client: TestClient) -> None:
    chunk = b"<script>alert(1)</script>"
    body = chunk * (4 * 1024 * 1024 // len(chunk))
    delivery_id = deliver(client, "github", body, content_type="text/plain")
    page = browser.get(f"/deliveries/github/{delivery_id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert page.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") == body.count(chunk)
    assert browser.get(f"/deliveries/github/{delivery_id}/body").content == body


def test_form_body_with_json_payload_field_is_pretty_printed(
    browser: TestClient, client: TestClient
) -> None:
    payload = json.dumps({"type": "block_actions", "text": HOSTILE})
    from urllib.parse import urlencode

    body = urlencode({"payload": payload, "token": "<i>t</i>"}).encode()
    delivery_id = deliver(
        client,
        "github",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    page = browser.get(f"/deliveries/github/{delivery_id}").text
    assert 'id="form-fields"' in page
    assert escape('"type": "block_actions"') in page
    assert "<i>t</i>" not in page and "<script>" not in page


# The list -------------------------------------------------------------------------------------


def test_list_newest_first_with_counts_filters_and_search(
    browser: TestClient, client: TestClient, worker: Worker, operations: Operations
) -> None:
    first = deliver(client, "github", b'{"n": 1}', event_type="push")
    time.sleep(1.1)  # received_at has second resolution in ordering; keep the order unambiguous
    second = deliver(client, "stripe", json.dumps({"id": "evt_list_2", "type": "x"}).encode())
    assert drain(worker, operations) == (2, 0)
    third = deliver(client, "github", b'{"n": 3}', event_type="issues")
    page = browser.get("/deliveries").text
    ids = re.findall(r'class="id"><a href="[^"]+">([^<]+)<', page)
    assert ids == [third, second, first]
    assert re.search(r"<b>2</b> processed", page) and re.search(r"<b>1</b> accepted", page)
    only = browser.get("/deliveries?status=accepted").text
    assert third in only and first not in only
    by_source = browser.get("/deliveries?source=stripe").text
    assert second in by_source and first not in by_source
    by_type = browser.get("/deliveries?event_type=issues").text
    assert third in by_type and first not in by_type
    found = browser.get(f"/deliveries?q={first[:8]}").text
    assert first in found and third not in found
    fragment = browser.get("/deliveries/table?source=github").text
    assert fragment.startswith('<section id="deliveries"') and first in fragment
    assert "<html" not in fragment


def test_a_whole_id_outside_the_window_opens_its_page(
    browser: TestClient, client: TestClient
) -> None:
    delivery_id = deliver(client, "github", b'{"old": true}')
    answer = browser.get(f"/deliveries?q={delivery_id}&since=2099-01-01", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/deliveries/github/{delivery_id}"
    partial = browser.get(f"/deliveries?q={delivery_id[:8]}&since=2099-01-01")
    assert partial.status_code == 200 and "No deliveries match" in partial.text


def test_bad_filters_are_a_clear_400(browser: TestClient) -> None:
    answer = browser.get("/deliveries?since=yesterday-ish")
    assert answer.status_code == 400 and "cannot read the time" in answer.text
    assert browser.get("/deliveries?status=<x>").status_code == 400
    assert browser.get("/deliveries/github/nope").status_code == 404


# Actions: the CLI's Operations ----------------------------------------------------------------


def test_replay_forced_replay_and_dry_run(
    browser: TestClient, client: TestClient, worker: Worker, operations: Operations
) -> None:
    delivery_id = deliver(client, "github", b'{"n": 1}')
    assert drain(worker, operations) == (1, 0)
    path = f"/deliveries/github/{delivery_id}"
    csrf = csrf_of(browser.get(path).text)
    plain = browser.post(f"{path}/replay", data={"mode": "replay", "csrf": csrf, "verify": "on"})
    assert "skipped: " in plain.text and "already processed" in plain.text
    assert browser.post(f"{path}/replay", data={"mode": "x", "csrf": csrf}).status_code == 400
    unconfirmed = browser.post(f"{path}/replay", data={"mode": "force", "csrf": csrf})
    assert unconfirmed.url.path.endswith("/force")  # to the confirmation, nothing done
    assert "Run it again" in unconfirmed.text
    assert "handler.process.processors.default.log_delivery" in unconfirmed.text
    assert "replays 0 → 1" in unconfirmed.text
    assert operations.dedup.get(f"github#{delivery_id}")["status"] == "processed"  # type: ignore[index]
    forced = browser.post(
        f"{path}/replay", data={"mode": "force", "confirm": "yes", "csrf": csrf, "verify": "on"}
    )
    assert "replayed: " in forced.text
    record = operations.dedup.get(f"github#{delivery_id}")
    assert record is not None and record["status"] == "enqueued" and record["replays"] == "1"
    assert drain(worker, operations) == (1, 0)
    page = browser.get(path).text
    assert 'class="status s-processed">processed' in page and "replayed_at" in page


def test_a_refresh_of_the_list_leaves_the_outcome_message_for_the_page(
    browser: TestClient, client: TestClient
) -> None:
    delivery_id = deliver(client, "github", b'{"n": 2}')
    path = f"/deliveries/github/{delivery_id}"
    csrf = csrf_of(browser.get(path).text)
    done = browser.post(
        f"{path}/replay", data={"mode": "dry-run", "csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "would_replay" not in browser.get("/deliveries/table").text
    assert f"would_replay: {delivery_id}" in browser.get(path).text
    assert "would_replay" not in browser.get(path).text  # shown once


def test_dlq_shows_the_reason_and_redrives_one_and_all(
    browser: TestClient, client: TestClient, worker: Worker, operations: Operations
) -> None:
    ids = [deliver(client, "github", json.dumps({"n": n}).encode()) for n in range(3)]
    sqs, dlq = operations.clients.sqs, operations.dlq_url()
    # What maxReceiveCount failures leave behind: the message in the DLQ, the error recorded.
    for message in sqs.receive_message(QueueUrl=operations.queue_url, MaxNumberOfMessages=10)[
        "Messages"
    ]:
        sqs.send_message(QueueUrl=dlq, MessageBody=message["Body"])
        sqs.delete_message(QueueUrl=operations.queue_url, ReceiptHandle=message["ReceiptHandle"])
        envelope = Envelope.model_validate_json(message["Body"])
        _hold, token = operations.dedup.hold_for_processing(f"github#{envelope.id}", time.time())
        operations.dedup.release_processing(
            f"github#{envelope.id}", token, "RuntimeError: <b>boom</b>"
        )
    sqs.send_message(QueueUrl=dlq, MessageBody="<script>not an envelope</script>")
    page = browser.get("/dlq").text
    assert page.count("RuntimeError: &lt;b&gt;boom&lt;/b&gt;") == 3
    assert "not a delivery envelope" in page and "<script>not" not in page
    listed = browser.get("/deliveries").text
    assert listed.count('class="status s-dead-lettered"') == 3
    row = re.compile(rf'id="m-([^"]+)">((?:(?!</tr>).)*)/deliveries/github/{ids[0]}"', re.S)
    message_id = row.search(page)
    assert message_id, page
    csrf = csrf_of(page)
    one = browser.post(f"/dlq/{message_id.group(1)}/redrive", data={"csrf": csrf})
    assert "redriven" in one.text
    assert drain(worker, operations) == (1, 0)
    assert operations.dedup.get(f"github#{ids[0]}")["status"] == "processed"  # type: ignore[index]
    assert browser.get("/dlq").text.count("RuntimeError") == 2  # the others are still there
    everything = browser.post("/dlq/redrive", data={"csrf": csrf})
    assert "moved 3 message(s)" in everything.text
    assert "The DLQ is empty." in everything.text


def test_quarantine_reverify_and_release(
    browser: TestClient, client: TestClient, operations: Operations
) -> None:
    from support import sign

    body = b'{"zen": "rotated"}'
    url, headers = sign("github", body, delivery_id="q-delivery-1")
    headers["x-hub-signature-256"] = "sha256=" + "0" * 64
    assert client.post(url, content=body, headers=headers).status_code == 401
    page = browser.get("/quarantine").text
    assert "bad_signature" in page
    item = next(iter(operations.quarantine.items()))
    csrf = csrf_of(page)
    check = browser.post(f"/quarantine/github/{item.id}/reverify", data={"csrf": csrf})
    assert "still rejected" in check.text
    released = browser.post(f"/quarantine/github/{item.id}/release", data={"csrf": csrf})
    assert "rejected: " in released.text  # the secret did not change: nothing is let in
    assert operations.quarantine.load(item.id) is not None


# Charts ---------------------------------------------------------------------------------------


def test_charts_from_the_archive(browser: TestClient, client: TestClient) -> None:
    for n in range(3):
        deliver(client, "github", json.dumps({"n": n}).encode())
    page = browser.get("/charts?origin=archive&window=1h").text
    assert "<svg" in page and "3 in the window" in page
    assert 'class="bar-accepted"' in page
    assert re.findall(r"<b>duplicate</b>\s*(\d+) in the window", page) == ["0"]  # stored now
    assert browser.get("/charts?window=5y").status_code == 400


# Never on Lambda ------------------------------------------------------------------------------


def test_the_lambda_code_paths_never_import_the_console() -> None:
    import subprocess
    import sys

    check = (
        "import sys, handler.main, handler.receive.api, handler.process.worker;"
        "leaked = sorted(m for m in sys.modules if m.startswith(('webhooks_cli', 'jinja2')));"
        "print(leaked); sys.exit(1 if leaked else 0)"
    )
    from infra import DEMO_SOURCES

    env = {
        "PATH": "/usr/bin:/bin",
        "WEBHOOK_SOURCES_FILE": str(DEMO_SOURCES),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "WORK_QUEUE_URL": "http://127.0.0.1:9/123456789012/q",  # never called at import
    }
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=env, cwd=Path.cwd()
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lambda_package_leaves_the_cli_and_console_out(tmp_path: Path) -> None:
    import subprocess

    from support import ROOT

    makefile = (ROOT / "infra" / "lambda" / "Makefile").read_text()
    # The same steps the Makefile runs after the wheels: copy handler/ (and nothing beside it).
    recipe = [line.strip() for line in makefile.splitlines() if "handler" in line and "\t" in line]
    for line in recipe:
        subprocess.run(
            line.replace("$(ARTIFACTS_DIR)", str(tmp_path)), shell=True, cwd=ROOT, check=True
        )
    assert (tmp_path / "handler" / "receive" / "api.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handler"]
    imports_tools = [
        p
        for p in tmp_path.rglob("*.py")
        if "webhooks_cli" in p.read_text() or "jinja2" in p.read_text()
    ]
    assert imports_tools == []


def test_charts_from_cloudwatch_sum_every_dimension_set(browser: TestClient) -> None:
    """What the receiver's EMF lines become on AWS: one metric per (service, source[, reason])."""
    import boto3

    from handler.metrics import NAMESPACE

    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    service = {"Name": "service", "Value": "webhook-receiver"}
    data = [
        ("Accepted", [service, {"Name": "source", "Value": "github"}], 5.0),
        ("Accepted", [service, {"Name": "source", "Value": "stripe"}], 2.0),
        ("Duplicate", [service, {"Name": "source", "Value": "stripe"}], 4.0),
        (
            "Rejected",
            [service, {"Name": "source", "Value": "github"}, {"Name": "reason", "Value": "x"}],
            3.0,
        ),
        ("Processed", [service, {"Name": "source", "Value": "github"}], 6.0),
    ]
    for name, dimensions, value in data:
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE,
            MetricData=[{"MetricName": name, "Dimensions": dimensions, "Value": value}],
        )
    page = browser.get("/charts?origin=cloudwatch&window=1h").text
    totals = dict(re.findall(r"<b>(\w[\w ]*)</b>\s*(\d+) in the window", page))
    assert totals == {
        "accepted": "7",
        "duplicate": "4",
        "rejected": "3",
        "processed": "6",
        "failed": "0",
    }
    only_github = browser.get("/charts?origin=cloudwatch&window=1h&source=github").text
    assert re.findall(r"<b>accepted</b>\s*(\d+) in the window", only_github) == ["5"]


def test_an_aws_error_is_one_clear_line_not_a_500(settings: Settings) -> None:
    from webhooks_cli.console import create_console
    from webhooks_cli.console.security import Guard

    broken = Operations(settings.model_copy(update={"idempotency_table": "no-such-table"}))
    with TestClient(create_console(broken, Guard(token=TOKEN, port=PORT)), base_url=BASE) as web:
        web.get(f"/?token={TOKEN}", follow_redirects=False)
        answer = web.get("/deliveries/github/some-id")
    assert answer.status_code == 502
    assert "the idempotency table does not exist (IDEMPOTENCY_TABLE)" in answer.text
