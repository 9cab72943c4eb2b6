"""A destination that flaps: forwarding under 503s and worker SIGKILLs loses nothing.

A source `forwarded` forwards every delivery to a local destination answering 503 to a share of
requests (infra/destination_server.py). While deliveries are sent, workers are SIGKILLed and
started again. At the end every acknowledged delivery must have reached the destination with a
2xx (0 lost), each effect once when the destination dedups by `webhook-id` (a killed attempt
may be repeated: those extra 2xx requests are counted, at most one per kill and in-flight
attempt), and every request must carry a valid Standard Webhooks signature.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from handler.receive.signatures.base import SchemeOptions, SignatureError, SignedRequest
from handler.receive.signatures.standard import verify
from handler.settings import Settings
from infra.destination_server import DestinationServer

from .senders import RetryPolicy, Sender, Signer, make_delivery
from .stack import Stack

SOURCE = "forwarded"
PATH = "/flapping"
SECRET = "whsec_cmVsaWFiaWxpdHktZmxhcHBpbmctZGVzdGluYXRpb24="
FLAP_SHARE = 0.3  # of requests answered 503


def sources_toml(url: str) -> str:
    """The source and its destination, appended to the stack's sources file."""
    return f"""
[sources.{SOURCE}]
scheme = "github"
secrets = ["reliability-forwarded-secret"]

[[sources.{SOURCE}.destinations]]
name = "flapping"
url = "{url}"
secret = "{SECRET}"
allow_private_network = true
timeout_seconds = 2
retry = {{ initial_seconds = 1, multiplier = 2, max_interval_seconds = 3, horizon_seconds = 3600 }}
circuit = {{ failure_threshold = 50, open_seconds = 1 }}
"""


def flapping_destination() -> DestinationServer:
    server = DestinationServer().start()
    server.flap[PATH] = FLAP_SHARE
    return server


@dataclass
class DestinationResult:
    sent: int = 0
    acked: int = 0
    effects: int = 0  # distinct webhook-ids answered 2xx
    lost: int = 0  # acked, never answered 2xx by the destination
    extra_2xx: int = 0  # 2xx requests for an id already answered 2xx (deduped by webhook-id)
    most_extra_for_one_id: int = 0
    # A worker forwards up to this many attempts at once (FORWARD_CONCURRENCY): what one SIGKILL
    # can leave unrecorded, hence repeat.
    in_flight_per_worker: int = field(default_factory=lambda: Settings().forward_concurrency)
    requests: int = 0
    answered_503: int = 0
    bad_signatures: int = 0
    worker_kills: int = 0
    drained: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_flapping(
    stack: Stack,
    signer: Signer,
    destination: DestinationServer,
    *,
    count: int,
    budget: float,
    drain_timeout: float,
    kills: int,
    seed: int,
) -> DestinationResult:
    started = time.monotonic()
    sender = Sender(signer, stack.receiver_port, RetryPolicy())
    rng = random.Random(seed)
    deliveries = [make_delivery(SOURCE, "destination", rng) for _ in range(count)]
    deadline = started + budget
    result = DestinationResult(sent=len(deliveries))
    stop_chaos = threading.Event()

    def chaos() -> None:
        # Kill a worker every second or so while forwards (first attempts and retries) are in
        # flight; start it again at once. Runs into the drain: retries go on after the sends.
        names = [name for name in stack.processes if name.startswith("worker")]
        for n in range(kills):
            if stop_chaos.wait(1.0 + rng.random()):
                return
            name = names[n % len(names)]
            stack.kill(name)
            stack.start_worker(int(name.removeprefix("worker")))
            result.worker_kills += 1

    chaos_thread = threading.Thread(target=chaos, daemon=True)
    chaos_thread.start()
    sender.deadline = deadline
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda d: sender.send(d, random.Random(d.id)), deliveries))
    acked = {d.id for d in deliveries if d.acked}
    result.acked = len(acked)
    drain_until = time.monotonic() + drain_timeout
    while time.monotonic() < drain_until:
        if acked <= set(destination.effects(PATH)) and not chaos_thread.is_alive():
            result.drained = True
            break
        time.sleep(0.5)
    stop_chaos.set()
    chaos_thread.join(10)
    effects = destination.effects(PATH)
    result.effects = len(set(effects) & acked)
    result.lost = len(acked - set(effects))
    result.extra_2xx = sum(n - 1 for n in effects.values())
    result.most_extra_for_one_id = max((n - 1 for n in effects.values()), default=0)
    requests = destination.at(PATH)
    result.requests = len(requests)
    result.answered_503 = sum(1 for r in requests if r.status == 503)
    for request in requests:
        signed = SignedRequest("POST", "", request.headers, request.body)
        try:
            verify(signed, [SECRET], SchemeOptions(), now=request.at)
        except SignatureError:
            result.bad_signatures += 1
    result.seconds = round(time.monotonic() - started, 1)
    return result
