"""moto's HTTP server, with DynamoDB requests made atomic as they are on AWS.

moto's server handles requests on threads, and its DynamoDB checks a ConditionExpression and
then writes without a lock: two concurrent conditional PutItems can both succeed, which real
DynamoDB never allows (our exactly-once claim depends on it; the e2e test of 32 concurrent copies
caught it). DynamoDB requests are therefore serialised here; S3 and SQS stay concurrent (an SQS
long poll must not block the rest).

    python -m infra.moto_server [-H 127.0.0.1] [-p 5000]
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


class AtomicDynamoDB:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    run_simple(
        args.host,
        args.port,
        AtomicDynamoDB(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
