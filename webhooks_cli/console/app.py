"""The console's pages and actions. Every action is the CLI's own Operations method.

GET pages read; POSTs (with the session's CSRF token) act, put the outcome in the session and
redirect back, so a reload never repeats an action.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from botocore.exceptions import ClientError
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from handler.aws import AWS_ERRORS, client_config, new_client
from handler.process.processors import find_processor
from handler.receive.ingest import CREDENTIAL_HEADERS
from handler.store.dedup import PROCESSED, dedup_key
from webhooks_cli.operations import CliError, NotFound, Operations, Outcome, UsageError
from webhooks_cli.operations.destination_views import attempts as forward_attempts
from webhooks_cli.operations.errors import aws_message  # the wording the CLI uses too

from . import charts, dlq
from .bodies import view_body
from .security import Guard, Session
from .views import STATUSES, Filters, deliveries_page, delivery_href, delivery_status

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


def create_console(operations: Operations, guard: Guard) -> FastAPI:
    console = Console(operations, guard)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.middleware("http")(guard.middleware)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(CliError)
    async def cli_error(request: Request, error: CliError) -> Response:
        status = (
            404 if isinstance(error, NotFound) else 403 if isinstance(error, Forbidden) else 400
        )
        return console.page(request, "error.html", status, message=str(error))

    async def aws_error(request: Request, error: Exception) -> Response:
        # ClientError carries AWS's code, which the CLI words; BotoCoreError (no connection...)
        message = aws_message(error) if isinstance(error, ClientError) else f"AWS: {error}"
        return console.page(request, "error.html", 502, message=message)

    for kind in AWS_ERRORS:
        app.add_exception_handler(kind, aws_error)

    @app.get("/")
    def home() -> Response:
        return RedirectResponse("/deliveries", 303)

    @app.get("/deliveries", response_class=HTMLResponse)
    def deliveries(request: Request) -> Response:
        filters = filters_of(request)
        found = exact_match(console, filters)
        if found is not None:
            return RedirectResponse(found, 303)
        return console.page(request, "deliveries.html", **table_context(console, filters))

    @app.get("/deliveries/table", response_class=HTMLResponse)
    def deliveries_table(request: Request) -> Response:
        return console.page(
            request, "_deliveries_table.html", **table_context(console, filters_of(request))
        )

    @app.get("/deliveries/{source}/{delivery_id}", response_class=HTMLResponse)
    def delivery(request: Request, source: str, delivery_id: str) -> Response:
        return console.page(
            request, "delivery.html", **delivery_context(console, source, delivery_id)
        )

    @app.get("/deliveries/{source}/{delivery_id}/body")
    def delivery_body(source: str, delivery_id: str) -> Response:
        found = operations.locate(delivery_id, source)
        body = operations.body(found)  # checks the sha256: these are the acknowledged bytes
        return Response(
            body,
            media_type="application/octet-stream",
            headers={
                "content-disposition": f'attachment; filename="{quote(found.id)}.body"',
            },
        )

    @app.get("/deliveries/{source}/{delivery_id}/force", response_class=HTMLResponse)
    def confirm_force(request: Request, source: str, delivery_id: str) -> Response:
        context = delivery_context(console, source, delivery_id, with_body=False)
        return console.page(request, "confirm.html", **context)

    @app.post("/deliveries/{source}/{delivery_id}/replay")
    async def replay(request: Request, source: str, delivery_id: str) -> Response:
        form = await read_form(request, console)
        mode = form.get("mode", "replay")
        if mode not in {"replay", "dry-run", "force"}:
            raise UsageError(f"no replay mode {mode!r}")
        back = delivery_href(source, delivery_id)
        if mode == "force" and form.get("confirm") != "yes":
            return RedirectResponse(back + "/force", 303)
        found = await run_in_threadpool(operations.locate, delivery_id, source)
        outcome = await run_in_threadpool(
            lambda: operations.replay(
                found, force=mode == "force", dry_run=mode == "dry-run", verify="verify" in form
            )
        )
        flash(request, outcome)
        return RedirectResponse(back, 303)

    @app.get("/dlq", response_class=HTMLResponse)
    def dlq_page(request: Request) -> Response:
        messages = dlq.peek(operations, console.dlq_url)
        links = {
            m.message_id: delivery_href(m.source, m.delivery_id)
            for m in messages
            if m.source and m.delivery_id
        }
        return console.page(
            request, "dlq.html", messages=messages, links=links, dlq_url=console.dlq_url
        )

    @app.post("/dlq/redrive")
    async def redrive_all(request: Request) -> Response:
        await read_form(request, console)
        moved, failed = await run_in_threadpool(operations.redrive, console.dlq_url)
        kind = "warn" if failed else "ok"
        request.state.session.flashes.append(
            (kind, f"moved {moved} message(s) to the work queue; {failed} failed")
        )
        return RedirectResponse("/dlq", 303)

    @app.post("/dlq/{message_id}/redrive")
    async def redrive_one(request: Request, message_id: str) -> Response:
        await read_form(request, console)
        outcome = await run_in_threadpool(operations.redrive_message, console.dlq_url, message_id)
        flash(request, outcome)
        return RedirectResponse("/dlq", 303)

    @app.get("/quarantine", response_class=HTMLResponse)
    def quarantine_page(request: Request) -> Response:
        filters = filters_of(request, since="7d")
        since, until = filters.window()
        items = list(operations.quarantine.items(filters.source or None, since, until))
        items.sort(key=lambda item: item.received_at, reverse=True)
        return console.page(
            request,
            "quarantine.html",
            items=items,
            filters=filters,
            sources=sorted(operations.sources),
        )

    @app.post("/quarantine/{source}/{quarantine_id}/{action}")
    async def quarantine_action(
        request: Request, source: str, quarantine_id: str, action: str
    ) -> Response:
        await read_form(request, console)
        if action not in {"reverify", "release"}:
            raise NotFound(f"no quarantine action {action!r}")
        item = await run_in_threadpool(operations.quarantine.load, quarantine_id, source)
        if item is None:
            raise NotFound(f"no quarantined delivery with id {quarantine_id!r}")
        outcome = await run_in_threadpool(
            lambda: operations.release(item, dry_run=action == "reverify")
        )
        flash(request, outcome)
        return RedirectResponse("/quarantine", 303)

    @app.get("/charts", response_class=HTMLResponse)
    def charts_page(request: Request) -> Response:
        window = request.query_params.get("window", "1h")
        if window not in charts.WINDOWS:
            raise UsageError(f"window must be one of {', '.join(charts.WINDOWS)}")
        local = bool(os.environ.get("AWS_ENDPOINT_URL"))
        origin = request.query_params.get("origin") or ("archive" if local else "cloudwatch")
        source = request.query_params.get("source") or None
        now = datetime.now(UTC)
        if origin == "cloudwatch":
            data = charts.cloudwatch_chart(console.cloudwatch, charts.WINDOWS[window], now, source)
        elif origin == "archive":
            data = charts.archive_chart(operations, charts.WINDOWS[window], now, source)
        else:
            raise UsageError("origin must be archive or cloudwatch")
        return console.page(
            request,
            "charts.html",
            chart=data,
            panels=charts.panels(data),
            window=window,
            windows=list(charts.WINDOWS),
            source=source or "",
            sources=sorted(operations.sources),
            width=charts.WIDTH,
            height=charts.HEIGHT,
            end=now,
        )

    from .destination_pages import add_routes  # it imports this module: added once both exist

    add_routes(app, console)
    return app


def filters_of(request: Request, since: str = "24h") -> Filters:
    query = request.query_params
    try:
        limit = max(1, min(int(query.get("limit", "200")), 5000))
    except ValueError:
        raise UsageError("limit must be a number") from None
    status = query.get("status", "")
    if status and status not in (*STATUSES, "unknown"):
        raise UsageError(f"no status {status!r}")
    return Filters(
        source=query.get("source", ""),
        event_type=query.get("event_type", ""),
        status=status,
        since=query.get("since", "") or since,
        until=query.get("until", ""),
        q=query.get("q", ""),
        limit=limit,
    )


def exact_match(console: Console, filters: Filters) -> str | None:
    """A search for a whole delivery id outside the window still finds it (the CLI's `show`).
    Only ids with a dedup record: `locate` without one would list the whole archive."""
    wanted = filters.q.strip()
    if not wanted or filters.status or filters.event_type:
        return None
    operations = console.operations
    sources = [filters.source] if filters.source else sorted(operations.sources)
    known = [s for s in sources if operations.dedup.get(dedup_key(s, wanted)) is not None]
    if not known:
        return None
    try:
        found = operations.locate(wanted, known[0])
    except NotFound:
        return None
    if filters.window()[0] <= found.received_at:
        return None  # in the window: the list shows it with its neighbours
    return delivery_href(found.source, found.id)


def table_context(console: Console, filters: Filters) -> dict[str, Any]:
    page = deliveries_page(console.operations, filters, console.dead_lettered())
    return {
        "page": page,
        "filters": filters,
        "sources": sorted(console.operations.sources),
        "refreshed": datetime.now(UTC),
    }


def delivery_context(
    console: Console, source: str, delivery_id: str, with_body: bool = True
) -> dict[str, Any]:
    operations = console.operations
    found = operations.locate(delivery_id, source)
    record = found.record or {}
    headers = sorted(
        (name, "<redacted>" if name.lower() in CREDENTIAL_HEADERS else value)
        for name, value in dict(found.meta.get("headers", {})).items()
    )
    body = body_error = None
    if with_body:
        try:
            body = view_body(operations.body(found), dict(found.meta.get("headers", {})))
        except CliError as error:
            body_error = str(error)
    outcome = record.get("outcome")
    dead = bool(record) and record.get("status") != PROCESSED and int(record.get("attempts", 0)) > 0
    processor = find_processor(found.source, str(found.meta.get("event_type", "")))
    bucket = operations.settings.archive_bucket
    configured = operations.sources.get(found.source)  # None: a source no longer configured
    forwarding = configured is not None and bool(configured.destinations)
    return {
        "delivery": found,
        "status": delivery_status(
            found.record, dead and (found.source, found.id) in console.dead_lettered()
        ),
        "record": {k: v for k, v in sorted(record.items()) if k not in {"owner", "outcome", "pk"}},
        "outcome": json.dumps(json.loads(outcome), indent=2) if isinstance(outcome, str) else None,
        "headers": headers,
        "body": body,
        "body_error": body_error,
        "archive": {
            "meta": f"s3://{bucket}/{found.meta_key}",
            "body": f"s3://{bucket}/{found.body_key}",
        },
        "replays": int(record.get("replays", 0)),
        "processor": f"{processor.__module__}.{processor.__name__}",
        "href": delivery_href(found.source, found.id),
        # Where it was forwarded (one read per destination), for sources that forward.
        "forwards": forward_attempts(operations, found.id, found.source) if forwarding else None,
    }
