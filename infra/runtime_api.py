"""A fake Lambda Runtime + Extensions API on 127.0.0.1: enough for awslambdaric and our extension.

It keeps Lambda's rules that matter for ack-first: an invocation's response is whatever the
runtime POSTs; the environment counts as frozen only once the runtime **and** every registered
extension have called `next` again; an extension may only register before the runtime's first
`next` (the init phase). Every step is time-stamped so tests and the benchmark can compare when
the response was posted with when the extension let the environment go.

SnapStart (`snap_start=True`, with the runtime client started with
AWS_LAMBDA_INITIALIZATION_TYPE=snap-start): init ends when the runtime calls `restore/next` and
every extension waits on `next`; then the "snapshot" is taken, which **drops every connection
open at that moment** without a word (no reply, no close: what a long poll made before a snapshot
may see after a restore), and `on_snapshot` runs (e.g. a proxy dropping the function's AWS
connections). `restore()` answers `restore/next`, i.e. starts an environment from the snapshot;
a later `restore()` starts another one (a runtime restored in place calls `restore/next` once;
infra/snapfork.py forks a new process for each answer), dropping the previous environment's
connections as Lambda discards it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
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


class Dropped(Exception):
    """This connection was open when a snapshot was taken: it never gets another byte."""


class FakeRuntimeAPI:
    def __init__(
        self,
        timeout_seconds: float = 30.0,
        accept_extensions: bool = True,
        snap_start: bool = False,
        on_snapshot: Callable[[], None] | None = None,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.accept_extensions = accept_extensions  # False: every registration is refused
        self.snap_start = snap_start
        self.on_snapshot = on_snapshot
        self.invocations: list[Invocation] = []
        self.extensions: dict[str, str] = {}  # identifier -> name
        self.init_error: bytes | None = None
        self.restore_error: bytes | None = None
        self.init_done = False
        self.snapshot_at = 0.0  # perf_counter when the snapshot was taken
        self.restores = 0  # environments started from the snapshot (restore() calls)
        self.restored_at = 0.0  # when the last restore/next was answered
        self.dropped = 0  # connections dropped by the snapshot or a discarded environment
        self.polls_at_snapshot = 0  # extensions' `next` calls open when it was taken
        # Connections belong to a generation: a snapshot or a new environment starts a new one,
        # and a connection of an older generation is dropped.
        self._generation = 0
        self._answered_restores = 0
        self._extension_waiting: set[str] = set()
        self._runtime_waiting = False
        self._closing = threading.Event()
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
        self._closing.set()  # dropped connections' threads end (still without replying)
        with self._changed:
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def restore(self, timeout: float = 30.0) -> None:
        """Start an environment from the snapshot; return once its runtime waits for an event
        (its after-restore hooks have run). The previous environment, if any, is discarded."""
        with self._changed:
            if self.restores:  # a new environment: the old one's connections are dropped
                self._generation += 1
                self.invocations = []
                self._runtime_cursor = 0
                self._extension_cursor = dict.fromkeys(self.extensions, 0)
                self._extension_waiting.clear()
            self._runtime_waiting = False
            self.restores += 1
            self._changed.notify_all()
            ready = self._changed.wait_for(
                lambda: self._runtime_waiting or self.restore_error is not None, timeout
            )
        if self.restore_error is not None:
            raise RuntimeError(f"restore error: {self.restore_error.decode(errors='replace')}")
        if not ready:
            raise TimeoutError("the restored runtime did not ask for an event in time")

    def wait_init(self, extensions: int = 0, timeout: float = 60.0) -> None:
        """Until the runtime and `extensions` extensions all wait on their first next (with
        SnapStart: until the snapshot is taken)."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: (
                    self.init_error is not None
                    or (
                        self.init_done
                        and len(self._extension_cursor) >= extensions
                        and (not self.snap_start or self.snapshot_at > 0)
                    )
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

    def _wait(self, generation: int, ready: Callable[[], bool]) -> None:
        """Block (holding `_changed`) until `ready()`; raise Dropped if a snapshot or a new
        environment made this connection's generation stale meanwhile."""
        self._changed.wait_for(
            lambda: generation != self._generation or self._closing.is_set() or ready()
        )
        if generation != self._generation or self._closing.is_set():
            raise Dropped

    def _runtime_next(self, generation: int) -> Invocation:
        with self._changed:
            now = time.perf_counter()
            if self._runtime_cursor > 0:
                self.invocations[self._runtime_cursor - 1].runtime_next_at = now
            self.init_done = True
            self._runtime_waiting = True
            self._changed.notify_all()
            self._wait(generation, lambda: len(self.invocations) > self._runtime_cursor)
            self._runtime_waiting = False
            invocation = self.invocations[self._runtime_cursor]
            self._runtime_cursor += 1
            invocation.dispatched_at = time.perf_counter()
            return invocation

    def _extension_next(self, identifier: str, generation: int) -> Invocation:
        with self._changed:
            cursor = self._extension_cursor.setdefault(identifier, 0)
            if cursor > 0 and identifier not in self.invocations[cursor - 1].extensions_next_at:
                self.invocations[cursor - 1].extensions_next_at[identifier] = time.perf_counter()
            self._extension_waiting.add(identifier)
            self._changed.notify_all()
            try:
                self._wait(generation, lambda: len(self.invocations) > cursor)
            finally:
                if generation == self._generation:
                    self._extension_waiting.discard(identifier)
            self._extension_cursor[identifier] = cursor + 1
            return self.invocations[cursor]

    def _restore_next(self) -> None:
        """The runtime's end of init (first call) and its wait for each restore."""
        with self._changed:
            if not self.init_done:
                # Init ends once every registered extension waits on next too; then snapshot.
                self._changed.wait_for(
                    lambda: (
                        self._closing.is_set() or self._extension_waiting >= set(self.extensions)
                    )
                )
                self.init_done = True
                self._generation += 1  # every connection open now is dropped
                self.polls_at_snapshot = len(self._extension_waiting)
                self._extension_waiting.clear()
                self.snapshot_at = time.perf_counter()
                if self.on_snapshot is not None:
                    self.on_snapshot()
                self._changed.notify_all()
            answered = self._answered_restores
            self._changed.wait_for(lambda: self._closing.is_set() or self.restores > answered)
            if self._closing.is_set():
                raise Dropped
            self._answered_restores = self.restores
            self.restored_at = time.perf_counter()

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

            def handle_one_request(self) -> None:
                # A keep-alive connection's next request is read in the generation it
                # arrives in, unless the connection itself is older than a snapshot.
                if not hasattr(self, "generation"):
                    self.generation = api._generation
                try:
                    if self.generation != api._generation:
                        raise Dropped
                    super().handle_one_request()
                except Dropped:
                    # Dropped without a word: no reply and no close, until the API closes.
                    with api._changed:
                        api.dropped += 1
                    api._closing.wait()
                    self.close_connection = True

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
                if self.path == f"{RUNTIME}/restore/next" and api.snap_start:
                    api._restore_next()
                    self.generation = api._generation  # the one call a snapshot keeps
                    self._reply(200, b"{}")
                elif self.path == f"{RUNTIME}/invocation/next":
                    invocation = api._runtime_next(self.generation)
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
                    invocation = api._extension_next(identifier, self.generation)
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
                elif self.path == f"{RUNTIME}/restore/error":
                    with api._changed:
                        api.restore_error = body
                        api._changed.notify_all()
                    self._reply(202, b"{}")
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
