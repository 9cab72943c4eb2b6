"""`webhooks show` and `webhooks list`: archived deliveries and where they are."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from handler.receive.ingest import CREDENTIAL_HEADERS

from ..common import clear_errors, emit_json, out, since_until
from ..operations import Operations
from ..options import JsonOption, SinceOption, SourceOption, UntilOption


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
        "archive": delivery.locations,
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
    table.add_row("archive", f"s3://{operations.settings.archive_bucket}/{delivery.key}")
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
