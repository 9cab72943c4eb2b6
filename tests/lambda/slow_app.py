"""A Lambda function for the harness: background tasks from a route, a dependency and a
sub-dependency, sync and async, one of them slow. Each task appends a JSON line to $TASK_LOG."""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Annotated

from fastapi import BackgroundTasks, Depends, FastAPI
from mangum import Mangum

from handler.receive.api import deferring_route
from handler.receive.lambda_ext import AckFirst, AfterResponse, start_extension


def record(label: str, *args: object, **kwargs: object) -> None:
    with open(os.environ["TASK_LOG"], "a") as log:
        log.write(json.dumps([label, list(args), kwargs, time.perf_counter()]) + "\n")


def sync_task(label: str, delay: float, *, tag: str) -> None:
    time.sleep(delay)
    record(label, delay, tag=tag)


async def async_task(label: str, delay: float, *, tag: str) -> None:
    await asyncio.sleep(delay)
    record(label, delay, tag=tag)


def sub_dependency(background: BackgroundTasks) -> str:
    background.add_task(sync_task, "sub-dependency", 0.0, tag="s")
    return "sub"


def dependency(background: BackgroundTasks, sub: Annotated[str, Depends(sub_dependency)]) -> str:
    background.add_task(async_task, "dependency", 0.0, tag="d")
    return sub


runner = AfterResponse()
app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
app.router.route_class = deferring_route(runner)


@app.post("/slow")
def slow(
    delay: float, background: BackgroundTasks, _: Annotated[str, Depends(dependency)]
) -> dict[str, bool]:
    background.add_task(sync_task, "route-sync", delay, tag="r1")
    background.add_task(async_task, "route-async", 0.0, tag="r2")
    return {"accepted": True}


handler = AckFirst(Mangum(app, lifespan="off"), runner, start_extension(runner))
