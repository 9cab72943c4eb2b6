"""How long a new user waits: a fresh clone with empty package caches, timed (issue 24).

    python3 infra/fresh_clone.py                    # `make run` to the first processed delivery
    python3 infra/fresh_clone.py --hide-uv          # the same, no uv on PATH (it is bootstrapped)
    python3 infra/fresh_clone.py --command .ci/run  # any command in the clone, to its end
    python3 infra/fresh_clone.py --command "make sam-invoke EVENT=events/github-valid.json"

The clone is of this checkout's current branch (commit first; --ref checks out another commit,
e.g. a baseline to compare with in the same conditions), into a temporary directory that is
removed afterwards (--keep keeps it); UV_CACHE_DIR, PIP_CACHE_DIR and XDG_CACHE_HOME point at
empty directories in it. For `make run`: free ports (PORT, LOCAL_AWS_PORT), then /health polled,
the signed demo curl that `make run` prints sent as printed, and the delivery's record in the
idempotency table polled (over moto's HTTP API) until the worker has marked it processed.
Standard library only: it runs before any venv exists.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = "webhook-idempotency"  # infra/resources.py's default


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def path_without_uv(workdir: Path) -> str:
    """PATH minus every directory holding a `uv`, plus links to the tools that lived there."""
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    kept: list[str] = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not entry or not (Path(entry) / "uv").exists():
            kept.append(entry)
            continue
        for tool in Path(entry).iterdir():
            if tool.name not in ("uv", "uvx") and not (bin_dir / tool.name).exists():
                (bin_dir / tool.name).symlink_to(tool)
    # pyenv shims need pyenv's own directory; link the real interpreters instead.
    for name in ("python3.11", "python3.13", "python3"):
        real = shutil.which(name)
        if real is None:
            continue
        result = subprocess.run(
            [real, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True
        )
        if result.returncode == 0:
            link = bin_dir / name
            link.unlink(missing_ok=True)
            link.symlink_to(result.stdout.strip())
    return os.pathsep.join([str(bin_dir), *kept])


class Output:
    """The lines a process prints, timestamped, read on a thread (the pipe never fills)."""

    def __init__(self, process: subprocess.Popen[str], started: float, echo: bool) -> None:
        self.lines: list[tuple[float, str]] = []
        self.started = started
        self.echo = echo
        self.thread = threading.Thread(target=self.read, args=(process,), daemon=True)
        self.thread.start()

    def read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append((time.monotonic() - self.started, line))
            if self.echo:
                sys.stderr.write(f"  {time.monotonic() - self.started:6.1f}s | {line}")

    def first(self, pattern: str) -> tuple[float, str] | None:
        return next(((t, ln) for t, ln in list(self.lines) if re.search(pattern, ln)), None)


def dynamodb_items(endpoint: str) -> list[dict[str, dict[str, str]]]:
    """Scan the idempotency table through moto's HTTP API (moto does not check signatures)."""
    request = urllib.request.Request(
        endpoint,
        data=json.dumps({"TableName": TABLE}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.Scan",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        items: list[dict[str, dict[str, str]]] = json.load(answer)["Items"]
        return items


def wait(condition: object, timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if callable(condition) and condition():
                return time.monotonic()
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} not within {timeout:.0f} s")


def time_make_run(clone: Path, env: dict[str, str], echo: bool) -> dict[str, float]:
    port, aws_port = free_port(), free_port()
    env = env | {"PORT": str(port), "LOCAL_AWS_PORT": str(aws_port), "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    process = subprocess.Popen(
        ["make", "run"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(process, started, echo)
    marks: dict[str, float] = {}
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if process.poll() is not None:
                raise SystemExit("make run exited:\n" + "".join(ln for _, ln in output.lines))
            with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                return bool(answer.status == 200)

        marks["/health answers 200"] = wait(healthy, 300, "/health") - started
        printed = wait(lambda: output.first(r"^\s*curl "), 30, "the demo curl") - started
        marks["demo curl printed"] = printed
        found = output.first(r"^\s*curl ")
        assert found is not None
        sent = subprocess.run(
            shlex.split(found[1].strip()), capture_output=True, text=True, check=True
        )
        if "HTTP/1.1 202" not in sent.stdout:
            raise SystemExit(f"the demo delivery was not accepted:\n{sent.stdout}")
        marks["demo delivery answered 202"] = time.monotonic() - started

        def processed() -> bool:  # the stack is new: its one delivery record is this one
            items = dynamodb_items(f"http://127.0.0.1:{aws_port}")
            records = [item for item in items if not item["pk"]["S"].startswith("tally#")]
            return [item.get("status", {}).get("S") for item in records] == ["processed"]

        marks["first delivery processed"] = wait(processed, 60, "processing") - started
        for pattern, label in ((r"^\[venv\.sh\] \.venv ready", "venv installed"),):
            hit = output.first(pattern)
            if hit:
                marks[label] = hit[0]
        how = output.first(r"^\[venv\.sh\] .* with (uv|pip)")
        print(f"installer: {how[1].strip() if how else '?'}")
        boot = output.first(r"bootstrapped uv")
        if boot:
            print(f"uv: {boot[1].strip()}")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return marks


def time_command(clone: Path, env: dict[str, str], command: str, echo: bool) -> dict[str, float]:
    started = time.monotonic()
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(process, started, echo)
    code = process.wait()
    output.thread.join(5)
    tail = "".join(line for _, line in output.lines[-25:])
    print(tail)
    return {f"`{command}` exited {code}": time.monotonic() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time a fresh clone with empty package caches")
    parser.add_argument("--hide-uv", action="store_true", help="no uv on PATH (bootstrap it)")
    parser.add_argument("--command", help="time this command in the clone instead of make run")
    parser.add_argument("--ref", help="check out this commit (e.g. a baseline) instead of HEAD")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--quiet", action="store_true", help="do not echo the clone's output")
    args = parser.parse_args(argv)

    branch = subprocess.run(
        ["git", "rev-parse", "--abbrev-ref", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    workdir = Path(tempfile.mkdtemp(prefix="fresh-clone."))
    try:
        env = {
            **os.environ,
            "UV_CACHE_DIR": str(workdir / "cache" / "uv"),
            "PIP_CACHE_DIR": str(workdir / "cache" / "pip"),
            "XDG_CACHE_HOME": str(workdir / "cache" / "xdg"),
        }
        for name in ("VIRTUAL_ENV", "UV", "PYTHONPATH"):
            env.pop(name, None)
        if args.hide_uv:
            env["PATH"] = path_without_uv(workdir)
            assert shutil.which("uv", path=env["PATH"]) is None
        clone = workdir / "clone"
        started = time.monotonic()
        subprocess.run(
            ["git", "clone", "-q", "--branch", branch, str(ROOT), str(clone)], check=True
        )
        if args.ref:
            subprocess.run(["git", "checkout", "-q", args.ref], cwd=clone, check=True)
        cloned = time.monotonic() - started
        what = f"{branch} at {args.ref}" if args.ref else branch
        print(f"fresh clone of {what} in {workdir} (uv on PATH: {not args.hide_uv})")
        if args.command:
            marks = time_command(clone, env, args.command, not args.quiet)
        else:
            marks = time_make_run(clone, env, not args.quiet)
        print(f"git clone: {cloned:.1f}s; then, from the start of the command:")
        for label, seconds in sorted(marks.items(), key=lambda item: item[1]):
            print(f"  {seconds:7.1f}s  {label}")
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
