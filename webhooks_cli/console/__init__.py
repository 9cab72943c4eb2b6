"""`webhooks console`: a web console on this machine for what the CLI does.

Deliveries (filters, counts, refreshing), one delivery (headers, body by encoding, dedup record,
outcome), replay / forced replay / dry run, the DLQ with redrive, the quarantine with re-verify
and release, and charts. Every action is the CLI's own `Operations` method.

Local only: it binds a loopback address, and is never part of the receiver or the Lambda
package (infra/lambda/Makefile leaves this folder out; nothing under handler/ but the CLI
imports it).
"""

from __future__ import annotations

import ipaddress
import socket

import uvicorn

from webhooks_cli.operations import Operations, UsageError

from .app import create_console
from .security import Guard

__all__ = ["create_console", "serve"]


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(operations: Operations, host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve until Ctrl-C; prints the one-time URL once the port is bound."""
    if not loopback(host):
        raise UsageError(f"--host {host}: the console listens on a loopback address only")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    bound = int(sock.getsockname()[1])
    guard = Guard.create(bound, host)
    name = f"[{host}]" if family == socket.AF_INET6 else host
    # Plain print: the URL must stay on one line, whatever the terminal's width.
    print(f"console: http://{name}:{bound}/?token={guard.token}", flush=True)
    print("open it in a browser on this machine (the token works once); Ctrl-C stops", flush=True)
    config = uvicorn.Config(
        create_console(operations, guard), log_level="warning", lifespan="off", access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])
