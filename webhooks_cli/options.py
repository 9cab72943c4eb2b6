"""The options several commands take, spelled and explained the same way everywhere."""

from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
SourceOption = Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="From: 90s, 30m, 2h, 3d ago or an ISO time.")
]
UntilOption = Annotated[str | None, typer.Option("--until", help="Up to (same forms).")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Say what would happen; change nothing.")
]
