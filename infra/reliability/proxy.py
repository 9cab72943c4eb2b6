"""A fault-injecting HTTP proxy in front of the moto server, one listening port per service.

    python -m infra.reliability.proxy --upstreams '{"s3": 5001, "sqs": 5002, "dynamodb": 5003}'

The receiver and the worker get AWS_ENDPOINT_URL_S3 / _SQS / _DYNAMODB pointing at the three
service ports, so that "connection refused" can be real (the service's listener is closed). Each
request is also classified by its content (X-Amz-Target / Action= for SQS and DynamoDB, S3
otherwise) and faults are chosen per request from the rules set on the control port:

    POST /rules  {"rules": [{"service": "s3", "kind": "500", "rate": 0.2}, ...]}
    GET  /stats  counts of requests and injected faults by service and kind

Kinds: refused (listener closed; rate ignored), reset_before (RST before forwarding),
reset_after (forwarded, then RST instead of the answer), 500, throttle (503 SlowDown for S3,
400 ThrottlingException for SQS/DynamoDB), latency (forwarded, answer held `delay` seconds).
Only 127.0.0.1 is ever bound or contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SERVICES = ("s3", "sqs", "dynamodb")
KINDS = ("refused", "reset_before", "reset_after", "500", "throttle", "latency")
HOST = "127.0.0.1"
MAX_HEAD = 64 * 1024


class Incomplete(Exception):
    """The peer closed before a whole message arrived."""


def classify(head: dict[str, str], target: str, body: bytes) -> str:
    """Which AWS service a request is for: by the request itself, as AWS routes it."""
    amz_target = head.get("x-amz-target", "")
    if amz_target.startswith("DynamoDB"):
        return "dynamodb"
    if amz_target.startswith("AmazonSQS"):
        return "sqs"
    if "Action=" in target or body[:200].find(b"Action=") >= 0:
        return "sqs"
    return "s3"


async def read_message(
    reader: asyncio.StreamReader,
    *,
    response_to: str | None = None,
    before_body: Any = None,
) -> tuple[bytes, dict[str, str], bytes]:
    """(start line + headers as raw bytes, lower-cased headers, raw body) of one message.

    `before_body(headers)` (requests only) is awaited between the head and the body: the place
    to answer `Expect: 100-continue`.
    """
    try:
        raw_head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        raise Incomplete from error
    except asyncio.LimitOverrunError as error:
        raise Incomplete from error
    lines = raw_head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    status = 0
    if response_to is not None:
        parts = lines[0].split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if response_to == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return raw_head, headers, b""
    if before_body is not None:
        await before_body(headers)
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while True:
                size_line = await reader.readuntil(b"\r\n")
                body += size_line
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers until the empty line
                        trailer = await reader.readuntil(b"\r\n")
                        body += trailer
                        if trailer == b"\r\n":
                            break
                    break
                body += await reader.readexactly(size + 2)
            return raw_head, headers, bytes(body)
        length = headers.get("content-length")
        if length is not None:
            return raw_head, headers, await reader.readexactly(int(length))
        if response_to is not None:
            return raw_head, headers, await reader.read()  # until close
        return raw_head, headers, b""
    except (asyncio.IncompleteReadError, ValueError) as error:
        raise Incomplete from error


def fault_response(service: str, kind: str) -> bytes:
    """An AWS-shaped error answer in the service's protocol."""
    if service == "s3":
        code, status = ("SlowDown", 503) if kind == "throttle" else ("InternalError", 500)
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>injected {kind}</Message><RequestId>fault</RequestId></Error>"
        ).encode()
        content_type = "application/xml"
    else:
        if kind == "throttle":
            status = 400
            code = (
                "com.amazonaws.dynamodb.v20120810#ThrottlingException"
                if service == "dynamodb"
                else "com.amazonaws.sqs#RequestThrottled"
            )
        else:
            status = 500
            code = (
                "com.amazonaws.dynamodb.v20120810#InternalServerError"
                if service == "dynamodb"
                else "com.amazonaws.sqs#InternalError"
            )
        body = json.dumps({"__type": code, "message": f"injected {kind}"}).encode()
        content_type = "application/x-amz-json-1.0"
    reason = {500: "Internal Server Error", 503: "Service Unavailable", 400: "Bad Request"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nx-amzn-RequestId: fault\r\n\r\n"
    )
    return head.encode() + body


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST: the client sees 'connection reset by peer', not a clean close."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass
class Rule:
    service: str  # s3 | sqs | dynamodb | *
    kind: str
    rate: float = 1.0
    delay: float = 0.0

    def matches(self, service: str) -> bool:
        return self.service in ("*", service)


