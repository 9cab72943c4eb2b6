"""`webhooks replay` and `webhooks redrive`: deliveries sent through the worker again, from the
archive or from the dead-letter queue."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..common import clear_errors, emit_json, out, progress, since_until, summary
from ..operations import ArchivedDelivery, Operations, UsageError, read_ids
from ..options import DryRunOption, JsonOption, SinceOption, SourceOption, UntilOption


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
