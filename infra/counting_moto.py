"""A moto server that counts every AWS request it answers, by service and operation.

What one delivery costs on AWS is a count of requests (and, for DynamoDB, of 1 KB write units and
4 KB read units; for SQS, of 64 KB chunks). This server is `infra/moto_server.py`'s (atomic
DynamoDB, in-place SQS deletes) with a WSGI middleware in front of moto that classifies each
request before moto answers it:

    DynamoDB, SQS   the JSON protocol's `X-Amz-Target` (`DynamoDB_20120810.PutItem`, `AmazonSQS.…`)
    S3              the SigV4 credential scope names `s3`; method + path + query give the operation
                    (PUT /bucket/key PutObject, HEAD HeadObject, GET ?list-type=2 ListObjectsV2 …)

A PutObject with `If-None-Match`/`If-Match`, and a DynamoDB write with a `ConditionExpression`,
is also counted as conditional; answers 4xx and 5xx are counted per operation (S3 bills them, a
failed conditional DynamoDB write still uses write units). DynamoDB write units are sized from moto's own copy of the item before and after the
write (the larger, in 1 KB units), read units from the item read (4 KB units, halved unless
strongly consistent). An SQS request is billed per 64 KB of payload; a ReceiveMessage's answer is
read for how many messages it handed out (the worker's batch size).

    GET  /_counter         the counts as JSON
    POST /_counter         the counts, and start again from zero

A request whose User-Agent holds `counting-moto/uncounted` is answered and not counted: a bench's
own checks (is everything processed?) must not be billed to the product.

    python -m infra.counting_moto [-H 127.0.0.1] [-p 5000]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

from infra.moto_server import AtomicDynamoDB, WsgiApp

UNCOUNTED_AGENT = "counting-moto/uncounted"
COUNTER_PATH = "/_counter"
SQS_CHUNK = 64 * 1024
WRITE_UNIT = 1024
READ_UNIT = 4 * 1024
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
# The single-item writes whose units depend on the item's size before and after.
ITEM_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
ITEM_READS = {"GetItem"}
# GET on a bucket with one of these is a configuration read, not a listing.
BUCKET_SUBRESOURCES = {
    "acl",
    "cors",
    "encryption",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "publicAccessBlock",
    "replication",
    "tagging",
    "versioning",
    "website",
}


@dataclass(frozen=True)
class Request:
    """What the classifier reads of one HTTP request (WSGI environ, decoded)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names


@dataclass(frozen=True)
class Call:
    service: str  # s3 | dynamodb | sqs | <scope's service> | unknown
    operation: str
    conditional: bool = False


def request_of(environ: dict[str, Any]) -> Request:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return Request(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=str(environ.get("PATH_INFO", "/")),
        query=str(environ.get("QUERY_STRING", "")),
        headers=headers,
    )


def scope_of(request: Request) -> tuple[str, str] | None:
    """(region, service) of the SigV4 signature: the Authorization header or a presigned URL."""
    found = SCOPE.search(request.headers.get("authorization", ""))
    if found is None:
        credential = parse_qs(request.query).get("X-Amz-Credential", [""])[0]
        found = SCOPE.search(f"Credential={credential}")
    return (found.group(1), found.group(2)) if found else None


