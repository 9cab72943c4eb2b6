"""`webhooks console`: the web console, served on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from ..common import clear_errors
from ..operations import Operations


@clear_errors
def console(
    host: Annotated[str, typer.Option(help="A loopback address only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="0: a free port.")] = 0,
) -> None:
    """A web console on this machine: deliveries, bodies, replay, DLQ, quarantine, charts.

    Prints a URL with a one-time token; open it in a browser on this machine. Ctrl-C stops it."""
    from ..console import serve  # jinja2 and the templates only for this command

    serve(Operations(), host, port)
