"""The receiver's Lambda handler per request, by path: accepted, duplicate, 401, 404.

    python -m bench.paths [--calls 400] [--rounds 5]

CPU µs of the calling thread per request (median of rounds), AWS stubbed as in `warm`, work after
the response done between calls and not counted (on Lambda it runs after the handler returned).
Not in `make bench`: it compares code, not subjects. Run it in two checkouts one after the other,
a few times each, to see what a change costs on each path (the duplicate's and the refusals'
counts, handler/store/tally.py, were measured so).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import json
import os
import time
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from bench.common import CONTEXT, NoOpAws, median, receiver_env, stub_io, webhook_event
from infra.apigw import http_api_event


class AlreadyEnqueued(NoOpAws):
    """Every claim finds the delivery durable already: the duplicate's path."""

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        found: Any = {
            "Error": {"Code": "ConditionalCheckFailedException"},
            "Item": {"status": {"S": "enqueued"}},
        }
        raise ClientError(found, "PutItem")


class SettledExtension:
    """Stands in for the registered extension: tasks go to the after-response thread."""


def measure(calls: int, rounds: int) -> dict[str, float]:
    for name, value in receiver_env(AWS_LAMBDA_FUNCTION_NAME="bench-receiver").items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_LAMBDA_RUNTIME_API", None)
    os.environ["QUARANTINE_ENABLED"] = "false"  # a 401's S3 copy is not what is measured
    import handler.main as main
    from handler.receive.lambda_ext import AckFirst

    stub_io(main.receiver)
    runner = main.after_response
    assert runner is not None
    handler = AckFirst(main._mangum, runner, SettledExtension())  # type: ignore[arg-type]
    accepted = webhook_event()
    forged = copy.deepcopy(accepted)
    forged["headers"]["x-hub-signature-256"] = "sha256=" + "0" * 64
    nowhere = http_api_event(
        "POST", "/webhooks/nowhere", headers={"content-type": "application/json"}, body=b"{}"
    )
    paths = [
        ("accepted", accepted, 202),
        ("bad_signature", forged, 401),
        ("unknown_source", nowhere, 404),
        ("duplicate", accepted, 200),
    ]
    results: dict[str, float] = {}
    for name, event, status in paths:
        if name == "duplicate":
            duplicates: Any = AlreadyEnqueued()
            main.receiver.dedup = replace(main.receiver.dedup, dynamodb=duplicates)
        answer = handler(event, CONTEXT)
        assert answer["statusCode"] == status, (name, answer)
        per_round = []
        for _ in range(rounds):
            gc.collect()
            cpu = 0.0
            for _ in range(calls):
                started = time.thread_time()
                handler(event, CONTEXT)
                cpu += time.thread_time() - started
                runner.wait_idle(5.0)  # untimed: after the response
            per_round.append(cpu / calls * 1e6)
        results[name] = round(median(per_round), 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.paths", description=__doc__)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        results = measure(arguments.calls, arguments.rounds)
    print(json.dumps({"cpu_us_per_request": results}))


if __name__ == "__main__":
    main()