def s3_operation(request: Request) -> Call:
    """S3's REST API: the operation is the method, whether a key is named, and the query."""
    query = parse_qs(request.query, keep_blank_values=True)
    parts = request.path.lstrip("/").split("/", 1)
    has_bucket = bool(parts[0])
    has_key = len(parts) == 2 and bool(parts[1])
    method = request.method
    conditional = "if-none-match" in request.headers or "if-match" in request.headers
    if not has_bucket:
        return Call("s3", "ListBuckets" if method == "GET" else f"{method} /")
    if has_key:
        if "uploadId" in query:
            names = {"PUT": "UploadPart", "POST": "CompleteMultipartUpload", "GET": "ListParts"}
            return Call("s3", names.get(method, "AbortMultipartUpload"))
        if "uploads" in query:
            return Call("s3", "CreateMultipartUpload")
        for sub in ("tagging", "acl", "retention", "legal-hold", "attributes"):
            if sub in query:
                return Call("s3", f"{method.title()}Object{sub.title().replace('-', '')}")
        if method == "PUT":
            if "x-amz-copy-source" in request.headers:
                return Call("s3", "CopyObject", conditional)
            return Call("s3", "PutObject", conditional)
        names = {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}
        return Call("s3", names.get(method, f"{method} object"), conditional)
    if method == "POST" and "delete" in query:
        return Call("s3", "DeleteObjects")
    if method == "GET":
        if query.get("list-type") == ["2"]:
            return Call("s3", "ListObjectsV2")
        if "versions" in query:
            return Call("s3", "ListObjectVersions")
        if "uploads" in query:
            return Call("s3", "ListMultipartUploads")
        config = next((name for name in query if name in BUCKET_SUBRESOURCES), None)
        if config is None:  # prefix, delimiter, marker, max-keys, encoding-type …
            return Call("s3", "ListObjects")
        return Call("s3", f"GetBucket{config.title().replace('-', '')}")
    names = {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}
    if query and method == "PUT":
        return Call("s3", f"PutBucket{next(iter(query)).title().replace('-', '')}")
    return Call("s3", names.get(method, f"{method} bucket"))


def classify(request: Request) -> Call:
    """Which service and operation a request is (the service from the JSON target, else the
    signature's scope)."""
    target = request.headers.get("x-amz-target", "")
    if target.startswith("DynamoDB_"):
        return Call("dynamodb", target.split(".", 1)[1])
    if target.startswith("AmazonSQS."):
        return Call("sqs", target.split(".", 1)[1])
    scope = scope_of(request)
    service = scope[1] if scope else ""
    if service == "s3":
        return s3_operation(request)
    action = parse_qs(request.query).get("Action", [""])[0]  # the query protocols (SQS of old)
    if service and action:
        return Call(service, action)
    if target:
        return Call(service or "unknown", target.rsplit(".", 1)[-1])
    return Call(service or "unknown", f"{request.method} {request.path}")


@dataclass
class Tally:
    """One operation's counts. `units`: DynamoDB write/read units, SQS 64 KB chunks, else
    requests; `messages`: SQS messages handed out by ReceiveMessage (or sent/deleted by a batch)."""

    requests: int = 0
    conditional: int = 0
    client_errors: int = 0
    server_errors: int = 0
    units: float = 0.0
    messages: int = 0
    empty: int = 0  # ReceiveMessage answers with no message: the poller's idle cost


class Counter:
    """Thread-safe counts by (service, operation)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tallies: dict[tuple[str, str], Tally] = {}

    def add(
        self, call: Call, status: int, units: float, messages: int = 0, empty: bool = False
    ) -> None:
        with self.lock:
            tally = self.tallies.setdefault((call.service, call.operation), Tally())
            tally.requests += 1
            tally.conditional += int(call.conditional)
            tally.client_errors += int(400 <= status < 500)
            tally.server_errors += int(status >= 500)
            tally.units += units
            tally.messages += messages
            tally.empty += int(empty)

    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{service: {operation: tally as a dict}}."""
        with self.lock:
            out: dict[str, dict[str, dict[str, Any]]] = {}
            for (service, operation), tally in sorted(self.tallies.items()):
                out.setdefault(service, {})[operation] = asdict(tally)
            return out

    def reset(self) -> None:
        with self.lock:
            self.tallies.clear()


def dynamodb_backend(region: str) -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region]


def item_size(region: str, table_name: str, key: dict[str, Any]) -> int:
    """Bytes of the stored item under `key` (0 if none), as moto sizes it (names + values)."""
    try:
        backend = dynamodb_backend(region)
        table = backend.get_table(table_name)
        key = {name: key[name] for name in (table.hash_key_attr, table.range_key_attr) if name}
        item = backend.get_item(table_name, key)
    except Exception:  # no table, no key: the request fails on its own, one unit
        return 0
    return int(item.size()) if item is not None else 0


def write_units(before: int, after: int) -> int:
    """A write uses the larger of the item's sizes before and after, in 1 KB units, at least 1
    (also when its condition failed)."""
    return max(1, math.ceil(max(before, after) / WRITE_UNIT))


