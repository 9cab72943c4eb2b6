"""A small HTTP destination on 127.0.0.1: scripted answers, every request recorded.

Tests script it (fail, time out, 429 + Retry-After, 410) and read what arrived; `make run`
starts it as the demo sources' destination, the reliability run makes it flap, and the bench
counts what it receives. Effects are counted by `webhook-id`, as a real destination would dedup.

    python -m infra.destination_server --port 8099   # prints one line per delivery received
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds before answering (longer than the timeout: a timeout)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float  # arrival
    status: int  # what we answered


class DestinationServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> None:
        self.scripts: dict[str, deque[Answer]] = {}
        self.defaults: dict[str, Answer] = {}
        self.flap: dict[str, float] = {}  # path -> share of requests answered 503
        self.received: list[Received] = []  # answered (or abandoned by the client)
        self.arrived = threading.Event()  # set when any request arrives, before its answer
        self.in_flight = 0  # requests arrived and not yet answered
        self.max_in_flight = 0  # the most at once: whether a client sends side by side
        self.lock = threading.Lock()
        self.quiet = quiet
        self.rand = random.Random(7)
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, *answers: Answer) -> None:
        """Answer the next requests to `path` with these, in order; then the default."""
        with self.lock:
            self.scripts.setdefault(path, deque()).extend(answers)

    def default(self, path: str, answer: Answer) -> None:
        with self.lock:
            self.defaults[path] = answer

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def effects(self, path: str) -> dict[str, int]:
        """Accepted (2xx) requests by webhook-id: one entry per effect, its count of 2xx."""
        counts: dict[str, int] = {}
        for request in self.at(path):
            if 200 <= request.status < 300:
                key = request.headers.get("webhook-id", "")
                counts[key] = counts.get(key, 0) + 1
        return counts

    def _next(self, path: str) -> Answer:
        with self.lock:
            script = self.scripts.get(path)
            if script:
                return script.popleft()
            share = self.flap.get(path)
            if share is not None and self.rand.random() < share:
                return Answer(503, body=b"flapping")
            return self.defaults.get(path, Answer())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                arrived = time.time()  # when the request came, before its body and our answer
                with server.lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self.respond(arrived)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def respond(self, arrived: float) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                server.arrived.set()
                answer = server._next(self.path)
                if answer.delay:
                    time.sleep(answer.delay)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with server.lock:
                    server.received.append(
                        Received(self.path, headers, body, arrived, answer.status)
                    )
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the client gave up (its timeout): nothing to answer
                if not server.quiet:
                    print(
                        f"destination: {self.path} {answer.status}"
                        f" id={headers.get('webhook-id')} source={headers.get('webhook-source')}"
                        f" type={headers.get('webhook-event-type')} bytes={len(body)}",
                        flush=True,
                    )

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> DestinationServer:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def running(port: int = 0) -> Iterator[DestinationServer]:
    server = DestinationServer(port=port).start()
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    server = DestinationServer(port=args.port, quiet=False)
    print(f"destination: listening on {server.url('/')}", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()


if __name__ == "__main__":
    main()
