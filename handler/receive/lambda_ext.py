"""Ack first on Lambda: background work runs after the handler returns, and Lambda waits for it.

Mangum awaits every BackgroundTask before the handler returns, and on Lambda the response is
only sent when the handler returns: the sender would wait for the archive. And a thread left
running after the handler returns is frozen with the execution environment. So, on Lambda only:

1. the app hands its BackgroundTasks to `AfterResponse.defer` instead of awaiting them;
2. `AckFirst` (wrapping the Mangum handler) releases them to a worker thread as it returns, and
   the runtime posts the response;
3. an internal extension (`Extension`, registered at init through the Extensions API) makes its
   `event/next` call, which tells Lambda it may freeze the environment, only once the released
   work has finished. AWS bills that time as PostRuntimeExtensionsDuration.

If the extension cannot register (not on Lambda, or the Extensions API refuses) the work runs
before the handler returns, exactly as Mangum would have: slower, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any, Protocol

from handler import metrics
from handler.logs import logger
from handler.retries import DEFAULT_BACKOFF, Backoff, callable_name, describe, retry

EXTENSION_NAME = "webhook-after-response"
EXTENSIONS_API = "2020-01-01/extension"
# Call `next` this long before the invocation deadline even if work is left: past the deadline
# Lambda would time the invocation out and reset the environment, losing the work anyway.
DEADLINE_MARGIN_SECONDS = 0.5


class BackgroundTaskLike(Protocol):
    """Starlette's BackgroundTask, without importing Starlette here."""

    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class Job:
    func: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return callable_name(self.func)


def jobs_of(background: Any) -> list[Job]:
    """Flatten a BackgroundTasks (or one BackgroundTask) into jobs, keeping their order."""
    # An empty BackgroundTasks (a duplicate, a handshake) has no jobs: not itself as one.
    tasks: Iterable[BackgroundTaskLike] | None = getattr(background, "tasks", None)
    if tasks is None:
        tasks = [background]
    return [Job(task.func, tuple(task.args), dict(task.kwargs)) for task in tasks]