def read_units(size: int, consistent: bool) -> float:
    """A read uses 4 KB units, at least one; an eventually consistent read half of that."""
    units = max(1, math.ceil(size / READ_UNIT))
    return units if consistent else units / 2


class Counting:
    """The WSGI middleware: classify, let moto answer, count with the answer's status."""

    def __init__(self, app: WsgiApp, counter: Counter | None = None) -> None:
        self.app = app
        self.counter = counter or Counter()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(COUNTER_PATH):
            return self.serve_counter(environ, start_response)
        request = request_of(environ)
        if UNCOUNTED_AGENT in request.headers.get("user-agent", ""):
            return self.app(environ, start_response)
        call = classify(request)
        body = b""
        if call.service in {"dynamodb", "sqs"}:  # small JSON bodies: read them, hand on a copy
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        status: list[int] = [0]

        def recording_start_response(status_line: str, headers: Any, *rest: Any) -> Any:
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, *rest)

        if call.service == "dynamodb":
            return self.dynamodb(call, request, body, environ, recording_start_response, status)
        answer: Iterable[bytes] = self.app(environ, recording_start_response)
        if call.service == "sqs":
            answer = list(answer)
            self.count_sqs(call, body, b"".join(answer), status[0])
        else:
            # The status is known once moto returned (werkzeug answers before iterating).
            self.counter.add(call, status[0], 1)
        return answer

    def dynamodb(
        self,
        call: Call,
        request: Request,
        body: bytes,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        status: list[int],
    ) -> Iterable[bytes]:
        scope = scope_of(request)
        region = scope[0] if scope else "us-east-1"
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            document = {}
        if "ConditionExpression" in document:
            call = replace(call, conditional=True)
        table = str(document.get("TableName", ""))
        key = document.get("Key") or document.get("Item") or {}
        before = item_size(region, table, key) if call.operation in ITEM_WRITES else 0
        answer = list(self.app(environ, start_response))
        if call.operation in ITEM_WRITES:
            units: float = write_units(before, item_size(region, table, key))
        elif call.operation in ITEM_READS:
            consistent = bool(document.get("ConsistentRead"))
            units = read_units(item_size(region, table, key), consistent)
        elif call.operation == "BatchGetItem":
            units = sum(
                read_units(item_size(region, name, k), bool(spec.get("ConsistentRead")))
                for name, spec in document.get("RequestItems", {}).items()
                for k in spec.get("Keys", [])
            )
        elif call.operation in {"Query", "Scan"}:  # sized by what was answered: close enough
            units = read_units(len(b"".join(answer)), bool(document.get("ConsistentRead")))
        elif call.operation == "BatchWriteItem":
            units = sum(len(items) for items in document.get("RequestItems", {}).values())
        elif call.operation == "TransactWriteItems":
            units = 2 * len(document.get("TransactItems", []))
        else:
            units = 0  # control plane (CreateTable, DescribeTable …): not billed per request
        self.counter.add(call, status[0], units)
        return answer

    def count_sqs(self, call: Call, body: bytes, answer: bytes, status: int) -> None:
        messages = 0
        payload = len(body)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        if call.operation == "ReceiveMessage":
            payload = len(answer)
            try:
                messages = len(json.loads(answer or b"{}").get("Messages", []))
            except ValueError:
                messages = 0
        elif call.operation.endswith("Batch"):
            messages = len(request.get("Entries", []))
        elif call.operation in {"SendMessage", "DeleteMessage", "ChangeMessageVisibility"}:
            messages = 1
        chunks = max(1, math.ceil(payload / SQS_CHUNK))
        empty = call.operation == "ReceiveMessage" and messages == 0 and status < 400
        self.counter.add(call, status, chunks, messages, empty)

    def serve_counter(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            self.counter.reset()
        answer = json.dumps(self.counter.snapshot()).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))]
        )
        return [answer]


def counting_app(counter: Counter | None = None) -> Counting:
    """moto behind the counter; DynamoDB requests serialised around both (the counter reads the
    item before and after a write, which must be the write's own before and after)."""
    return Counting(DomainDispatcherApplication(create_backend_app), counter)


def serve(host: str, port: int, counter: Counter | None = None) -> None:
    run_simple(
        host,
        port,
        AtomicDynamoDB(counting_app(counter)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
