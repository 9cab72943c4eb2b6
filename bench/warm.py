"""2. Warm invoke in process, AWS stubbed: µs per call, interleaved batches, medians."""

from __future__ import annotations

import contextlib
import gc
import os
import random
import time
from collections.abc import Callable
from typing import Any

from bench.common import CONTEXT, median, receiver_env, stub_io, webhook_event


class SettledExtension:
    """Stands in for the registered extension: tasks go to the after-response thread."""


def subjects() -> dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]]:
    for name, value in receiver_env(AWS_LAMBDA_FUNCTION_NAME="bench-receiver").items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_LAMBDA_RUNTIME_API", None)
    from mangum import Mangum

    import handler.main as main
    from bench.subjects import bare, fastapi_floor, powertools
    from handler import metrics
    from handler.receive.api import create_app
    from handler.receive.lambda_ext import AckFirst, AfterResponse
    from handler.wiring import receiver as build_receiver

    stub_io(main.receiver)
    runner = main.after_response
    assert runner is not None

    def ours(handler: Any) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        # As on Lambda: the archive runs on the after-response thread, between invocations;
        # Powertools' Lambda context on the log lines and the ColdStart check on every call.
        inner = AckFirst(handler.handler, handler.runner, SettledExtension())  # type: ignore[arg-type]
        wrapped = metrics.lambda_entry(inner)

        def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
            return wrapped(event, context)

        call.settle = lambda: handler.runner.wait_idle(5.0)  # type: ignore[attr-defined]
        return call

    instant_settings = main.settings.model_copy(update={"ack_policy": "instant"})
    instant_receiver = build_receiver(instant_settings, main.clients, dict(main.receiver.sources))
    stub_io(instant_receiver)
    instant_runner = AfterResponse()
    instant_app = create_app(
        instant_receiver, docs=False, after_response=instant_runner, inline_io=True
    )
    instant = AckFirst(Mangum(instant_app, lifespan="off"), instant_runner, SettledExtension())  # type: ignore[arg-type]
    return {
        "bare": bare.handler,
        "powertools": powertools.handler,
        "fastapi-floor": fastapi_floor.handler,
        "ours": ours(main.lambda_handler),
        "ours-instant": ours(instant),
    }


def run(quick: bool) -> dict[str, Any]:
    # Our handler prints one EMF line per delivery: written, as on Lambda, but not shown.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        return measure(quick)


def measure(quick: bool) -> dict[str, Any]:
    calls = 2_000 if quick else 10_000
    rounds = 3 if quick else 5
    batch = calls // rounds
    handlers = subjects()
    event = webhook_event()
    for name, handler in handlers.items():  # warm-up, and check every subject accepts
        response = handler(event, CONTEXT)
        assert response["statusCode"] == 202, (name, response)
        getattr(handler, "settle", lambda: None)()
    per_call: dict[str, list[float]] = {name: [] for name in handlers}
    # CPU time of the calling thread too: on a shared machine (other processes on the same
    # cores) wall time per call swings by 2x between runs; the handler's own CPU does not.
    cpu_per_call: dict[str, list[float]] = {name: [] for name in handlers}
    for _ in range(rounds):
        for name in random.sample(list(handlers), len(handlers)):
            handler = handlers[name]
            settle = getattr(handler, "settle", None)
            gc.collect()
            spent = cpu = 0.0
            for _ in range(batch):
                started, cpu_started = time.perf_counter(), time.thread_time()
                handler(event, CONTEXT)
                spent += time.perf_counter() - started
                cpu += time.thread_time() - cpu_started
                if settle is not None:  # untimed: Lambda would do this after the response
                    settle()
            per_call[name].append(spent / batch * 1e6)
            cpu_per_call[name].append(cpu / batch * 1e6)
    base = median(per_call["bare"])
    floor, cpu_floor = median(per_call["fastapi-floor"]), median(cpu_per_call["fastapi-floor"])
    return {
        "calls": batch * rounds,
        "subjects": {
            name: {
                "median_us": median(values),
                "median_cpu_us": median(cpu_per_call[name]),
                "ratio_to_bare": median(values) / base,
                "ratio_to_floor": median(values) / floor,
                "cpu_ratio_to_floor": median(cpu_per_call[name]) / cpu_floor,
                "rounds_us": values,
                "rounds_cpu_us": cpu_per_call[name],
            }
            for name, values in per_call.items()
        },
    }
