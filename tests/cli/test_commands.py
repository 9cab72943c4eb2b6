"""Every `webhooks` command against a moto server and a receiver over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from cli_stack_helpers import CliStack, archived_key

from handler.process.processors.effects import EffectStore
from handler.receive.quarantine import Quarantine
from handler.receive.signatures import PayloadError, SignatureError, SignedRequest, SigningInput
from handler.receive.signatures.github import SCHEME as GITHUB
from handler.settings import Settings
from handler.store.archive import decode_delivery, encode_delivery

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def send(stack: CliStack, source: str, *args: str) -> dict[str, object]:
    answer = stack.cli_json("send", source, "--url", stack.base_url, *args)
    assert answer["status"] == 202, answer
    response = answer["response"]
    assert isinstance(response, dict)
    assert answer["delivery_id"] == response["id"]  # the X-Delivery-Id header
    return response


def test_send_show_list(cli_stack: CliStack) -> None:
    delivery = send(cli_stack, "github", "--event", "pull_request")
    delivery_id = str(delivery["id"])
    assert cli_stack.drain() == (1, 0)

    shown = cli_stack.cli_json("show", delivery_id)
    assert shown["source"] == "github" and shown["event_type"] == "pull_request"
    assert shown["status"] == "processed"
    assert shown["outcome"] == {
        "processor": "github.pull_request",
        "pull": "octo-org-hello-wörld-1347",  # the sample: GitHub's published example
        "changed": True,
    }
    assert shown["headers"]["x-github-delivery"] == delivery_id
    assert shown["archive"]["body"].startswith("archive/github/")
    assert "body" not in shown  # bodies only when asked

    with_body = cli_stack.cli_json("show", delivery_id, "--source", "github", "--body")
    assert json.loads(with_body["body"])["repository"]["full_name"] == "octo-org/hello-wörld"

    listed = cli_stack.cli_json("list", "--source", "github", "--since", "1h")
    assert delivery_id in [row["id"] for row in listed]
    processed = cli_stack.cli_json("list", "--status", "processed")
    assert delivery_id in [row["id"] for row in processed]
    assert cli_stack.cli_json("list", "--status", "claimed", "--source", "github") == []

    table = cli_stack.cli("list", "--source", "github")
    assert table.exit_code == 0 and "deliveries since" in table.stdout


@pytest.mark.parametrize(
    ("source", "event_type"),
    [("zoom", "meeting.started"), ("whatsapp", "whatsapp_business_account.messages")],
)
def test_send_a_catalogue_sender_then_replay_it_verified(
    cli_stack: CliStack, source: str, event_type: str
) -> None:
    delivery = send(cli_stack, source)
    assert cli_stack.drain() == (1, 0)
    shown = cli_stack.cli_json("show", str(delivery["id"]), "--source", source)
    assert (shown["event_type"], shown["status"]) == (event_type, "processed")
    replayed = cli_stack.cli_json("replay", str(delivery["id"]), "--source", source, "--force")
    assert replayed["counts"] == {"replayed": 1}  # re-verified from the archive first
    assert cli_stack.drain() == (1, 0)


def test_send_twice_is_a_duplicate_and_plain_output(cli_stack: CliStack) -> None:
    delivery_id = f"evt_{uuid.uuid4().hex}"
    send(cli_stack, "stripe", "--id", delivery_id)
    again = cli_stack.cli("send", "stripe", "--url", cli_stack.base_url, "--id", delivery_id)
    assert again.exit_code == 0, again.output
    assert "200" in again.stdout and "duplicate" in again.stdout


def test_send_a_body_file(cli_stack: CliStack, tmp_path: Path) -> None:
    body = tmp_path / "event.json"
    body.write_bytes(b'{"action": "created", "n": 7}\r\n')
    delivery = send(cli_stack, "github", "--event", "issues", "--body", str(body))
    cli_stack.drain()
    shown = cli_stack.cli_json("show", str(delivery["id"]), "--body")
    assert shown["body"] == '{"action": "created", "n": 7}\r\n'
    assert shown["body_size"] == len(body.read_bytes())


def test_replay_is_exactly_once_unless_forced(cli_stack: CliStack, effects: EffectStore) -> None:
    delivery_id = f"evt_{uuid.uuid4().hex}"
    send(cli_stack, "stripe", "--id", delivery_id)  # invoice.paid
    assert cli_stack.drain() == (1, 0)
    invoice_key = effects.key("stripe", "invoices", f"in_{delivery_id[-12:]}")
    assert effects.get(invoice_key) is not None

    skipped = cli_stack.cli_json("replay", delivery_id)
    assert skipped["counts"] == {"skipped": 1}
    assert "already processed" in skipped["deliveries"][0]["detail"]
    assert cli_stack.drain() == (0, 0)  # nothing was enqueued

    dry = cli_stack.cli_json("replay", delivery_id, "--force", "--dry-run")
    assert dry["counts"] == {"would_replay": 1}
    assert cli_stack.record("stripe", delivery_id)["status"] == "processed"

    forced = cli_stack.cli_json("replay", delivery_id, "--force")
    assert forced["counts"] == {"replayed": 1}
    record = cli_stack.record("stripe", delivery_id)
    assert record["status"] == "enqueued" and record["replays"] == "1"
    assert cli_stack.drain() == (1, 0)
    record = cli_stack.record("stripe", delivery_id)
    assert record["status"] == "processed" and record["attempts"] == "2"
    # The processor ran again and found the invoice paid: still one effect.
    assert json.loads(record["outcome"])["already_paid_by"] == delivery_id


def test_replay_by_source_and_time_and_from_file(cli_stack: CliStack, tmp_path: Path) -> None:
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1))
    first = str(send(cli_stack, "shopify")["id"])
    second = str(send(cli_stack, "shopify")["id"])
    # Archived by the worker, which processed them: without --force, nothing to replay.
    assert cli_stack.drain() == (2, 0)
    by_range = cli_stack.cli_json("replay", "--source", "shopify", "--since", since)
    assert by_range["counts"] == {"skipped": 2}
    assert cli_stack.record("shopify", first)["attempts"] == "1"

    ids = tmp_path / "ids.txt"
    ids.write_text(f"# replay these\nshopify/{first}\n\n{second}\n")
    from_file = cli_stack.cli_json("replay", "--from-file", str(ids), "--force", "--rate", "50")
    assert from_file["counts"] == {"replayed": 2}
    assert cli_stack.drain() == (2, 0)
    assert cli_stack.record("shopify", second)["attempts"] == "2"


def test_replay_reverifies_the_archived_signature(cli_stack: CliStack) -> None:
    delivery_id = str(send(cli_stack, "github")["id"])
    cli_stack.drain()
    s3, bucket = cli_stack.client("s3"), cli_stack.resources.bucket
    key = archived_key(s3, bucket, "github", delivery_id)
    meta, body = decode_delivery(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    meta["headers"]["x-hub-signature-256"] = "sha256=" + "0" * 64
    s3.put_object(Bucket=bucket, Key=key, Body=encode_delivery(meta, body))  # tampered

    rejected = cli_stack.cli_json("replay", delivery_id, "--force")
    assert rejected["counts"] == {"rejected": 1}
    assert "bad_signature" in rejected["deliveries"][0]["detail"]
    unverified = cli_stack.cli_json("replay", delivery_id, "--force", "--no-verify")
    assert unverified["counts"] == {"replayed": 1}
    assert cli_stack.drain() == (1, 0)


def test_replay_of_a_claim_checked_body(cli_stack: CliStack, tmp_path: Path) -> None:
    body = tmp_path / "big.json"
    body.write_bytes(json.dumps({"blob": "x" * 30_000}).encode())  # > CLAIM_CHECK_BYTES
    delivery_id = str(send(cli_stack, "github", "--event", "push", "--body", str(body))["id"])
    cli_stack.drain()
    assert cli_stack.cli_json("replay", delivery_id, "--force")["counts"] == {"replayed": 1}
    message = cli_stack.client("sqs").receive_message(
        QueueUrl=cli_stack.resources.queue_url, MessageAttributeNames=["All"]
    )["Messages"][0]
    envelope = json.loads(message["Body"])
    assert envelope["body_key"].endswith(f"/{delivery_id}.delivery") and "body_b64" not in envelope
    assert message["MessageAttributes"]["replayed_by"]["StringValue"] == "webhooks-cli"
    cli_stack.client("sqs").change_message_visibility(
        QueueUrl=cli_stack.resources.queue_url,
        ReceiptHandle=message["ReceiptHandle"],
        VisibilityTimeout=0,
    )
    assert cli_stack.drain() == (1, 0)
    assert cli_stack.record("github", delivery_id)["attempts"] == "2"


def test_redrive_moves_every_dlq_message(cli_stack: CliStack) -> None:
    sqs = cli_stack.client("sqs")
    dlq = cli_stack.resources.dlq_url
    for n in range(13):
        sqs.send_message(
            QueueUrl=dlq,
            MessageBody=json.dumps({"n": n}),
            MessageAttributes={"source": {"DataType": "String", "StringValue": "github"}},
        )
    dry = cli_stack.cli_json("redrive", "--dry-run")
    assert (dry["waiting"], dry["moved"]) == (13, 0)

    some = cli_stack.cli_json("redrive", "--max", "4")
    assert some["moved"] == 4
    rest = cli_stack.cli_json("redrive")
    assert (rest["waiting"], rest["moved"], rest["failed"]) == (9, 9, 0)

    moved = []
    while batch := sqs.receive_message(
        QueueUrl=cli_stack.resources.queue_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    ).get("Messages", []):
        moved += batch
        sqs.delete_message_batch(
            QueueUrl=cli_stack.resources.queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
    assert sorted(json.loads(m["Body"])["n"] for m in moved) == list(range(13))
    assert moved[0]["MessageAttributes"]["source"]["StringValue"] == "github"
    assert cli_stack.cli_json("redrive", "--dry-run")["waiting"] == 0
    empty = cli_stack.cli("redrive")
    assert empty.exit_code == 0 and "moved 0" in empty.stdout


def test_redrive_one_message_leaves_the_others(cli_stack: CliStack) -> None:
    """`redrive --message ID`: the console's "Redrive" button runs this same Operations method."""
    sqs, dlq, queue = (
        cli_stack.client("sqs"),
        cli_stack.resources.dlq_url,
        cli_stack.resources.queue_url,
    )
    sent = [sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"one": n})) for n in range(12)]
    chosen = sent[7]["MessageId"]
    moved = cli_stack.cli_json("redrive", "--message", chosen)
    assert moved["deliveries"] == [
        {"id": chosen, "source": "", "result": "redriven", "detail": "moved to the work queue"}
    ]
    arrived = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [json.loads(m["Body"]) for m in arrived["Messages"]] == [{"one": 7}]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=arrived["Messages"][0]["ReceiptHandle"])
    # The ones passed over while looking are visible again at once, not after a timeout.
    assert cli_stack.cli_json("redrive", "--dry-run")["waiting"] == 11
    missing = cli_stack.cli("redrive", "--message", chosen)
    assert missing.exit_code == 1 and "not_found" in missing.stdout
    assert cli_stack.cli_json("redrive")["moved"] == 11
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        sqs.delete_message_batch(
            QueueUrl=queue,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )


