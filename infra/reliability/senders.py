"""Deliveries signed the way each sender signs them, and senders that retry the way real ones do:
on any non-2xx answer or a timeout, with exponential backoff (honouring Retry-After), until an
attempt budget or a deadline runs out."""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from handler.receive.signatures.base import FORM as TWILIO_FORM
from handler.receive.sources import Source, load_sources
from handler.settings import Settings
from webhook_sim.senders import DEMO_DISCORD_SEED, sign

from .stack import CATALOGUE_SECRETS, HOST, ROTATING_SECRET

# A key the demo Discord source does not trust: deliveries signed with a wrong "secret".
OTHER_DISCORD_SEED = b"\x07" * 32

# Catalogue senders (handler/receive/senders) the harness sends too: one source of each in
# stack.CATALOGUE.
CATALOGUE_SOURCES = tuple(CATALOGUE_SECRETS)
SENDER_SOURCES = (
    "github",
    "stripe",
    "slack",
    "shopify",
    "standard",
    "twilio",
    "gitlab",
    "discord",
    "internal",
    "rotating",
    *CATALOGUE_SOURCES,
)


def load_harness_sources(path: Path) -> dict[str, Source]:
    env = {"RELIABILITY_ROTATING_SECRET": ROTATING_SECRET}
    return load_sources(Settings(webhook_sources_file=str(path)), lambda kind, name: "", env)


@dataclass
class Delivery:
    source: str
    id: str  # the delivery id the receiver must derive
    body: bytes
    event_type: str
    content_type: str
    cell: str
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)
    acked: bool = False
    acked_at: float | None = None
    latencies: list[float] = field(default_factory=list)
    wrong_id: bool = False

    @property
    def key(self) -> str:
        return f"{self.source}#{self.id}"

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body, usedforsecurity=False).hexdigest()


def _padding(rng: random.Random, size: int) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 é€") for _ in range(size))


def make_delivery(source: str, cell: str, rng: random.Random, size: int = 0) -> Delivery:
    """A unique delivery for `source`, its id where the sender puts it; `size` pads the body."""
    unique = uuid.UUID(int=rng.getrandbits(128)).hex
    pad = _padding(rng, size) if size else ""
    event_type = "reliability.test"
    content_type = "application/json"
    delivery_id = f"evt_{unique}"
    if source == "stripe":
        body = json.dumps({"id": delivery_id, "type": event_type, "pad": pad}, ensure_ascii=False)
    elif source == "slack":
        slack = {"type": "event_callback", "event_id": delivery_id, "event": {"type": "msg"}}
        body = json.dumps({**slack, "pad": pad}, ensure_ascii=False)
        event_type = "msg"
    elif source == "discord":
        discord = {"version": 1, "type": 1, "event": {"type": event_type}, "n": unique}
        body = json.dumps({**discord, "pad": pad}, ensure_ascii=False)
    elif source in CATALOGUE_SOURCES:
        # Catalogue senders (handler/receive/senders): the id rides in a header the signer sets
        # or in the body's "id" (Mux); the type in the body's "event" (Zoom) or "type" (Mux).
        document = {"id": delivery_id, "event": event_type, "type": event_type, "pad": pad}
        body = json.dumps(document, ensure_ascii=False)
    elif source == "twilio" and rng.random() < 0.5:
        # A form post, as Twilio sends for an incoming SMS: acked with TwiML, not our JSON.
        sms = {"MessageSid": f"SM{unique}", "SmsStatus": "received", "Body": pad or "hi"}
        body, event_type, content_type = urlencode(sms), "message.received", TWILIO_FORM
    else:
        body = json.dumps({"type": event_type, "n": unique, "pad": pad}, ensure_ascii=False)
    raw = body.encode()
    if source in ("github", "shopify", "internal", "gitlab") and rng.random() < 0.5:
        # Opaque bytes, CRLFs and invalid UTF-8: the archive must keep them byte for byte.
        raw = raw + b"\r\n\xff\xfe\x00\x80" + bytes(rng.getrandbits(8) for _ in range(64))
        content_type = "application/octet-stream"
    if source == "discord":
        delivery_id = "sha256-" + hashlib.sha256(raw).hexdigest()
    return Delivery(source, delivery_id, raw, event_type, content_type, cell)


