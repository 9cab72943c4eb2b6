"""`webhooks`: send, inspect, replay and redrive deliveries; release quarantined ones.

Installed with the project (`[project.scripts]`), or `python -m webhooks_cli`. It reads the same
environment as the receiver, so `AWS_ENDPOINT_URL=http://127.0.0.1:5000` points it at the local
stack of `make run` and no endpoint at AWS. Every command takes `--json`.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast, get_args

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from handler.errors import ConfigError
from handler.receive.ingest import CREDENTIAL_HEADERS
from webhook_sim.samples import Encoding

from .operations import (
    ArchivedDelivery,
    CliError,
    NotFound,
    Operations,
    Outcome,
    UsageError,
    parse_time,
    post,
    read_ids,
    sign_delivery,
)

app = typer.Typer(
    name="webhooks",
    help="Operate the webhook receiver: send, show, list, replay, redrive, quarantine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
quarantine_app = typer.Typer(help="Deliveries refused for their signature.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
SourceOption = Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="From: 90s, 30m, 2h, 3d ago or an ISO time.")
]
UntilOption = Annotated[str | None, typer.Option("--until", help="Up to (same forms).")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Say what would happen; change nothing.")
]


def aws_message(error: ClientError) -> str:
    code = str(error.response.get("Error", {}).get("Code", ""))
    message = str(error.response.get("Error", {}).get("Message", ""))
    names = {
        "NoSuchBucket": "the archive bucket does not exist (ARCHIVE_BUCKET)",
        "NoSuchKey": "the archived object is missing",
        "AWS.SimpleQueueService.NonExistentQueue": "the queue does not exist (WORK_QUEUE_URL)",
        "QueueDoesNotExist": "the queue does not exist (WORK_QUEUE_URL)",
        "ResourceNotFoundException": "the idempotency table does not exist (IDEMPOTENCY_TABLE)",
        "AccessDenied": "access denied",
        "AccessDeniedException": "access denied",
    }
    return (
        f"{names.get(code, code or 'AWS error')}: {message}" if message else names.get(code, code)
    )


def clear_errors(command: F) -> F:
    """One red line and an exit code instead of a traceback for what the user can fix."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CliError as error:
            fail(str(error), error.exit_code)
        except ConfigError as error:
            fail(f"configuration: {error}", 2)
        except NoCredentialsError:
            fail(
                "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
                " or AWS_ENDPOINT_URL (+ dummy credentials) for the local stack",
                1,
            )
        except NoRegionError:
            fail("no AWS region: set AWS_REGION", 1)
        except EndpointConnectionError as error:
            fail(f"cannot reach AWS at {error.kwargs.get('endpoint_url', '?')}", 1)
        except ClientError as error:
            fail(aws_message(error), 1)
        except BotoCoreError as error:
            fail(f"AWS: {error}", 1)

    return run  # type: ignore[return-value]


def fail(message: str, code: int) -> None:
    err.print(f"[red]error:[/red] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str, sort_keys=True) + "\n")


def since_until(since: str | None, until: str | None, default: str | None) -> tuple[Any, Any]:
    start = parse_time(since) if since else (parse_time(default) if default else None)
    return start, parse_time(until) if until else None


def progress(total: int | None, label: str, quiet: bool) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=False,
    )


def summary(outcomes: list[Outcome], verb: str, as_json: bool, dry_run: bool) -> None:
    counts = Counter(outcome.result for outcome in outcomes)
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "counts": dict(counts),
                "deliveries": [outcome.as_dict() for outcome in outcomes],
            }
        )
        return
    table = Table(title=f"{verb}{' (dry run)' if dry_run else ''}", title_justify="left")
    for column in ("id", "source", "result", "detail"):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        style = {"replayed": "green", "released": "green", "would_replay": "cyan"}.get(
            outcome.result, "yellow"
        )
        table.add_row(outcome.id, outcome.source, f"[{style}]{outcome.result}[/]", outcome.detail)
    out.print(table)
    totals = ", ".join(f"{count} {result}" for result, count in sorted(counts.items()))
    noun = "delivery" if len(outcomes) == 1 else "deliveries"
    out.print(f"{len(outcomes)} {noun}: {totals or 'nothing to do'}")


# Commands ----------------------------------------------------------------------------------------


