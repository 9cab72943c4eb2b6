"""The console's app: the guard's middleware, errors as pages, and each family of pages.
Every action is the CLI's own Operations method.

GET pages read; POSTs (with the session's CSRF token) act, put the outcome in the session and
redirect back, so a reload never repeats an action.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from botocore.exceptions import ClientError
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from handler.aws import AWS_ERRORS
from webhooks_cli.operations import CliError, NotFound, Operations, UsageError
from webhooks_cli.operations.errors import aws_message  # the wording the CLI uses too

from . import charts, delivery_pages, destination_pages, recovery_pages
from .core import HERE, Console, Forbidden
from .security import Guard


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

    for pages in (delivery_pages, recovery_pages, destination_pages):
        pages.add_routes(app, console)

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

    return app
