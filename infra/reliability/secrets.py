"""Secrets and access: every configured secret searched for in captured logs, responses and the
data at rest; oversize and slow bodies against the receiver's memory; wildcard data access in
the template's IAM policies."""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handler.receive.sources import Source
from infra.iam import allow_statements, wildcard_grants

from .stack import HOST, ROOT, Stack


def secret_values(sources: dict[str, Source]) -> dict[str, bytes]:
    """name -> value for every configured secret, and the encodings a leak could take."""
    values: dict[str, bytes] = {}
    for source in sources.values():
        for index, secret in enumerate(source.secrets):
            name = f"{source.name}.secrets[{index}]"
            values[name] = secret.encode()
            if secret.startswith("whsec_"):  # the key itself, as configured and decoded
                encoded = secret.removeprefix("whsec_")
                values[name + ".key"] = encoded.encode()
                with contextlib.suppress(ValueError):
                    values[name + ".raw"] = base64.b64decode(encoded + "==")
    return {name: value for name, value in values.items() if len(value) >= 8}


@dataclass
class Scanner:
    secrets: dict[str, bytes]
    hits: Counter[str] = field(default_factory=Counter)
    scanned_bytes: int = 0
    scanned_items: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def scan(self, data: bytes, where: str = "response") -> None:
        found = [name for name, value in self.secrets.items() if value in data]
        with self._lock:
            self.scanned_bytes += len(data)
            self.scanned_items += 1
            for name in found:
                self.hits[f"{where}:{name}"] += 1

    def scan_files(self, paths: Iterable[Path], where: str = "log") -> None:
        for path in paths:
            if path.exists():
                self.scan(path.read_bytes(), f"{where}:{path.name}")

    @property
    def total(self) -> int:
        return sum(self.hits.values())


def scan_at_rest(stack: Stack, scanner: Scanner, limit: int = 2000) -> int:
    """Archive and quarantine metadata (the headers kept with each delivery): how many objects
    were read. Hits go to the scanner under "archive:"."""
    assert stack.resources is not None
    s3 = stack.client("s3")
    read = 0
    for prefix in ("archive/", "quarantine/"):  # quarantine: refused deliveries kept for replay
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=stack.resources.bucket, Prefix=prefix
        ):
            for item in page.get("Contents", []):
                if item["Key"].endswith(".json") and read < limit:
                    body = s3.get_object(Bucket=stack.resources.bucket, Key=item["Key"])["Body"]
                    scanner.scan(body.read(), "archive")
                    read += 1
    return read


# -- oversize and slow bodies ---------------------------------------------------------------------
@dataclass
class MemoryResult:
    rss_before_kib: int | None = None
    rss_peak_kib: int | None = None
    oversize_declared: Counter[str] = field(default_factory=Counter)
    oversize_chunked: Counter[str] = field(default_factory=Counter)
    slow_bodies: int = 0
    health_during_slow_ms: float | None = None
    healthy_after: bool = False
    server_errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["oversize_declared"] = dict(self.oversize_declared)
        data["oversize_chunked"] = dict(self.oversize_chunked)
        return data


def _status(sock: socket.socket) -> str:
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n" not in data and len(data) < 4096:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    parts = data.split(b" ", 2)
    return parts[1].decode("latin-1") if len(parts) > 1 else "none"


def oversize_declared(port: int, declared: int, send: int) -> str:
    """Declare a huge Content-Length, send part of it: the answer must be 413 at once."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(
            b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {declared}\r\n\r\n".encode()
        )
        block = b"x" * 65536
        with contextlib.suppress(OSError):
            for _ in range(send // len(block)):
                sock.sendall(block)
        return _status(sock)


def oversize_chunked(port: int, total: int) -> str:
    """Stream a chunked body with no Content-Length: refused once past MAX_BODY_BYTES."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(
            b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        block = b"y" * 65536
        chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
        with contextlib.suppress(OSError):
            for _ in range(total // len(block)):
                sock.sendall(chunk)
            sock.sendall(b"0\r\n\r\n")
        return _status(sock)


def slow_body(port: int, seconds: float, stop: threading.Event) -> None:
    """A body trickled a few bytes at a time, then abandoned."""
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        end = time.monotonic() + seconds
        while time.monotonic() < end and not stop.is_set():
            sock.sendall(b"{")
            time.sleep(0.05)


def memory_pressure(
    stack: Stack, *, oversize: int, declared_mb: int, chunked_mb: int, slow: int, slow_s: float
) -> MemoryResult:
    import urllib.request

    port = stack.receiver_port
    result = MemoryResult(rss_before_kib=stack.receiver_rss_peak_kib())
    with ThreadPoolExecutor(8) as pool:
        for status in pool.map(
            lambda _: oversize_declared(port, declared_mb << 20, 4 << 20), range(oversize)
        ):
            result.oversize_declared[status] += 1
        for status in pool.map(lambda _: oversize_chunked(port, chunked_mb << 20), range(oversize)):
            result.oversize_chunked[status] += 1
    stop = threading.Event()
    threads = [threading.Thread(target=slow_body, args=(port, slow_s, stop)) for _ in range(slow)]
    for thread in threads:
        thread.start()
    time.sleep(min(1.0, slow_s / 2))
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{stack.base_url}/health", timeout=10) as response:
            response.read()
        result.health_during_slow_ms = round((time.perf_counter() - started) * 1000, 1)
    except OSError:
        result.health_during_slow_ms = None
    stop.set()
    for thread in threads:
        thread.join(30)
    result.slow_bodies = slow
    result.rss_peak_kib = stack.receiver_rss_peak_kib()
    result.server_errors = sum(
        n
        for c in (result.oversize_declared, result.oversize_chunked)
        for s, n in c.items()
        if s.startswith("5")
    )
    result.healthy_after = stack.healthy()
    return result


# -- IAM ------------------------------------------------------------------------------------------
def iam_wildcards(template: Path = ROOT / "template.yaml") -> dict[str, Any]:
    """The template's Allow statements that grant data access by wildcard (infra/iam.py)."""
    if not template.exists():
        return {"checked": False, "reason": "no template.yaml"}
    try:
        from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]
    except ImportError:
        return {"checked": False, "reason": "cfn-lint is not installed"}
    document = cfn_yaml.load(str(template))
    allows = list(allow_statements(document.get("Resources", {})))
    findings = [
        f"{name}: {finding}" for name, statement in allows for finding in wildcard_grants(statement)
    ]
    return {
        "checked": True,
        "statements": len(allows),
        "wildcards": len(findings),
        "findings": findings,
    }
