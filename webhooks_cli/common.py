"""What every command shares: its output (tables on stdout, errors on stderr, or --json), and
one clear line instead of a traceback for the errors a user can fix."""

from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from handler.errors import ConfigError

from .operations import CliError, Outcome, aws_message, parse_time

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


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
