"""`webhooks destinations`: where deliveries are forwarded, and what happened there.

webhooks destinations list                      state of every destination
webhooks destinations attempts ID               a delivery's attempts, per destination
webhooks destinations retry SOURCE DEST --all   dead-lettered forwards, sent again
webhooks destinations pause|resume SOURCE DEST
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.table import Table

from handler.process.destinations.config import Destination
from handler.process.destinations.forwarder import ForwardMessage, WakeUp
from handler.process.destinations.state import DEAD, ForwardTable, record_key
from handler.store.archive import body_key, envelope_fields, meta_key
from handler.store.queue import Envelope
from handler.wiring import FORWARD_RECORD_EXTRA_SECONDS

from . import DryRunOption, JsonOption, SourceOption, clear_errors, emit_json, out, summary
from .operations import NotFound, Operations, Outcome, UsageError

app = typer.Typer(
    help="Destinations: state, a delivery's attempts, retry, pause and resume.",
    no_args_is_help=True,
)
SourceArgument = Annotated[str, typer.Argument(help="The source the destination belongs to.")]
DestinationArgument = Annotated[str, typer.Argument(help="The destination's name.")]


def forward_table(operations: Operations) -> ForwardTable:
    settings = operations.settings
    return ForwardTable(
        operations.clients.dynamodb,
        settings.idempotency_table,
        ttl_seconds=settings.dedup_ttl_seconds + FORWARD_RECORD_EXTRA_SECONDS,
    )


def configured(operations: Operations, source: str | None = None) -> list[Destination]:
    names = [source] if source else sorted(operations.sources)
    return [d for name in names for d in operations.source(name).destinations]


def find(operations: Operations, source: str, name: str) -> Destination:
    for destination in operations.source(source).destinations:
        if destination.name == name:
            return destination
    raise UsageError(f"source {source!r} has no destination named {name!r}")


def when(epoch: Any) -> str:
    if not epoch:
        return ""
    return datetime.fromtimestamp(float(epoch), UTC).isoformat(timespec="seconds")


@app.command("list")
@clear_errors
def list_destinations(source: SourceOption = None, as_json: JsonOption = False) -> None:
    """Every configured destination and its state: closed, open, half_open, paused, disabled."""
    operations = Operations()
    table = forward_table(operations)
    rows = []
    for destination in configured(operations, source):
        state = table.state(destination.source, destination.name)
        host = urlsplit(destination.url)
        rows.append(
            {
                "source": destination.source,
                "destination": destination.name,
                "url": f"{host.scheme}://{host.netloc}{host.path}",  # never the query string
                "state": state.label,
                "failures": state.failures,
                "open_until": when(state.open_until) if state.circuit != "closed" else "",
                "reason": state.reason,
                "rate_limit_per_second": destination.rate_limit_per_second,
            }
        )
    if as_json:
        emit_json(rows)
        return
    view = Table(title="destinations", title_justify="left")
    for column in ("source", "destination", "url", "state", "failures", "open_until", "reason"):
        view.add_column(column, overflow="fold")
    for row in rows:
        colour = {"closed": "green", "half_open": "yellow"}.get(str(row["state"]), "red")
        view.add_row(
            str(row["source"]),
            str(row["destination"]),
            str(row["url"]),
            f"[{colour}]{row['state']}[/]",
            str(row["failures"]),
            str(row["open_until"]),
            str(row["reason"]),
        )
    out.print(view)


@app.command()
@clear_errors
def attempts(
    delivery_id: Annotated[str, typer.Argument(metavar="ID", help="The delivery id.")],
    source: SourceOption = None,
    as_json: JsonOption = False,
) -> None:
    """A delivery's attempts per destination: time, status, latency, start of the answer."""
    operations = Operations()
    table = forward_table(operations)
    found = []
    for destination in configured(operations, source):
        record = table.get(record_key(destination.source, delivery_id, destination.name))
        if record is None:
            continue
        found.append(
            {
                "source": destination.source,
                "destination": destination.name,
                "status": record.get("status"),
                "attempts": int(record.get("attempts", 0)),
                "next_attempt_at": when(record.get("next_attempt_at"))
                if record.get("status") == "pending"
                else "",
                "dead_reason": record.get("dead_reason", ""),
                "history": [
                    {
                        "at": when(entry.get("at")),
                        "status": int(entry.get("status", 0)),
                        "latency_ms": entry.get("latency_ms"),
                        "snippet": entry.get("snippet", ""),
                        "error": entry.get("error", ""),
                    }
                    for entry in record.get("history", [])
                ],
            }
        )
    if not found:
        raise NotFound(f"no forwarding records for delivery {delivery_id!r}")
    if as_json:
        emit_json(found)
        return
    for entry in found:
        line = f"[bold]{entry['source']}/{entry['destination']}[/]: {entry['status']}"
        line += f", {entry['attempts']} attempt(s)"
        if entry["next_attempt_at"]:
            line += f", next at {entry['next_attempt_at']}"
        if entry["dead_reason"]:
            line += f", dead: {entry['dead_reason']}"
        out.print(line)
        view = Table(box=None, pad_edge=False)
        for column in ("time", "status", "latency ms", "answer"):
            view.add_column(column, overflow="fold")
        for attempt in entry["history"]:
            status = str(attempt["status"] or attempt["error"])
            view.add_row(
                attempt["at"], status, str(attempt["latency_ms"]), attempt["snippet"][:120]
            )
        out.print(view)