def rotated_delivery(stack: CliStack, body: bytes) -> SignedRequest:
    """A GitHub delivery signed with the new secret the receiver does not know yet."""
    url = f"{stack.base_url}/webhooks/rotating"
    headers = GITHUB.sign(
        SigningInput(
            body=body,
            secret="new-rotating-secret",
            url=url,
            now=time.time(),
            event_type="pull_request",
            delivery_id=str(uuid.uuid4()),
        ),
        GITHUB.options(),
    )
    return SignedRequest("POST", url, headers, body)


def test_quarantine_release_after_a_rotation_fix(cli_stack: CliStack, tmp_path: Path) -> None:
    quarantine = Quarantine(cli_stack.client("s3"), cli_stack.resources.bucket)
    request = rotated_delivery(cli_stack, b'{"zen": "rotate carefully"}')
    error = SignatureError("bad_signature", "no match")
    item = quarantine.keep("rotating", request, error)
    assert item is not None

    listed = cli_stack.cli_json("quarantine", "list", "--source", "rotating")
    row = next(r for r in listed if r["id"] == item.id)
    assert row["reason"] == "bad_signature" and row["released"] is None

    # Still the old secret: re-verification fails again, nothing is handed off.
    still = cli_stack.cli_json("quarantine", "replay", item.id)
    assert still["counts"] == {"rejected": 1}

    fixed = tmp_path / "fixed.toml"
    fixed.write_text(
        Path(cli_stack.env["WEBHOOK_SOURCES_FILE"])
        .read_text()
        .replace('["old-rotating-secret"]', '["new-rotating-secret", "old-rotating-secret"]')
    )
    env: dict[str, str | None] = {"WEBHOOK_SOURCES_FILE": str(fixed)}
    dry = cli_stack.cli_json("quarantine", "replay", "--source", "rotating", env=env)
    assert dry["counts"].get("released") == 1, dry  # (no --dry-run here: see below)
    delivery_id = request.headers["x-github-delivery"]
    assert cli_stack.record("rotating", delivery_id)["status"] == "claimed"  # in the queue
    assert cli_stack.drain() == (1, 0)
    shown = cli_stack.cli_json("show", delivery_id, "--source", "rotating", env=env)
    assert shown["status"] == "processed" and shown["event_type"] == "pull_request"

    again = cli_stack.cli_json("quarantine", "replay", item.id, env=env)
    assert again["counts"] == {"skipped": 1}
    released = cli_stack.cli_json("quarantine", "list", "--source", "rotating", "--since", "1h")
    assert next(r for r in released if r["id"] == item.id)["released"]["delivery_id"] == (
        delivery_id
    )


def test_quarantine_dry_run_and_sender_retry(cli_stack: CliStack, tmp_path: Path) -> None:
    quarantine = Quarantine(cli_stack.client("s3"), cli_stack.resources.bucket)
    request = rotated_delivery(cli_stack, b'{"zen": "retry"}')
    item = quarantine.keep("rotating", request, SignatureError("bad_signature", "no match"))
    assert item is not None
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(
        Path(cli_stack.env["WEBHOOK_SOURCES_FILE"])
        .read_text()
        .replace('["old-rotating-secret"]', '["new-rotating-secret"]')
    )
    env: dict[str, str | None] = {"WEBHOOK_SOURCES_FILE": str(fixed)}
    dry = cli_stack.cli_json("quarantine", "replay", item.id, "--dry-run", env=env)
    assert dry["counts"] == {"would_release": 1}
    # Meanwhile the sender's retry got through (the receiver was fixed): one delivery only.
    cli_stack.drain()
    from handler.store.dedup import DedupTable

    table = DedupTable(cli_stack.client("dynamodb"), cli_stack.resources.table, 3600, 30, 300)
    key = f"rotating#{request.headers['x-github-delivery']}"
    table.claim(key, time.time())
    table.hold_for_processing(key, time.time())  # a worker has the retry's message
    duplicate = cli_stack.cli_json("quarantine", "replay", item.id, env=env)
    assert duplicate["counts"] == {"duplicate": 1}
    assert cli_stack.drain() == (0, 0)


