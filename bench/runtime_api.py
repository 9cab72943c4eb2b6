"""A fake Lambda Runtime + Extensions API on 127.0.0.1: enough for awslambdaric and our extension.

It keeps Lambda's rules that matter for ack-first: an invocation's response is whatever the
runtime POSTs; the environment counts as frozen only once the runtime **and** every registered
extension have called `next` again; an extension may only register before the runtime's first
`next` (the init phase). Every step is time-stamped so tests and the benchmark can compare when
the response was posted with when the extension let the environment go.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RUNTIME = "/2018-06-01/runtime"
EXTENSION = "/2020-01-01/extension"


@dataclass
class Invocation:
    request_id: str
    event: bytes
    deadline_ms: int
    dispatched_at: float = 0.0
    response: bytes | None = None
    error: bytes | None = None
    responded_at: float = 0.0  # when the runtime posted the response (or error)
    runtime_next_at: float = 0.0  # when the runtime asked for the next event afterwards
    extensions_next_at: dict[str, float] = field(default_factory=dict)

    @property
    def frozen_at(self) -> float:
        """When Lambda would freeze the environment: runtime and every extension wait on next."""
        return max([self.runtime_next_at, *self.extensions_next_at.values()])

    def json(self) -> Any:
        return json.loads(self.response) if self.response is not None else None


class FakeRuntimeAPI:
    def __init__(self, timeout_seconds: float = 30.0, accept_extensions: bool = True) -> None:
        self.timeout_seconds = timeout_seconds
        self.accept_extensions = accept_extensions  # False: every registration is refused
        self.invocations: list[Invocation] = []
        self.extensions: dict[str, str] = {}  # identifier -> name
        self.init_error: bytes | None = None
        self.init_done = False
        self._runtime_cursor = 0
        self._extension_cursor: dict[str, int] = {}
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> FakeRuntimeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_init(self, extensions: int = 0, timeout: float = 60.0) -> None:
        """Until the runtime and `extensions` extensions all wait on their first next."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: (
                    self.init_error is not None
                    or (self.init_done and len(self._extension_cursor) >= extensions)
                ),
                timeout,
            ):
                raise TimeoutError("the runtime did not finish init in time")
        if self.init_error is not None:
            raise RuntimeError(f"init error: {self.init_error.decode(errors='replace')}")

    def invoke(self, event: dict[str, Any], timeout: float = 30.0) -> Invocation:
        """Dispatch one event; return once the environment would be frozen again."""
        invocation = Invocation(
            request_id=str(uuid.uuid4()),
            event=json.dumps(event).encode(),
            deadline_ms=int((time.time() + self.timeout_seconds) * 1000),
        )
        with self._changed:
            self.invocations.append(invocation)
            self._changed.notify_all()
            index = len(self.invocations)
            settled = self._changed.wait_for(
                lambda: (
                    (invocation.responded_at > 0 or self.init_error is not None)
                    and self._runtime_cursor >= index
                    and invocation.runtime_next_at > 0
                    and all(
                        ident in invocation.extensions_next_at for ident in self._extension_cursor
                    )
                ),
                timeout,
            )
        if not settled:
            raise TimeoutError(f"invocation {invocation.request_id} did not settle in time")
        return invocation

    # The HTTP side: each handler thread blocks on `_changed` as Lambda's long polls do.

    def _runtime_next(self) -> Invocation:
        with self._changed:
            now = time.perf_counter()
            if self._runtime_cursor > 0:
                self.invocations[self._runtime_cursor - 1].runtime_next_at = now
            self.init_done = True
            self._changed.notify_all()
            self._changed.wait_for(lambda: len(self.invocations) > self._runtime_cursor)
            invocation = self.invocations[self._runtime_cursor]
            self._runtime_cursor += 1
            invocation.dispatched_at = time.perf_counter()
            return invocation

    def _extension_next(self, identifier: str) -> Invocation:
        with self._changed:
            cursor = self._extension_cursor.setdefault(identifier, 0)
            if cursor > 0:
                self.invocations[cursor - 1].extensions_next_at[identifier] = time.perf_counter()
            self._changed.notify_all()
            self._changed.wait_for(lambda: len(self.invocations) > cursor)
            self._extension_cursor[identifier] = cursor + 1
            return self.invocations[cursor]

    def _find(self, request_id: str) -> Invocation:
        return next(i for i in self.invocations if i.request_id == request_id)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in two writes: without this, Nagle + delayed ACK
                # add 40 ms to every call.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self) -> None:
                if self.path == f"{RUNTIME}/invocation/next":
                    invocation = api._runtime_next()
                    self._reply(
                        200,
                        invocation.event,
                        {
                            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                            "Lambda-Runtime-Invoked-Function-Arn": (
                                "arn:aws:lambda:us-east-1:123456789012:function:receiver"
                            ),
                            "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                        },
                    )
                elif self.path == f"{EXTENSION}/event/next":
                    identifier = self.headers.get("Lambda-Extension-Identifier", "")
                    if identifier not in api.extensions:
                        self._reply(403, b'{"errorType":"Extension.Unknown"}')
                        return
                    invocation = api._extension_next(identifier)
                    event = {
                        "eventType": "INVOKE",
                        "deadlineMs": invocation.deadline_ms,
                        "requestId": invocation.request_id,
                        "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:r",
                        "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-0-0"},
                    }
                    self._reply(200, json.dumps(event).encode())
                else:
                    self._reply(404, b"{}")

            def do_POST(self) -> None:
                body = self._body()
                parts = self.path.split("/")
                if self.path == f"{EXTENSION}/register":
                    with api._changed:
                        if api.init_done:  # Lambda refuses registration after init
                            self._reply(403, b'{"errorType":"Extension.InitPhaseEnded"}')
                            return
                        if not api.accept_extensions:
                            self._reply(500, b'{"errorType":"Extension.ServiceException"}')
                            return
                        identifier = str(uuid.uuid4())
                        api.extensions[identifier] = self.headers.get("Lambda-Extension-Name", "")
                    self._reply(
                        200,
                        json.dumps(
                            {"functionName": "receiver", "functionVersion": "$LATEST"}
                        ).encode(),
                        {"Lambda-Extension-Identifier": identifier},
                    )
                elif self.path == f"{RUNTIME}/init/error":
                    with api._changed:
                        api.init_error = body
                        api._changed.notify_all()
                    self._reply(202, b"{}")
                elif self.path.startswith(f"{RUNTIME}/invocation/") and parts[-1] in {
                    "response",
                    "error",
                }:
                    with api._changed:
                        invocation = api._find(parts[-2])
                        invocation.responded_at = time.perf_counter()
                        if parts[-1] == "response":
                            invocation.response = body
                        else:
                            invocation.error = body
                        api._changed.notify_all()
                    self._reply(202, b'{"status":"OK"}')
                else:
                    self._reply(404, b"{}")

        return Handler


def http_api_event(
    path: str,
    body: bytes,
    headers: dict[str, str],
    method: str = "POST",
    query: str = "",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2) event, as Lambda would deliver it."""
    import base64

    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com", **headers},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "bench",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }
