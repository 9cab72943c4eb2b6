"""`webhooks quarantine list|replay`: deliveries refused for their signature, and releasing them
once the secrets are right."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..common import clear_errors, emit_json, out, progress, since_until, summary
from ..operations import NotFound, Operations
from ..options import DryRunOption, JsonOption, SinceOption, SourceOption, UntilOption

app = typer.Typer(help="Deliveries refused for their signature.", no_args_is_help=True)


@app.command("list")
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


@app.command("replay")
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