def test_quarantine_size_cap_and_rate_limit(cli_stack: CliStack) -> None:
    quarantine = Quarantine(
        cli_stack.client("s3"),
        cli_stack.resources.bucket,
        Settings(quarantine_max_bytes=100, quarantine_per_minute=2),
    )
    error = SignatureError("bad_signature", "no match")
    assert quarantine.keep("rotating", rotated_delivery(cli_stack, b"x" * 101), error) is None
    kept = [
        quarantine.keep("rotating", rotated_delivery(cli_stack, b"{}"), error) for _ in range(3)
    ]
    assert [k is not None for k in kept] == [True, True, False]
    other = PayloadError("invalid_json", "not json")  # signed but unreadable: 422, not kept
    assert quarantine.keep("rotating", rotated_delivery(cli_stack, b"{}"), other) is None


def test_the_receiver_quarantines_a_bad_signature(cli_stack: CliStack) -> None:
    import httpx

    request = rotated_delivery(cli_stack, b'{"zen": "through the route"}')
    answer = httpx.post(request.url, content=request.body, headers=dict(request.headers))
    assert answer.status_code == 401
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = cli_stack.cli_json("quarantine", "list", "--source", "rotating")
        if any(r["body_size"] == len(request.body) and r["released"] is None for r in rows):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the rejected delivery was not quarantined")
    unknown = httpx.post(f"{cli_stack.base_url}/webhooks/nope", content=b"{}")
    assert unknown.status_code == 404


