"""On Lambda the response is posted before background tasks run, and the extension holds the
environment (its `next` call) until they have finished. Real awslambdaric, fake Runtime API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from infra.apigw import http_api_event
from infra.runtime_api import FakeRuntimeAPI

StartFunction = Callable[..., FakeRuntimeAPI]


def read_log(path: Path) -> list[list[object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_response_posted_before_slow_task_and_next_held_until_it_ends(
    lambda_function: StartFunction, tmp_path: Path
) -> None:
    log = tmp_path / "tasks.jsonl"
    api = lambda_function("slow_app.handler", {"TASK_LOG": str(log)})

    invocation = api.invoke(http_api_event("POST", "/slow", query="delay=0.5"))

    assert invocation.json()["statusCode"] == 200
    assert json.loads(invocation.json()["body"]) == {"accepted": True}
    tasks = read_log(log)
    # Every task ran, in FastAPI's order (sub-dependency, dependency, route), with its arguments.
    assert [(t[0], t[1], t[2]) for t in tasks] == [
        ("sub-dependency", [0.0], {"tag": "s"}),
        ("dependency", [0.0], {"tag": "d"}),
        ("route-sync", [0.5], {"tag": "r1"}),
        ("route-async", [0.0], {"tag": "r2"}),
    ]
    slow_done = float(tasks[2][3])  # type: ignore[arg-type]
    last_done = float(tasks[3][3])  # type: ignore[arg-type]
    # The response went out before the slow task finished ...
    assert invocation.responded_at < slow_done
    assert slow_done - invocation.responded_at > 0.3
    # ... and the environment was not frozen (extension's next) until every task had finished.
    (extension_next,) = invocation.extensions_next_at.values()
    assert extension_next > last_done
    assert invocation.frozen_at == extension_next


def test_each_invocation_is_held_for_its_own_tasks(
    lambda_function: StartFunction, tmp_path: Path
) -> None:
    log = tmp_path / "tasks.jsonl"
    api = lambda_function("slow_app.handler", {"TASK_LOG": str(log)})
    for _ in range(3):
        invocation = api.invoke(http_api_event("POST", "/slow", query="delay=0.2"))
        (extension_next,) = invocation.extensions_next_at.values()
        assert extension_next > float(read_log(log)[-1][3])  # type: ignore[arg-type]
        assert invocation.responded_at < float(read_log(log)[-2][3])  # type: ignore[arg-type]
    assert len(read_log(log)) == 12


def test_init_registers_exactly_one_internal_extension(
    lambda_function: StartFunction, tmp_path: Path
) -> None:
    api = lambda_function("slow_app.handler", {"TASK_LOG": str(tmp_path / "t.jsonl")})
    assert list(api.extensions.values()) == ["webhook-after-response"]


def test_at_the_invocation_deadline_the_extension_lets_go_and_reports_it(
    lambda_function: StartFunction, tmp_path: Path
) -> None:
    """Past the deadline Lambda would reset the environment anyway: `next` goes out 0.5 s before
    it, with an error log and a metric, instead of the invocation timing out."""
    log, output = tmp_path / "tasks.jsonl", tmp_path / "function.log"
    api = lambda_function(
        "slow_app.handler", {"TASK_LOG": str(log)}, output=output, timeout_seconds=1.0
    )
    invocation = api.invoke(http_api_event("POST", "/slow", query="delay=1.5"))

    (extension_next,) = invocation.extensions_next_at.values()
    assert extension_next - invocation.dispatched_at < 1.0  # before the 1.5 s task could end
    lines = output.read_text()
    assert "after-response work still running at the invocation deadline" in lines
    assert '"AfterResponseDeadline":[1.0]' in lines


def test_without_a_registered_extension_the_work_runs_before_the_response(
    lambda_function: StartFunction, tmp_path: Path
) -> None:
    """Registration refused: slower acks, but no task is ever frozen mid-way."""
    log, output = tmp_path / "tasks.jsonl", tmp_path / "function.log"
    api = lambda_function(
        "slow_app.handler",
        {"TASK_LOG": str(log)},
        extensions=0,
        output=output,
        accept_extensions=False,
    )
    invocation = api.invoke(http_api_event("POST", "/slow", query="delay=0.3"))

    assert invocation.json()["statusCode"] == 200
    assert invocation.extensions_next_at == {}
    last_done = max(float(task[3]) for task in read_log(log))  # type: ignore[arg-type]
    assert invocation.responded_at > last_done  # every task had finished before the response
    assert "extension registration failed" in output.read_text()
