"""What the worker Lambda loads at init: the cold start pays for every module. (The receiver's
entry point is checked with the console, tests/console: it needs AWS to start.)"""

from __future__ import annotations

import subprocess
import sys


def loaded(entry: str) -> set[str]:
    code = f"import sys, {entry}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


def test_the_worker_lambda_loads_no_receiver_no_scheme_and_no_operator_tool() -> None:
    modules = loaded("handler.worker_main")
    assert {"handler.process.worker", "handler.process.processors", "handler.wiring"} <= modules
    # The receive stage (every signature scheme, the route, the sources file) stays out.
    receiver = {m for m in modules if m.startswith("handler.receive") or m == "handler.main"}
    assert receiver == set()
    tools = {m for m in modules if m.startswith(("webhooks_cli", "webhook_sim", "jinja2", "typer"))}
    assert tools == set()
