"""`webhooks send`: a delivery signed like the real sender's, POSTed to the receiver."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, cast, get_args

import typer

from webhook_sim.samples import Encoding

from ..common import clear_errors, emit_json, out
from ..operations import Operations, UsageError, post, sign_delivery
from ..options import JsonOption


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