@app.command()
@clear_errors
def retry(
    source: SourceArgument,
    destination: DestinationArgument,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="A dead-lettered delivery (repeatable).")
    ] = None,
    all_dead: Annotated[
        bool, typer.Option("--all", help="Every dead-lettered delivery of this destination.")
    ] = False,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Send dead-lettered forwards again, with a fresh retry horizon."""
    if not ids and not all_dead:
        raise UsageError("name deliveries with --id, or pass --all")
    operations = Operations()
    find(operations, source, destination)
    table = forward_table(operations)
    if table.state(source, destination).disabled:
        raise UsageError(f"{source}/{destination} is disabled: `resume` it first")
    if all_dead:
        records = table.dead_records(source, destination)
    else:
        records = []
        for delivery_id in ids or []:
            record = table.get(record_key(source, delivery_id, destination))
            if record is None:
                raise NotFound(f"no forwarding record for {delivery_id!r} at {destination!r}")
            records.append(record)
    outcomes = [revive(operations, table, record, dry_run) for record in records]
    summary(outcomes, f"retry {source}/{destination}", as_json, dry_run)


def revive(
    operations: Operations, table: ForwardTable, record: dict[str, Any], dry_run: bool
) -> Outcome:
    delivery_id, source = str(record["delivery_id"]), str(record["source"])
    if record.get("status") != DEAD:
        status = record.get("status")
        return Outcome(delivery_id, source, "skipped", f"not dead-lettered ({status})")
    if dry_run:
        return Outcome(delivery_id, source, "would_retry", str(record.get("dead_reason", "")))
    received_at = datetime.fromisoformat(str(record["received_at"]))
    meta = operations.read_meta(meta_key(source, delivery_id, received_at))
    envelope = Envelope.model_validate(
        {**envelope_fields(meta), "body_key": body_key(source, delivery_id, received_at)}
    )
    now = time.time()
    if not table.revive(str(record["pk"]), now):
        return Outcome(delivery_id, source, "skipped", "changed meanwhile")
    message = ForwardMessage(
        forward=WakeUp(
            destination=str(record["destination"]), attempt=int(record["attempts"]), due=now
        ),
        envelope=envelope,
    )
    operations.clients.sqs.send_message(
        QueueUrl=operations.queue_url, MessageBody=message.model_dump_json(exclude_none=True)
    )
    return Outcome(delivery_id, source, "retried", str(record.get("dead_reason", "")))


@app.command()
@clear_errors
def pause(
    source: SourceArgument,
    destination: DestinationArgument,
    reason: Annotated[str, typer.Option(help="Shown by `list`.")] = "paused by an operator",
) -> None:
    """Hold this destination's deliveries (they wait, and go out after `resume`)."""
    operations = Operations()
    find(operations, source, destination)
    forward_table(operations).set_switch(source, destination, "paused", True, reason)
    out.print(f"{source}/{destination}: paused")


@app.command()
@clear_errors
def resume(source: SourceArgument, destination: DestinationArgument) -> None:
    """Resume a paused or disabled destination; its circuit is closed and failures forgotten."""
    operations = Operations()
    find(operations, source, destination)
    forward_table(operations).set_switch(source, destination, "paused", False, "resumed")
    out.print(f"{source}/{destination}: resumed")