class AfterResponse:
    """Runs deferred jobs in one worker thread, in order, each with bounded retries.

    Jobs deferred while a handler runs are held until `invocation_done()`, so none of them
    competes with the handler for the GIL before the response is handed to the runtime.
    """

    def __init__(
        self, backoff: Backoff = DEFAULT_BACKOFF, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.backoff = backoff
        self._sleep = sleep
        self._changed = threading.Condition()
        self._held: list[Job] = []
        self._queue: deque[Job] = deque()
        self._running = 0
        self._invocations_done = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.failures = 0

    def defer(self, background: Any) -> None:
        with self._changed:
            self._held.extend(jobs_of(background))

    def invocation_done(self) -> None:
        """The handler is returning: start its jobs, and count the invocation as handled."""
        with self._changed:
            self._queue.extend(self._held)
            self._held.clear()
            self._invocations_done += 1
            # Not alive: an environment restored from a snapshot taken while a worker thread
            # existed may not have it (a fork keeps only the calling thread).
            if self._queue and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(
                    target=self._work, name="after-response", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def run_now(self) -> None:
        """No extension to keep the environment alive: run the held jobs before returning."""
        with self._changed:
            jobs = list(self._held)
            self._held.clear()
        for job in jobs:
            self._run(job)

    def settled(self, invocations: int) -> bool:
        return self._invocations_done >= invocations and not self._queue and not self._running

    def wait_idle(self, timeout: float | None) -> bool:
        """Wait until every job released so far has finished."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._queue and not self._running, timeout)

    def wait_settled(self, invocations: int, timeout: float | None) -> bool:
        """Wait until `invocations` handlers have returned and all their jobs have finished."""
        with self._changed:
            return self._changed.wait_for(lambda: self.settled(invocations), timeout)

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._queue))
                job = self._queue.popleft()
                self._running += 1
            try:
                self._run(job)
            finally:
                with self._changed:
                    self._running -= 1
                    self._changed.notify_all()

    def _run(self, job: Job) -> None:
        try:
            retry(lambda: self._call(job), backoff=self.backoff, sleep=self._sleep)
        except Exception as error:
            self.failures += 1
            logger.error(
                "after-response task failed after retries",
                extra={
                    "task": job.name,
                    "attempts": self.backoff.attempts,
                    "error": describe(error),
                },
            )
            metrics.emit({"AfterResponseTaskFailed": 1}, task=job.name)

    def _call(self, job: Job) -> None:
        result = job.func(*job.args, **job.kwargs)
        if inspect.isawaitable(result):
            # Async tasks run on this thread's own loop: the request's loop belongs to the
            # handler thread, which is already waiting for the next event.
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(result)


class Extension:
    """An Extensions API client for an internal extension: a thread of this very process.

    Its `event/next` long poll is open whenever the environment is idle, so also when a SnapStart
    snapshot is taken. That connection is not guaranteed to work after a restore (it may be
    dead without a word: a blocked read would then never return, and Lambda would hold every
    invocation until its timeout waiting for this extension). `restored()`, an after-restore
    hook, closes it; the loop then polls again on a new connection.
    """

    def __init__(self, runtime_api: str, name: str = EXTENSION_NAME) -> None:
        self.runtime_api = runtime_api
        self.name = name
        self.identifier = ""
        self.invocations = 0  # INVOKE events seen: the runner must settle that many
        self._lock = threading.Lock()
        self._inflight: Any = None  # the open HTTPConnection, if any
        self._generation = 0  # bumped by each restore
        self._thread: threading.Thread | None = None

    def _request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[dict[str, str], bytes]:
        import http.client  # only on Lambda; the ack path never needs it

        connection = http.client.HTTPConnection(self.runtime_api, timeout=None)
        with self._lock:
            self._inflight = connection
        try:
            connection.request(method, f"/{EXTENSIONS_API}/{path}", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200:
                raise OSError(f"Extensions API {path}: HTTP {response.status}")
            return {k.lower(): v for k, v in response.getheaders()}, payload
        finally:
            with self._lock:
                if self._inflight is connection:
                    self._inflight = None
            connection.close()

    def register(self) -> None:
        headers, _ = self._request(
            "POST",
            "register",
            json.dumps({"events": ["INVOKE"]}).encode(),
            {"Lambda-Extension-Name": self.name, "Content-Type": "application/json"},
        )
        self.identifier = headers["lambda-extension-identifier"]

    def next_event(self) -> dict[str, Any]:
        _, payload = self._request(
            "GET", "event/next", None, {"Lambda-Extension-Identifier": self.identifier}
        )
        event: dict[str, Any] = json.loads(payload)
        return event

    def start(self, runner: AfterResponse) -> None:
        self._thread = threading.Thread(
            target=self.hold_until_settled, args=(runner,), name=EXTENSION_NAME, daemon=True
        )
        self._thread.start()

    def restored(self, runner: AfterResponse) -> None:
        """After a SnapStart restore: drop the long poll made before the snapshot, poll again."""
        import socket

        self.runtime_api = os.environ.get("AWS_LAMBDA_RUNTIME_API") or self.runtime_api
        with self._lock:
            self._generation += 1
            stale, self._inflight = self._inflight, None
        polling = self._thread is not None and self._thread.is_alive()
        if stale is not None and stale.sock is not None:
            with contextlib.suppress(OSError):
                if polling:  # shutdown wakes the poll thread blocked in recv() on it
                    stale.sock.shutdown(socket.SHUT_RDWR)
                stale.close()
        if not polling:  # a restore that kept only the calling thread (a fork)
            self.start(runner)

    def _next_event_again(self) -> dict[str, Any]:
        """`next`, made again after a dropped connection: at once after a restore, with a
        bounded backoff otherwise. Never given up: an extension that stops polling makes Lambda
        hold every invocation until it times out."""
        delay = 0.0
        while True:
            with self._lock:
                generation = self._generation
            try:
                return self.next_event()
            except (OSError, ValueError, HTTPException) as error:
                with self._lock:
                    restored = generation != self._generation
                if restored:
                    continue
                logger.warning(
                    "extension next failed; polling again", extra={"error": describe(error)}
                )
                delay = min(1.0, delay * 2 or 0.05)
                time.sleep(delay)

    def hold_until_settled(self, runner: AfterResponse) -> None:
        """The extension's loop: each `next` call is made only once the previous invoke settled."""
        while True:
            event = self._next_event_again()
            if event.get("eventType") != "INVOKE":
                return
            self.invocations += 1
            deadline = float(event.get("deadlineMs", 0)) / 1000 - DEADLINE_MARGIN_SECONDS
            timeout = max(0.0, deadline - time.time()) if deadline > 0 else None
            if not runner.wait_settled(self.invocations, timeout):
                logger.error(
                    "after-response work still running at the invocation deadline",
                    extra={"request_id": event.get("requestId")},
                )
                metrics.emit({"AfterResponseDeadline": 1})


@dataclass
class AckFirst:
    """The Lambda handler: the wrapped handler's response goes back first, its work after."""

    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    runner: AfterResponse
    extension: Extension | None

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return self.handler(event, context)
        finally:
            if self.extension is None:
                self.runner.run_now()
            self.runner.invocation_done()


def start_extension(runner: AfterResponse, runtime_api: str | None = None) -> Extension | None:
    """Register at init (before the runtime's first `next`) and start the extension's thread."""
    api = runtime_api or os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not api:
        return None
    extension = Extension(api)
    try:
        extension.register()
    except (OSError, KeyError, ValueError) as error:
        logger.warning(
            "extension registration failed; background work will delay the response",
            extra={"error": describe(error)},
        )
        return None
    extension.start(runner)
    return extension