class Signer:
    def __init__(self, sources: dict[str, Source], base_url: str) -> None:
        self.sources = sources
        self.base_url = base_url

    def sign(
        self, delivery: Delivery, now: float | None = None, secret: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """The path (with query) to post to and the headers the real sender would send; with
        `secret`, signed with that one instead (Discord: another key)."""
        signed = sign(
            self.sources[delivery.source],
            delivery.body,
            base_url=self.base_url,
            event_type=delivery.event_type,
            sender_id=delivery.id,
            content_type=delivery.content_type,
            now=now,
            secret=secret,
            discord_seed=DEMO_DISCORD_SEED if secret is None else OTHER_DISCORD_SEED,
        )
        return signed.path, signed.headers


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 12
    first_delay: float = 0.05
    max_delay: float = 1.0  # real senders wait minutes to hours; the harness scales time down
    timeout: float = 5.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.first_delay * 2.0 ** (attempt - 1))
        wait = ceiling / 2 + rng.random() * ceiling / 2
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait


class Connection:
    """One keep-alive HTTP/1.1 connection to the receiver, re-opened after any error."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            if response.will_close:
                self.close()
            return response.status, answer_headers, data
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


Scan = Callable[[bytes], None]


class BacklogGate:
    """Holds new deliveries while the work queue's backlog is over `limit`.

    Not a sender behaviour: a limit of the emulator. moto's SQS recomputes the queue's
    attributes (a scan of every queued message) for each message it receives, so a backlog of
    thousands makes each receive take seconds, the worker's receives time out and the backlog
    only grows. Retries of deliveries already sent are never held.
    """

    def __init__(self, depth: Callable[[], int], limit: int) -> None:
        self.depth, self.limit = depth, limit
        self.open = threading.Event()
        self.open.set()
        self.stopped = threading.Event()
        self.held_seconds = 0.0
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> BacklogGate:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.open.set()
        self.thread.join(10)

    def _watch(self) -> None:
        while not self.stopped.is_set():
            try:
                over = self.depth() > self.limit
            except Exception:  # the emulator busy: keep the gate as it is
                over = not self.open.is_set()
            if over:
                self.open.clear()
                self.held_seconds += 0.5
            else:
                self.open.set()
            self.stopped.wait(0.5)

    def wait(self, timeout: float = 30.0) -> None:
        self.open.wait(timeout)


@dataclass
class Sender:
    signer: Signer
    port: int
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    scan: Scan | None = None
    deadline: float = float("inf")  # time.monotonic() after which nobody retries
    gate: BacklogGate | None = None
    _local: threading.local = field(default_factory=threading.local)

    def connection(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = Connection(self.port, self.policy.timeout)
        return conn

    def send(self, delivery: Delivery, rng: random.Random | None = None) -> Delivery:
        """Send until a 2xx, the attempt budget or the deadline; records every answer."""
        rng = rng or random.Random()
        if self.gate is not None:
            self.gate.wait()
        if time.monotonic() >= self.deadline:
            return delivery  # never sent (attempts == 0): the scenario's time is up
        for attempt in range(1, self.policy.max_attempts + 1):
            path, headers = self.signer.sign(delivery)
            started = time.perf_counter()
            retry_after: float | None = None
            try:
                status, answer_headers, data = self.connection().post(path, headers, delivery.body)
            except (TimeoutError, OSError, http.client.HTTPException):
                status, data = 0, b""  # refused, reset or timed out: retry
            else:
                if self.scan is not None:
                    self.scan(data)
                if "retry-after" in answer_headers:
                    try:
                        retry_after = float(answer_headers["retry-after"])
                    except ValueError:
                        retry_after = None
            delivery.latencies.append(time.perf_counter() - started)
            delivery.attempts += 1
            delivery.statuses.append(status)
            if 200 <= status < 300:
                delivery.acked = True
                delivery.acked_at = time.time()
                # Every ack names the delivery in X-Delivery-Id, sender-shaped ones included.
                if answer_headers.get("x-delivery-id") != delivery.id:
                    delivery.wrong_id = True
                return delivery
            if time.monotonic() >= self.deadline:
                return delivery
            time.sleep(self.policy.delay(attempt, retry_after, rng))
        return delivery


def send_all(
    sender: Sender,
    deliveries: Iterable[Delivery],
    concurrency: int,
    seed: int = 0,
    spread: float = 0.0,
) -> list[Delivery]:
    """Send every delivery from `concurrency` threads; with `spread`, the first attempts are
    paced evenly over that many seconds (so that faults and kills overlap the traffic)."""
    items = list(deliveries)
    rngs = threading.local()
    start = time.monotonic()
    step = spread / len(items) if items else 0.0

    def one(indexed: tuple[int, Delivery]) -> Delivery:
        index, delivery = indexed
        rng = getattr(rngs, "rng", None)
        if rng is None:
            rng = rngs.rng = random.Random(seed ^ threading.get_ident())
        wait = start + index * step - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return sender.send(delivery, rng)

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, enumerate(items)))
