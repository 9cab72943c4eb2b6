"""What the Lambdas load at init: the cold start pays for every module. The receiver's entry
point is imported with fake credentials and an unreachable endpoint: it builds clients at init
but calls nothing until a delivery arrives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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


RECEIVER_ENV = {
    "ARCHIVE_BUCKET": "import-graph-bucket",
    "WORK_QUEUE_URL": "http://127.0.0.1:9/queue/import-graph",
    "IDEMPOTENCY_TABLE": "import-graph-table",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def receiver_loaded(sources: str) -> set[str]:
    """What the receiver Lambda's entry point loads at init with `sources` (no AWS call is made:
    clients are built, not used)."""
    import os

    code = "import sys, handler.main; print(' '.join(sorted(sys.modules)))"
    env = {**os.environ, **RECEIVER_ENV, "WEBHOOK_SOURCES_FILE": sources}
    env.pop("AWS_ENDPOINT_URL", None)
    command = [sys.executable, "-c", code]
    result = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=60, env=env
    )
    return set(result.stdout.split())


def catalogue_senders(modules: set[str]) -> set[str]:
    """The sender modules among `modules` (shared code, senders/_*.py, is not a sender)."""
    prefix = "handler.receive.senders."
    return {m for m in modules if m.startswith(prefix) and not m[len(prefix) :].startswith("_")}


def test_the_receiver_loads_no_catalogue_sender_its_sources_do_not_name(tmp_path: Path) -> None:
    from infra import DEMO_SOURCES

    demo = receiver_loaded(str(DEMO_SOURCES))
    assert "handler.main" in demo
    # The demo sources name one catalogue sender (Meta): its module only, none of the others.
    assert catalogue_senders(demo) == {"handler.receive.senders.meta"}
    # Nor the asymmetric crypto only some senders need (SendGrid's ECDSA, Discord's Ed25519 is
    # imported at its first verification).
    assert not {m for m in demo if m.startswith("cryptography.hazmat.primitives.asymmetric")}

    one = tmp_path / "zoom.toml"
    one.write_text('[sources.meetings]\nscheme = "zoom"\nsecrets = ["s"]\n')
    with_zoom = receiver_loaded(str(one))
    assert catalogue_senders(with_zoom) == {"handler.receive.senders.zoom"}
