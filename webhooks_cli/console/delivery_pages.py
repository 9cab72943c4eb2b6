"""The deliveries: the list (filters, counts, refreshed by htmx), one delivery, its exact bytes,
and replay (dry run, replay, forced replay after a confirmation)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from handler.process.processors import find_processor
from handler.receive.ingest import CREDENTIAL_HEADERS
from handler.store.dedup import PROCESSED, dedup_key
from webhooks_cli.operations import CliError, NotFound, UsageError
from webhooks_cli.operations.destination_views import attempts as forward_attempts

from .bodies import view_body
from .core import Console, flash, read_form
from .views import STATUSES, Filters, deliveries_page, delivery_href, delivery_status


def add_routes(app: FastAPI, console: Console) -> None:
    operations = console.operations

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
        "archive": {name: f"s3://{bucket}/{key}" for name, key in found.locations.items()},
        "replays": int(record.get("replays", 0)),
        "processor": f"{processor.__module__}.{processor.__name__}",
        "href": delivery_href(found.source, found.id),
        # Where it was forwarded (one read per destination), for sources that forward.
        "forwards": forward_attempts(operations, found.id, found.source) if forwarding else None,
    }
