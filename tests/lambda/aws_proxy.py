"""A keep-alive HTTP proxy in front of the moto server, for the SnapStart tests.

It stands for AWS as seen from a Lambda environment. moto's server closes every connection after
one response; AWS keeps them open, and botocore pools them, so a client made at init holds
connections into the snapshot. This proxy keeps the function's connections open (one upstream
request per request) and `snapshot()` marks every connection open at that moment as made before
the snapshot: a request later sent on one of them is counted in `stale_requests` and the
connection is reset (what a restored environment may meet). Each request is time-stamped on the
fake Runtime API's clock (`requests`), so a test can place the archive's PUT between the posted
response and the extension's `next`.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding"}


@dataclass
class Request:
    at: float
    line: str
    stale: bool


class AwsProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.requests: list[Request] = []
        self.stale_requests = 0
        self._generation = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def snapshot(self) -> None:
        with self._lock:
            self._generation += 1

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as AWS endpoints do

            def setup(self) -> None:
                super().setup()
                self.generation = proxy._generation

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def parse_request(self) -> bool:
                if not super().parse_request():
                    return False
                with proxy._lock:
                    stale = self.generation != proxy._generation
                    proxy.requests.append(Request(time.perf_counter(), self.requestline, stale))
                    if stale:
                        proxy.stale_requests += 1
                if stale:  # reset: RST, not FIN, and no response
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return False
                return True

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(*proxy.target, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    payload = response.read()
                finally:
                    upstream.close()
                self.send_response_only(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in HOP_BY_HOP | {"content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        return Handler