@app.command()
@clear_errors
def send(
    source: Annotated[str, typer.Argument(help="The source name, as in the sources file.")],
    event: Annotated[str | None, typer.Option("--event", "-e", help="Event type.")] = None,
    body: Annotated[
        Path | None, typer.Option("--body", "-b", help="Body file ('-' for stdin).")
    ] = None,
    url: Annotated[
        str,
        typer.Option(
            envvar="WEBHOOKS_URL",
            help="The receiver's base URL (`make run` prints the WEBHOOKS_URL to export).",
        ),
    ] = "http://127.0.0.1:8000",
    delivery_id: Annotated[
        str | None, typer.Option("--id", help="The sender's delivery id (retries: same id).")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="A sample in this encoding of the sender's: json, form or payload."),
    ] = None,
    content_type: Annotated[
        str | None, typer.Option(help="The --body's Content-Type (default application/json).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Sign a delivery with the source's secret like the real sender, and POST it: the --body
    given, or a sample shaped like the sender's own examples."""
    operations = Operations()
    if body is None:
        payload = None
    elif str(body) == "-":
        payload = sys.stdin.buffer.read()
    else:
        try:
            payload = body.read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read {body}: {error.strerror}") from None
    if encoding not in (None, *get_args(Encoding)):
        raise UsageError(f"--encoding is json, form or payload, not {encoding!r}")
    signed = sign_delivery(
        operations.source(source),
        url,
        event_type=event,
        body=payload,
        content_type=content_type,
        encoding=cast(Encoding | None, encoding),
        delivery_id=delivery_id,
    )
    answer = post(signed)
    if as_json:
        emit_json(
            {
                "url": signed.url,
                "status": answer.status,
                "response": answer.body,
                "delivery_id": answer.delivery_id,
            }
        )
    else:
        colour = "green" if answer.status < 300 else "red"
        shown = json.dumps(answer.body) if answer.body is not None else "(empty)"
        # A sender-shaped ack (Slack, Discord, Twilio) does not show the id: add it.
        ours = isinstance(answer.body, dict) and answer.body.get("id") == answer.delivery_id
        delivery = f"  id {answer.delivery_id}" if answer.delivery_id and not ours else ""
        out.print(f"POST {signed.url} → [{colour}]{answer.status}[/] {shown}{delivery}")
    if answer.status >= 400:
        raise typer.Exit(1)


@app.command()
@clear_errors
def show(
    delivery_id: Annotated[str, typer.Argument(metavar="ID", help="The delivery id.")],
    source: SourceOption = None,
    body: Annotated[bool, typer.Option("--body", help="Print the body too (raw).")] = False,
    as_json: JsonOption = False,
) -> None:
    """An archived delivery: metadata, headers, dedup record, processing state and outcome."""
    operations = Operations()
    delivery = operations.locate(delivery_id, source)
    headers = {
        name: ("<redacted>" if name in CREDENTIAL_HEADERS else value)  # older archives
        for name, value in delivery.meta.get("headers", {}).items()
    }
    record = delivery.record or {}
    outcome = record.get("outcome")
    document: dict[str, Any] = {
        "id": delivery.id,
        "source": delivery.source,
        "event_type": delivery.meta.get("event_type"),
        "received_at": delivery.meta.get("received_at"),
        "url": delivery.meta.get("url"),
        "body_size": delivery.meta.get("body_size"),
        "body_sha256": delivery.meta.get("body_sha256"),
        "archive": {"meta": delivery.meta_key, "body": delivery.body_key},
        "headers": headers,
        "status": delivery.status,
        "dedup": {k: v for k, v in record.items() if k not in {"owner", "outcome"}} or None,
        "outcome": json.loads(outcome) if isinstance(outcome, str) else outcome,
        # Why the latest attempt failed (kept by the worker), even if a later one succeeded.
        "last_error": record.get("last_error"),
    }
    raw = operations.body(delivery) if body else None
    if as_json:
        if raw is not None:
            document["body"] = raw.decode(errors="replace")
        emit_json(document)
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name in ("id", "source", "event_type", "received_at", "url", "body_size", "status"):
        table.add_row(name, str(document[name]))
    if document["last_error"]:
        table.add_row("last_error", f"[red]{escape(str(document['last_error']))}[/]")
    table.add_row("archive", f"s3://{operations.settings.archive_bucket}/{delivery.meta_key}")
    for name, value in sorted((document["dedup"] or {}).items()):
        if name not in {"pk", "status", "last_error"}:
            table.add_row(f"dedup.{name}", _when(name, value))
    if document["outcome"] is not None:
        table.add_row("outcome", json.dumps(document["outcome"]))
    out.print(table)
    headers_table = Table("header", "value", title="headers", title_justify="left")
    for name, value in sorted(headers.items()):
        headers_table.add_row(name, value)
    out.print(headers_table)
    if raw is not None:
        sys.stdout.flush()
        sys.stdout.buffer.write(raw + b"\n")


def _short(text: Any, width: int = 80) -> str:
    value = "" if text is None else str(text)
    return value if len(value) <= width else value[: width - 1] + "…"


def _when(name: str, value: Any) -> str:
    """Unix-second attributes of the dedup record, shown as times too."""
    if name.endswith(("_at", "_until")) and str(value).isdigit():
        moment = datetime.fromtimestamp(int(value), UTC)
        return f"{value} ({moment:%Y-%m-%d %H:%M:%S} UTC)"
    return str(value)


@app.command("list")
@clear_errors
def list_deliveries(
    source: SourceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    status: Annotated[
        list[str] | None,
        typer.Option(help="claimed, enqueued, processing, processed or unknown; repeatable."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Recent archived deliveries (default: the last 24 h) with their processing status."""
    operations = Operations()
    start, end = since_until(since, until, "24h")
    found = operations.deliveries(source, start, end)
    if status:
        found = [d for d in found if d.status in set(status)]
    found = found[:limit]
    rows = [
        {
            "id": d.id,
            "source": d.source,
            "event_type": d.meta.get("event_type"),
            "received_at": d.meta.get("received_at"),
            "body_size": d.meta.get("body_size"),
            "status": d.status,
            "attempts": (d.record or {}).get("attempts"),
            "last_error": (d.record or {}).get("last_error"),
        }
        for d in found
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} deliveries since {start:%Y-%m-%d %H:%M} UTC")
    columns = ("received_at", "source", "event_type", "id", "status", "attempts", "bytes")
    for column in (*columns, "last_error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["received_at"])[:19].replace("T", " "),
            str(row["source"]),
            str(row["event_type"]),
            str(row["id"]),
            str(row["status"]),
            str(row["attempts"] or ""),
            str(row["body_size"]),
            escape(_short(row["last_error"])),
        )
    out.print(table)


def _targets(
    operations: Operations,
    ids: list[str] | None,
    from_file: Path | None,
    source: str | None,
    since: str | None,
    until: str | None,
) -> list[ArchivedDelivery]:
    wanted: list[tuple[str | None, str]] = [(source, i) for i in ids or []]
    if from_file is not None:
        try:
            lines = from_file.read_text().splitlines()
        except OSError as error:
            raise UsageError(f"cannot read {from_file}: {error.strerror}") from None
        wanted += [(s or source, i) for s, i in read_ids(lines)]
    if wanted:
        return [operations.locate(i, s) for s, i in wanted]
    if since is None and source is None:
        raise UsageError("say what to replay: IDs, --from-file, or --source/--since/--until")
    start, end = since_until(since, until, "24h")
    return list(reversed(operations.deliveries(source, start, end)))  # oldest first


@app.command()
@clear_errors
def replay(
    ids: Annotated[list[str] | None, typer.Argument(metavar="[ID]...", help="Ids.")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Ids, one per line (id or source/id).")
    ] = None,
    source: SourceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    force: Annotated[
        bool, typer.Option(help="Replay processed ones too: their record goes back to enqueued.")
    ] = False,
    verify: Annotated[
        bool, typer.Option(help="Re-verify each signature from the archived headers first.")
    ] = True,
    rate: Annotated[float, typer.Option(help="At most this many per second.", min=0.1)] = 10.0,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Re-enqueue archived deliveries, exactly once unless --force."""
    operations = Operations()
    targets = _targets(operations, ids, from_file, source, since, until)
    outcomes = []
    interval = 1.0 / rate
    with progress(len(targets), "replay", as_json) as bar:
        task = bar.add_task("replay", total=len(targets))
        for delivery in targets:
            started = time.monotonic()
            outcomes.append(
                operations.replay(delivery, force=force, dry_run=dry_run, verify=verify)
            )
            bar.advance(task)
            if outcomes[-1].result == "replayed":
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
    summary(outcomes, "replay", as_json, dry_run)


@app.command()
@clear_errors
def redrive(
    limit: Annotated[int | None, typer.Option("--max", help="Move at most this many.")] = None,
    message: Annotated[
        str | None, typer.Option("--message", help="Only this SQS message id.")
    ] = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Move the DLQ's messages back to the work queue."""
    operations = Operations()
    dlq = operations.dlq_url()
    if message is not None and not dry_run:
        moved_one = operations.redrive_message(dlq, message)
        summary([moved_one], "redrive", as_json, dry_run=False)
        if moved_one.result != "redriven":
            raise typer.Exit(1)
        return
    waiting = operations.depth(dlq)
    if dry_run:
        # Why each one is there: the failure the worker kept on the delivery's dedup record.
        dead = operations.dead_letters(dlq, limit if limit is not None else 100)
        if as_json:
            emit_json(
                {
                    "dry_run": True,
                    "dlq": dlq,
                    "waiting": waiting,
                    "moved": 0,
                    "messages": [letter.as_dict() for letter in dead],
                }
            )
            return
        if dead:
            table = Table(title="in the DLQ", title_justify="left")
            for column in ("id", "source", "event_type", "status", "failures", "last_error"):
                table.add_column(column, overflow="fold")
            for letter in dead:
                table.add_row(
                    letter.id or f"(message {letter.message_id})",
                    letter.source or "",
                    letter.event_type or "",
                    letter.status,
                    str(letter.failures or ""),
                    escape(letter.reason),
                )
            out.print(table)
        out.print(f"{waiting} message(s) in {dlq} would be moved to {operations.queue_url}")
        return
    total = waiting if limit is None else min(waiting, limit)
    with progress(total, "redrive", as_json) as bar:
        task = bar.add_task("redrive", total=total or None)
        moved, failed = operations.redrive(dlq, limit, lambda n: bar.advance(task, n))
    if as_json:
        emit_json(
            {"dry_run": False, "dlq": dlq, "waiting": waiting, "moved": moved, "failed": failed}
        )
    else:
        out.print(f"moved {moved} message(s) from the DLQ to the work queue; {failed} failed")
    if failed:
        raise typer.Exit(1)


@app.command()
@clear_errors
def console(
    host: Annotated[str, typer.Option(help="A loopback address only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="0: a free port.")] = 0,
) -> None:
    """A web console on this machine: deliveries, bodies, replay, DLQ, quarantine, charts.

    Prints a URL with a one-time token; open it in a browser on this machine. Ctrl-C stops it."""
    from .console import serve  # jinja2 and the templates only for this command

    serve(Operations(), host, port)


@quarantine_app.command("list")
@clear_errors
def quarantine_list(
    source: SourceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
) -> None:
    """Quarantined deliveries, with the reason they were refused."""
    operations = Operations()
    start, end = since_until(since, until, None)
    items = list(operations.quarantine.items(source, start, end))
    rows = [
        {
            "id": item.id,
            "source": item.source,
            "received_at": item.received_at.isoformat(),
            "reason": item.reason,
            "body_size": item.body_size,
            "released": item.released,
        }
        for item in items
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} quarantined")
    for column in ("received_at", "source", "id", "reason", "bytes", "released"):
        table.add_column(column, overflow="fold")
    for row in rows:
        released = row["released"]
        table.add_row(
            str(row["received_at"])[:19].replace("T", " "),
            str(row["source"]),
            str(row["id"]),
            str(row["reason"]),
            str(row["body_size"]),
            f"as {released['delivery_id']}" if isinstance(released, dict) else "",
        )
    out.print(table)


@quarantine_app.command("replay")
@clear_errors
def quarantine_replay(
    ids: Annotated[list[str] | None, typer.Argument(metavar="[ID]...", help="Ids.")] = None,
    source: SourceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Re-verify quarantined deliveries with the secrets configured now; hand off those that
    pass, exactly like new deliveries (a sender retry accepted meanwhile is a duplicate)."""
    operations = Operations()
    if ids:
        items = []
        for quarantine_id in ids:
            item = operations.quarantine.load(quarantine_id, source)
            if item is None:
                raise NotFound(f"no quarantined delivery with id {quarantine_id!r}")
            items.append(item)
    else:
        start, end = since_until(since, until, None)
        items = [i for i in operations.quarantine.items(source, start, end) if i.released is None]
    outcomes = []
    with progress(len(items), "release", as_json) as bar:
        task = bar.add_task("release", total=len(items))
        for item in items:
            outcomes.append(operations.release(item, dry_run=dry_run))
            bar.advance(task)
    summary(outcomes, "quarantine replay", as_json, dry_run)


# Registered after the helpers above, which the module uses.
from .destinations import app as destinations_app  # noqa: E402

app.add_typer(destinations_app, name="destinations")


def main(argv: Iterable[str] | None = None) -> None:
    app(args=list(argv) if argv is not None else None, prog_name="webhooks")
