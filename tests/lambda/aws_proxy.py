"""A TCP proxy in front of the moto server, for the SnapStart tests.

It stands for the network seen from a Lambda environment: `snapshot()` marks every connection
open at that moment as made before the snapshot; a request later sent on one of them is counted
in `stale_requests` and the connection is reset (what a restored environment may meet). Each
request's first line is time-stamped (`requests`), on the clock of the fake Runtime API, so a
test can place the archive's PUT between the posted response and the extension's `next`.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

METHODS = (b"GET ", b"PUT ", b"POST ", b"HEAD ", b"DELETE ")


@dataclass
class Request:
    at: float
    line: str
    stale: bool


@dataclass
class AwsProxy:
    target: tuple[str, int]
    requests: list[Request] = field(default_factory=list)
    stale_requests: int = 0
    _generation: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket = field(init=False)
    _sockets: list[socket.socket] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def snapshot(self) -> None:
        with self._lock:
            self._generation += 1

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
                generation = self._generation
            threading.Thread(
                target=self._forward_requests, args=(client, upstream, generation), daemon=True
            ).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _forward_requests(
        self, client: socket.socket, upstream: socket.socket, generation: int
    ) -> None:
        try:
            while chunk := client.recv(65536):
                if chunk.startswith(METHODS):
                    line = chunk.split(b"\r\n", 1)[0].decode(errors="replace")
                    with self._lock:
                        stale = generation != self._generation
                        self.requests.append(Request(time.perf_counter(), line, stale))
                        if stale:
                            self.stale_requests += 1
                    if stale:
                        # RST, not FIN: the connection is gone, not politely closed.
                        client.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        break
                upstream.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()