@dataclass
class Proxy:
    upstreams: dict[str, int]  # moto server port by service
    rules: list[Rule] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    servers: dict[str, asyncio.AbstractServer] = field(default_factory=dict)
    writers: dict[str, set[asyncio.StreamWriter]] = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)
    rng: random.Random = field(default_factory=random.Random)

    async def open(self, service: str) -> None:
        port = self.ports.get(service, 0)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        self.ports[service] = sock.getsockname()[1]
        server = await asyncio.start_server(
            lambda r, w: self.client(service, r, w), sock=sock, limit=MAX_HEAD, backlog=512
        )
        self.servers[service] = server
        self.writers.setdefault(service, set())

    async def close(self, service: str) -> None:
        """Refuse new connections to `service` and cut the open ones."""
        server = self.servers.pop(service, None)
        if server is not None:
            server.close()
        for writer in list(self.writers.get(service, ())):
            reset(writer)

    async def apply(self, rules: list[Rule]) -> None:
        self.rules = rules
        refused = {r.service for r in rules if r.kind == "refused"}
        for service in SERVICES:
            down = service in refused or "*" in refused
            if down and service in self.servers:
                await self.close(service)
            elif not down and service not in self.servers:
                await self.open(service)

    def choose(self, service: str) -> Rule | None:
        for rule in self.rules:
            if rule.kind != "refused" and rule.matches(service) and self.rng.random() < rule.rate:
                return rule
        return None

    async def client(
        self, port_service: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.writers[port_service].add(writer)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        upstream_service = port_service
        try:
            while True:

                async def continue_(headers: dict[str, str]) -> None:
                    if headers.get("expect", "").lower() == "100-continue":
                        # botocore waits for this (up to 1 s) before it sends an S3 body.
                        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                        await writer.drain()

                try:
                    raw_head, headers, body = await read_message(reader, before_body=continue_)
                except Incomplete:
                    return
                request_line = raw_head.split(b"\r\n", 1)[0].decode("latin-1")
                method, _, rest = request_line.partition(" ")
                target = rest.rsplit(" ", 1)[0]
                service = classify(headers, target, body)
                self.stats[f"{service}.requests"] += 1
                rule = self.choose(service)
                kind = rule.kind if rule else None
                if kind:
                    self.stats[f"{service}.{kind}"] += 1
                if kind == "reset_before":
                    reset(writer)
                    return
                if kind in ("500", "throttle"):
                    writer.write(fault_response(service, kind))
                    await writer.drain()
                    continue
                if upstream is None:
                    upstream = await asyncio.open_connection(HOST, self.upstreams[service])
                    upstream_service = service
                elif upstream_service != service:  # not expected: one port, one service
                    upstream[1].close()
                    upstream = await asyncio.open_connection(HOST, self.upstreams[service])
                    upstream_service = service
                up_reader, up_writer = upstream
                up_writer.write(strip_expect(raw_head) + body)
                await up_writer.drain()
                try:
                    response_head, response_headers, response_body = await read_message(
                        up_reader, response_to=method
                    )
                except Incomplete:
                    reset(writer)
                    return
                if kind == "reset_after":
                    reset(writer)
                    return
                if kind == "latency" and rule is not None:
                    await asyncio.sleep(rule.delay)
                writer.write(response_head + response_body)
                await writer.drain()
                if response_headers.get("connection", "").lower() == "close":
                    upstream[1].close()
                    upstream = None
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, OSError):
            return
        finally:
            self.writers[port_service].discard(writer)
            if upstream is not None:
                upstream[1].close()
            if not writer.is_closing():
                writer.close()


def strip_expect(raw_head: bytes) -> bytes:
    lines = raw_head.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.lower().startswith(b"expect:"))


async def control(proxy: Proxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        raw_head, _, body = await read_message(reader)
        line = raw_head.split(b"\r\n", 1)[0].decode()
        answer: Any
        if line.startswith("POST /rules"):
            document = json.loads(body or b"{}")
            await proxy.apply([Rule(**rule) for rule in document.get("rules", [])])
            answer = {"ok": True, "ports": proxy.ports}
        elif line.startswith("GET /stats"):
            answer = dict(proxy.stats)
        else:
            answer = {"ports": proxy.ports, "open": sorted(proxy.servers)}
        data = json.dumps(answer).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        await writer.drain()
    except (Incomplete, ConnectionError, ValueError, TypeError):
        pass
    finally:
        writer.close()


async def serve(upstreams: dict[str, int], control_port: int, ports_file: str | None) -> None:
    proxy = Proxy(upstreams)
    for service in SERVICES:
        await proxy.open(service)
    server = await asyncio.start_server(
        lambda r, w: control(proxy, r, w), HOST, control_port, limit=MAX_HEAD
    )
    if ports_file:
        with open(ports_file + ".tmp", "w") as handle:
            json.dump({**proxy.ports, "control": server.sockets[0].getsockname()[1]}, handle)
        os.replace(ports_file + ".tmp", ports_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    for service in list(proxy.servers):
        await proxy.close(service)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstreams", required=True, help='{"s3": port, "sqs": ..., ...}')
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--ports-file")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    asyncio.run(serve(json.loads(args.upstreams), args.control_port, args.ports_file))


if __name__ == "__main__":
    main()
