"""The Destinations page and its actions: the CLI's own `destinations` operations, in a browser.

    GET  /destinations                          every destination, its state and record counts
    GET  /destinations/{source}/{name}/retry    what "Retry all failed" would do: confirm it
    POST /destinations/{source}/{name}/retry    mode=dry-run | retry (+confirm=yes, or one id=)
    POST /destinations/{source}/{name}/pause    (reason=)
    POST /destinations/{source}/{name}/resume

A destination's answers (the snippets on a delivery's page) are a stranger's text: the templates
escape them like every other value, and the CSP forbids inline script anyway.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from handler.process.destinations.guards import PAUSED_RECHECK_SECONDS
from webhooks_cli.operations import CliError, Outcome, UsageError
from webhooks_cli.operations import destination_views as views
from webhooks_cli.operations import destinations as ops

from .core import Console, read_form
from .views import delivery_href

# The ids a flash or the confirmation lists before it says "and N more".
LISTED = 20


def destination_href(source: str, name: str) -> str:
    return f"/destinations/{quote(source, safe='')}/{quote(name, safe='')}"


def flash_outcomes(request: Request, outcomes: list[Outcome], where: str, dry_run: bool) -> None:
    counts = Counter(outcome.result for outcome in outcomes)
    if not outcomes:
        request.state.session.flashes.append(("ok", f"{where}: no dead-lettered forwards"))
        return
    totals = ", ".join(f"{n} {result}" for result, n in sorted(counts.items()))
    ids = ", ".join(outcome.id for outcome in outcomes[:LISTED])
    more = f" and {len(outcomes) - LISTED} more" if len(outcomes) > LISTED else ""
    good = counts["retried"] + counts["would_retry"] == len(outcomes)
    text = f"{'dry run: ' if dry_run else ''}{where}: {totals} ({ids}{more})"
    request.state.session.flashes.append(("ok" if good else "warn", text))


def add_routes(app: FastAPI, console: Console) -> None:
    operations = console.operations

    @app.get("/destinations", response_class=HTMLResponse)
    def destinations_page(request: Request) -> Response:
        asked = request.query_params.get("counts") == "1"
        counts = (
            views.count_records(operations)
            if asked or views.counting_is_cheap(operations)
            else None
        )
        return console.page(
            request,
            "destinations.html",
            destinations=views.destinations(operations, counts=counts),
            counts=counts,
            recheck_minutes=round(PAUSED_RECHECK_SECONDS / 60),
            count_megabytes=views.COUNT_PAGES,
        )

    @app.get("/destinations/{source}/{name}/retry", response_class=HTMLResponse)
    def confirm_retry(request: Request, source: str, name: str) -> Response:
        # The dry run is the confirmation's content: what the real run would revive, now.
        outcomes = ops.retry(operations, source, name, all_dead=True, dry_run=True)
        [view] = [v for v in views.destinations(operations, source) if v.name == name]
        return console.page(
            request,
            "destination_confirm.html",
            destination=view,
            outcomes=outcomes[:LISTED],
            total=len(outcomes),
            href=destination_href(source, name),
        )

    @app.post("/destinations/{source}/{name}/retry")
    async def retry(request: Request, source: str, name: str) -> Response:
        form = await read_form(request, console)
        mode = form.get("mode", "retry")
        if mode not in {"retry", "dry-run"}:
            raise UsageError(f"no retry mode {mode!r}")
        one = form.get("id", "")
        # One delivery's retry comes from (and goes back to) its page; "all" needs a confirmation.
        back = delivery_href(source, one) if one else "/destinations"
        if not one and mode == "retry" and form.get("confirm") != "yes":
            return RedirectResponse(destination_href(source, name) + "/retry", 303)
        where = f"retry {source}/{name}"
        try:
            outcomes = await run_in_threadpool(
                lambda: ops.retry(
                    operations,
                    source,
                    name,
                    [one] if one else [],
                    all_dead=not one,
                    dry_run=mode == "dry-run",
                )
            )
        except CliError as error:  # disabled, unknown record: said where the button was
            request.state.session.flashes.append(("warn", f"{where}: {error}"))
            return RedirectResponse(back, 303)
        flash_outcomes(request, outcomes, where, mode == "dry-run")
        return RedirectResponse(back, 303)

    @app.post("/destinations/{source}/{name}/{action}")
    async def switch(request: Request, source: str, name: str, action: str) -> Response:
        form = await read_form(request, console)
        said = f"{source}/{name}: {action}d"
        if action == "pause":
            reason = form.get("reason", "") or "paused from the console"
            await run_in_threadpool(ops.pause, operations, source, name, reason)
        elif action == "resume":
            resumed = await run_in_threadpool(ops.resume, operations, source, name)
            said += f"; {ops.woken_text(resumed)}"
        else:
            raise UsageError(f"no destination action {action!r}")
        request.state.session.flashes.append(("ok", said))
        return RedirectResponse("/destinations#d-" + quote(f"{source}-{name}", safe=""), 303)
