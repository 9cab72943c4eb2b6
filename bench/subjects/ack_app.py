"""3. The function for the ack-latency case, run by awslambdaric: a route whose background task
sleeps `ms` milliseconds. BENCH_MODE=ack_first (ours) or plain (Mangum as it comes)."""

import os
import time
from collections.abc import Callable
from typing import Any

from fastapi import BackgroundTasks, FastAPI
from mangum import Mangum

from handler.receive.api import deferring_route
from handler.receive.lambda_ext import AckFirst, AfterResponse, start_extension

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
runner = AfterResponse()
if os.environ.get("BENCH_MODE") == "ack_first":
    app.router.route_class = deferring_route(runner)


@app.post("/work")
def work(ms: float, background: BackgroundTasks) -> dict[str, str]:
    background.add_task(time.sleep, ms / 1000)
    return {"status": "accepted"}


mangum = Mangum(app, lifespan="off")
handler: Callable[..., Any] = mangum
if os.environ.get("BENCH_MODE") == "ack_first":
    handler = AckFirst(mangum, runner, start_extension(runner))
