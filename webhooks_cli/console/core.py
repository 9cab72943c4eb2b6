"""What every console page shares: the Console (the CLI's operations, the guard, the templates),
the CSRF-checked form reader and the flash messages."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape
from starlette.templating import Jinja2Templates

from handler.aws import client_config, new_client
from webhooks_cli.operations import CliError, Operations, Outcome, UsageError

from . import dlq
from .security import Guard, Session
from .views import STATUSES

HERE = Path(__file__).parent
# Form bodies are a few fields; anything bigger is not ours.
MAX_FORM_BYTES = 16 * 1024


def when(value: Any) -> str:
    """Unix seconds or a datetime, as UTC."""
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    if str(value).isdigit():
        return f"{datetime.fromtimestamp(int(value), UTC):%Y-%m-%d %H:%M:%S} UTC"
    return str(value)


def exact(text: str) -> Markup:
    """Escaped, with CR as a character reference: HTML parsing would turn CRLF into LF."""
    return Markup(str(escape(text)).replace("\r", "&#13;"))


def templates() -> Jinja2Templates:
    # Autoescape everything: bodies, headers, ids and errors are the sender's text.
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    environment.filters["when"] = when
    environment.filters["urlquote"] = lambda value: quote(str(value), safe="")
    environment.filters["exact"] = exact
    return Jinja2Templates(env=environment)


class Console:
    """What the routes share: the CLI's operations, the guard, the templates."""

    def __init__(self, operations: Operations, guard: Guard) -> None:
        self.operations = operations
        self.guard = guard
        self.templates = templates()

    @cached_property
    def dlq_url(self) -> str:
        return self.operations.dlq_url()

    @cached_property
    def cloudwatch(self) -> Any:
        return new_client("cloudwatch", client_config(self.operations.settings))

    def dead_lettered(self) -> set[tuple[str, str]]:
        sqs = self.operations.clients.sqs
        depth = sqs.get_queue_attributes(
            QueueUrl=self.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        if not int(depth):
            return set()
        return {
            (m.source, m.delivery_id)
            for m in dlq.peek(self.operations, self.dlq_url)
            if m.source and m.delivery_id
        }

    def page(self, request: Request, name: str, code: int = 200, **context: Any) -> Response:
        session: Session = request.state.session
        flashes = []
        if not name.startswith("_"):  # a fragment (the list's refresh) shows no messages
            flashes, session.flashes = session.flashes, []
        return self.templates.TemplateResponse(
            request,
            name,
            {"csrf": session.csrf, "flashes": flashes, "statuses": STATUSES, **context},
            status_code=code,
        )


async def read_form(request: Request, console: Console) -> dict[str, str]:
    """The POSTed form, once its CSRF token (and Origin, when sent) match the session's."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise UsageError("form too large")
    form = dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
    session: Session = request.state.session
    if not console.guard.csrf_ok(session, form.get("csrf", ""), request.headers.get("origin")):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")
    return form


class Forbidden(CliError):
    pass


def flash(request: Request, outcome: Outcome) -> None:
    good = outcome.result in {"replayed", "would_replay", "redriven", "released", "would_release"}
    text = f"{outcome.result}: {outcome.id}" + (f" — {outcome.detail}" if outcome.detail else "")
    request.state.session.flashes.append(("ok" if good else "warn", text))
