"""The dead-letter queue (each message's reason, redrive one or all) and the quarantine
(re-verify, release)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from webhooks_cli.operations import NotFound

from . import dlq
from .core import Console, flash, read_form
from .delivery_pages import filters_of
from .views import delivery_href


def add_routes(app: FastAPI, console: Console) -> None:
    operations = console.operations

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
