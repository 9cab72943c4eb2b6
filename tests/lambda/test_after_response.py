"""AfterResponse in process: order, arguments, retries, and what a task failing for good leaves."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import BackgroundTasks, FastAPI
from mangum import Mangum

from handler.receive.api import deferring_route
from handler.receive.lambda_ext import AckFirst, AfterResponse
from handler.retries import Backoff
from infra.apigw import http_api_event

NO_WAIT = Backoff(attempts=3, first_delay=0.0)


def test_jobs_run_in_order_with_arguments_after_invocation_done() -> None:
    runner = AfterResponse(NO_WAIT)
    seen: list[Any] = []

    async def later(value: int, *, key: str) -> None:
        await asyncio.sleep(0)
        seen.append(("async", value, key))

    background = BackgroundTasks()
    background.add_task(seen.append, ("sync", 1))
    background.add_task(later, 2, key="k")
    runner.defer(background)
    assert seen == []  # held until the handler returns
    runner.invocation_done()
    assert runner.wait_settled(1, timeout=5)
    assert seen == [("sync", 1), ("async", 2, "k")]


def test_a_failing_task_is_retried_then_logged_and_counted(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    runner = AfterResponse(NO_WAIT)
    calls: list[str] = []

    def flaky() -> None:
        calls.append("flaky")
        if len(calls) < 3:
            raise OSError("transient")

    def broken() -> None:
        calls.append("broken")
        raise OSError("down")

    background = BackgroundTasks()
    background.add_task(flaky)
    background.add_task(broken)
    background.add_task(calls.append, "after")
    runner.defer(background)
    runner.invocation_done()
    assert runner.wait_settled(1, timeout=5)
    assert calls == ["flaky"] * 3 + ["broken"] * 3 + ["after"]
    assert runner.failures == 1
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage() == "after-response task failed after retries"
    assert record.task.endswith("broken")  # type: ignore[attr-defined]
    assert '"AfterResponseTaskFailed":[1.0]' in capsys.readouterr().out  # the EMF metric line


def test_without_an_extension_tasks_run_before_the_handler_returns() -> None:
    """Registration failed (or not on Lambda): slower, but nothing is frozen mid-task."""
    runner = AfterResponse(NO_WAIT)
    done: list[str] = []
    app = FastAPI(openapi_url=None)
    app.router.route_class = deferring_route(runner)

    @app.post("/x")
    def route(background: BackgroundTasks) -> dict[str, str]:
        background.add_task(done.append, "task")
        return {"ok": "yes"}

    handler = AckFirst(Mangum(app, lifespan="off"), runner, extension=None)
    response = handler(http_api_event("POST", "/x"), None)
    assert response["statusCode"] == 200
    assert done == ["task"]


def test_with_an_extension_the_handler_returns_before_the_tasks_run() -> None:
    runner = AfterResponse(NO_WAIT)
    order: list[str] = []
    app = FastAPI(openapi_url=None)
    app.router.route_class = deferring_route(runner)

    @app.post("/x")
    def route(background: BackgroundTasks) -> dict[str, str]:
        background.add_task(order.append, "task")
        return {"ok": "yes"}

    mangum = Mangum(app, lifespan="off")

    def recording(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = mangum(event, context)
        order.append("handler returned")
        return response

    handler = AckFirst(recording, runner, extension=object())  # type: ignore[arg-type]
    handler(http_api_event("POST", "/x"), None)
    assert runner.wait_settled(1, timeout=5)
    assert order == ["handler returned", "task"]