def test_clear_errors_without_tracebacks(cli_stack: CliStack) -> None:
    missing = cli_stack.cli("show", "no-such-delivery")
    assert missing.exit_code == 1
    assert "no archived delivery with id 'no-such-delivery'" in missing.output
    assert "Traceback" not in missing.output

    bucket = cli_stack.cli("list", env={"ARCHIVE_BUCKET": "no-such-bucket"})
    assert bucket.exit_code == 1 and "bucket does not exist" in bucket.output
    assert "Traceback" not in bucket.output

    queue = cli_stack.cli("redrive", env={"WORK_QUEUE_URL": "", "WORK_QUEUE_NAME": "no-such-queue"})
    assert queue.exit_code == 1 and "queue does not exist" in queue.output

    no_credentials = {
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_PROFILE": None,
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    credentials = cli_stack.cli("show", "x", "--source", "github", env=no_credentials)
    assert credentials.exit_code == 1 and "no AWS credentials" in credentials.output

    unknown = cli_stack.cli("send", "nope", "--url", cli_stack.base_url)
    assert unknown.exit_code == 2 and "no source named 'nope'" in unknown.output
    form = cli_stack.cli("send", "stripe", "--url", cli_stack.base_url, "--encoding", "form")
    assert form.exit_code == 2 and "stripe senders do not post form bodies" in form.output
    odd = cli_stack.cli("send", "stripe", "--url", cli_stack.base_url, "--encoding", "xml")
    assert odd.exit_code == 2 and "--encoding is json, form or payload" in odd.output
    nothing = cli_stack.cli("replay")
    assert nothing.exit_code == 2 and "say what to replay" in nothing.output
    bad_time = cli_stack.cli("list", "--since", "yesterday")
    assert bad_time.exit_code == 2 and "cannot read the time" in bad_time.output
    unreachable = cli_stack.cli("send", "github", "--url", "http://127.0.0.1:9")
    assert unreachable.exit_code == 1 and "cannot reach" in unreachable.output


def test_send_signs_each_encoding_its_sender_uses(cli_stack: CliStack) -> None:
    """The simulator's samples: GitHub's form content type, Slack's forms, the demo Discord key."""
    for source, encoding, status in (
        ("github", "payload", 202),
        ("slack", "form", 200),
        ("slack", "payload", 200),
        ("twilio", "form", 200),
        ("discord", "json", 202),
    ):
        answer = cli_stack.cli_json(
            "send", source, "--url", cli_stack.base_url, "--encoding", encoding
        )
        assert (answer["status"], bool(answer["delivery_id"])) == (status, True), answer
    assert cli_stack.drain() == (5, 0)


def test_send_takes_the_receiver_url_from_webhooks_url(cli_stack: CliStack) -> None:
    """`make run` on another PORT prints `export WEBHOOKS_URL=...`: send needs no --url then."""
    answer = cli_stack.cli_json("send", "github", env={"WEBHOOKS_URL": cli_stack.base_url})
    assert answer["status"] == 202
    assert str(answer["url"]).startswith(f"{cli_stack.base_url}/webhooks/github")
    # --url still wins over the environment.
    unreachable = cli_stack.cli(
        "send", "github", "--url", "http://127.0.0.1:9", env={"WEBHOOKS_URL": cli_stack.base_url}
    )
    assert unreachable.exit_code == 1 and "http://127.0.0.1:9" in unreachable.output


def test_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "webhooks_cli", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    for command in ("send", "show", "list", "replay", "redrive", "quarantine"):
        assert command in result.stdout
