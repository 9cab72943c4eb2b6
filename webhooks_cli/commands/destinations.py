"""`webhooks destinations`: where deliveries are forwarded, and what happened there.

webhooks destinations list                      state of every destination
webhooks destinations attempts ID               a delivery's attempts, per destination
webhooks destinations retry SOURCE DEST --all   dead-lettered forwards, sent again
webhooks destinations pause|resume SOURCE DEST
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..common import clear_errors, emit_json, out, summary
from ..operations import NotFound, Operations
from ..operations import destination_views as views
from ..operations import destinations as ops
from ..options import DryRunOption, JsonOption, SourceOption

app = typer.Typer(
    help="Destinations: state, a delivery's attempts, retry, pause and resume.",
    no_args_is_help=True,
)
SourceArgument = Annotated[str, typer.Argument(help="The source the destination belongs to.")]
DestinationArgument = Annotated[str, typer.Argument(help="The destination's name.")]


@app.command("list")
@clear_errors
def list_destinations(
    source: SourceOption = None,
    counts: Annotated[
        bool, typer.Option("--counts", help="Count pending/delivered/dead records (a Scan).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Every configured destination and its state: closed, open, half_open, paused, disabled."""
    operations = Operations()
    counted = views.count_records(operations) if counts else None
    rows = [view.as_dict() for view in views.destinations(operations, source, counted)]
    if as_json:
        emit_json(rows)
        return
    columns = ["source", "destination", "url", "state", "failures", "open_until", "reason"]
    view = Table(title="destinations", title_justify="left")
    for column in [*columns, *(views.COUNTED if counted else ())]:
        view.add_column(column, overflow="fold")
    for row in rows:
        colour = {"closed": "green", "half_open": "yellow"}.get(str(row["state"]), "red")
        cells = [escape(str(row[column])) for column in columns]  # a reason is anyone's text
        cells[3] = f"[{colour}]{row['state']}[/]"
        if counted:
            cells.extend(str(row["counts"][status]) for status in views.COUNTED)
        view.add_row(*cells)
    out.print(view)
    if counted and not counted.complete:
        out.print(f"counts are partial: the scan stopped after {counted.scanned} items")


@app.command()
@clear_errors
def attempts(
    delivery_id: Annotated[str, typer.Argument(metavar="ID", help="The delivery id.")],
    source: SourceOption = None,
    as_json: JsonOption = False,
) -> None:
    """A delivery's attempts per destination: time, status, latency, start of the answer."""
    found = views.attempts(Operations(), delivery_id, source)
    if not found:
        raise NotFound(f"no forwarding records for delivery {delivery_id!r}")
    if as_json:
        emit_json([record.as_dict() for record in found])
        return
    for record in found:
        line = f"[bold]{record.source}/{record.destination}[/]: {record.status}"
        line += f", {record.attempts} attempt(s)"
        if record.next_attempt_at:
            line += f", next at {views.iso(record.next_attempt_at)}"
        if record.dead_reason:
            line += f", dead: {escape(record.dead_reason)}"
        out.print(line)
        view = Table(box=None, pad_edge=False)
        for column in ("time", "status", "latency ms", "answer"):
            view.add_column(column, overflow="fold")
        for attempt in record.history:
            view.add_row(
                views.iso(attempt.at),
                Text(str(attempt.status or attempt.error)),
                str(attempt.latency_ms),
                # The destination's answer is its text: "[/]" in it must not be read as markup.
                Text(attempt.snippet[:120]),
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
    outcomes = ops.retry(
        Operations(), source, destination, ids or [], all_dead=all_dead, dry_run=dry_run
    )
    summary(outcomes, f"retry {source}/{destination}", as_json, dry_run)


@app.command()
@clear_errors
def pause(
    source: SourceArgument,
    destination: DestinationArgument,
    reason: Annotated[str, typer.Option(help="Shown by `list`.")] = "paused by an operator",
) -> None:
    """Hold this destination's deliveries (they wait, and go out after `resume`)."""
    ops.pause(Operations(), source, destination, reason)
    out.print(f"{source}/{destination}: paused")


@app.command()
@clear_errors
def resume(source: SourceArgument, destination: DestinationArgument) -> None:
    """Resume a paused or disabled destination; its circuit is closed and failures forgotten,
    and the deliveries held while it was paused are sent now."""
    resumed = ops.resume(Operations(), source, destination)
    out.print(f"{source}/{destination}: resumed; {ops.woken_text(resumed)}")
