"""`webhooks`: send, inspect, replay and redrive deliveries; release quarantined ones.

Installed with the project (`[project.scripts]`), or `python -m webhooks_cli`. It reads the same
environment as the receiver, so `AWS_ENDPOINT_URL=http://127.0.0.1:5000` points it at the local
stack of `make run` and no endpoint at AWS. Every command takes `--json`.

The commands live in commands/, one module per family, over the domain operations in
operations/ (which the console uses too); this module only assembles them.
"""

from __future__ import annotations

from collections.abc import Iterable

import typer

from .commands import console, destinations, inspect, quarantine, recover, send

app = typer.Typer(
    name="webhooks",
    help="Operate the webhook receiver: send, show, list, replay, redrive, quarantine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
app.add_typer(quarantine.app, name="quarantine")
app.command()(send.send)
app.command()(inspect.show)
app.command("list")(inspect.list_deliveries)
app.command()(recover.replay)
app.command()(recover.redrive)
app.command()(console.console)
app.add_typer(destinations.app, name="destinations")


def main(argv: Iterable[str] | None = None) -> None:
    app(args=list(argv) if argv is not None else None, prog_name="webhooks")
