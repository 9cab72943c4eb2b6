"""One simulated run: the real receiver and worker, their senders, queues and destinations.

Built from a tape (simulation/tape.py): the scenario (how many deliveries, which senders, the
fault profile, how many receiver environments and pollers, the settings) is drawn first, then
every actor draws its own choices as it goes. The product code is the real one:

- `Receiver.receive` then, after the answer, `after_ack` / `after_duplicate` (what the route's
  background task runs), for each HTTP request a sender makes;
- `handle_batch(worker, event)` with Powertools' batch processor, processors and destinations,
  for each batch an SQS poller (the event source mapping) hands a worker invocation; the poller
  deletes what succeeded, as Lambda does;
- every AWS client is an in-memory fake (simulation/aws/) behind the fault-injecting network;
  clocks and sleeps are the actors' virtual ones; owner tokens and backoff jitter come from the
  run, not from uuid4 or the global random.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from handler import metrics, retries
from handler.aws import AWS_ERRORS, AwsClients
from handler.errors import HandoffFailed, ReceiverError
from handler.logs import logger
from handler.process.destinations import WAKE_UP_PREFIX
from handler.process.destinations import batch as batch_module
from handler.process.destinations.forward import Delivery, Response
from handler.process.destinations.forwarder import Forwarder
from handler.process.destinations.state import ForwardTable
from handler.process.processors import registry
from handler.process.worker import Worker, check_queue_timing, handle_batch
from handler.receive.ingest import Accepted, Handshake, Receiver
from handler.receive.signatures import SignedRequest
from handler.settings import Settings
from handler.store import dedup as dedup_module
from handler.store.archive import Archive, decode_delivery, parse_reference
from handler.store.queue import WorkQueue
from handler.wiring import FORWARD_RECORD_EXTRA_SECONDS, dedup_table
from infra.local_worker import sqs_event
from webhook_sim.senders import configured_source

from .aws.dynamodb import DynamoStore
from .aws.network import FakeClient, FaultProfile, Network
from .aws.s3 import S3Store
from .aws.sqs import Queue, SqsStore
from .ledger import DeliveryFacts, Ledger, Plan, Receipt, envelope_id, record_error_text
from .runtime import Actor, Runtime, SimCrash
from .tape import Stream, Tape

RECEIVER_TIMEOUT = 10.0  # template.yaml's ReceiverTimeout default
EPOCH = 1_796_083_200.0  # 2026-12-01T00:00:00Z: virtual time starts here
BUCKET, TABLE = "webhook-archive", "webhook-idempotency"
SECRET = "sim-secret-0123456789abcdef"
DEST_SECRET = "whsec_" + base64.b64encode(b"simulated-destination-key-123456").decode()
BASE_URL = "https://hooks.example.com"


@dataclass(frozen=True)
class SenderPolicy:
    timeout: float
    retry_delays: tuple[float, ...]  # waits before each retry; () = no retries


# As the senders document them. GitHub: 10 s, no automatic retry. Stripe: retries with
# exponential backoff for up to 3 days. Slack: 3 s, then up to 3 retries (at once, after 1 min,
# after 5 min).
POLICIES = {
    "github": SenderPolicy(10.0, ()),
    "stripe": SenderPolicy(
        20.0, (60.0, 300.0, 1800.0, 3600.0, 10800.0, 21600.0, 43200.0, 86400.0, 86400.0)
    ),
    "slack": SenderPolicy(3.0, (0.5, 60.0, 300.0)),
}
SOURCES = ("github", "stripe", "slack")

FAULT_PROFILES = (
    ("calm", FaultProfile(), 0.0, 0.0),
    ("light", FaultProfile(before=0.01, lost=0.01, slow=0.01), 0.002, 0.002),
    ("rough", FaultProfile(before=0.05, lost=0.04, slow=0.03), 0.01, 0.01),
    ("storm", FaultProfile(before=0.15, lost=0.12, slow=0.05), 0.03, 0.03),
)


@dataclass(frozen=True)
class Config:
    """What a run may vary; `Mutation`s (simulation/mutations.py) change it too."""

    max_deliveries: int = 12
    arrival_window: float = 60.0
    ack_policy: str | None = None  # None: drawn (durable, or instant in a fifth of the seeds)
    max_steps: int = 2_000_000
    horizon: float = 8 * 86_400.0  # virtual seconds: a run that has not drained by then fails


@dataclass
class Scenario:
    deliveries: int
    profile_name: str
    profile: FaultProfile
    receiver_crash: float
    worker_crash: float
    receivers: int
    pollers: int
    batch_size: int
    lease: int
    worker_timeout: int
    visibility: int
    max_receive: int
    destination: str  # "", ok, flaky, recovering, gone, hanging
    sqs_duplicates: float
    reorder: bool
    ack_policy: str
    archive_mode: str

    @classmethod
    def draw(cls, tape: Stream, config: Config, knobs: Tape | None = None) -> Scenario:
        """`tape`: the scenario's stream. Knobs added later draw from streams of their own
        (`knobs`), so that adding one does not change what every recorded seed does."""
        archive = knobs.stream("archive_mode") if knobs is not None else None
        archive_mode = "batch" if archive is not None and archive.chance(0.3) else "delivery"
        name, profile, receiver_crash, worker_crash = FAULT_PROFILES[tape.below(4)]
        queue_kind = tape.below(2)
        # make run's queue (60 s lease, 30 s x 5) or the template's (lease = timeout, 6x + 300).
        lease, timeout, visibility, max_receive = (
            (60, 30, 30, 5) if queue_kind == 0 else (60, 60, 660, 3)
        )
        destinations = ("", "ok", "flaky", "recovering", "gone", "hanging", "lossy")
        return cls(
            deliveries=1 + tape.below(config.max_deliveries),
            profile_name=name,
            profile=profile,
            receiver_crash=receiver_crash,
            worker_crash=worker_crash,
            receivers=1 + tape.below(3),
            pollers=1 + tape.below(3),
            batch_size=1 + tape.below(10),
            lease=lease,
            worker_timeout=timeout,
            visibility=visibility,
            max_receive=max_receive,
            destination=destinations[tape.below(len(destinations))],
            sqs_duplicates=0.02 if tape.chance(0.3) else 0.0,
            reorder=tape.chance(0.5),
            # Drawn last, so that older recorded schedules (which end before it) stay durable.
            ack_policy=config.ack_policy or ("instant" if tape.chance(0.2) else "durable"),
            archive_mode=archive_mode,
        )

    def describe(self) -> str:
        return (
            f"{self.deliveries} deliveries, faults {self.profile_name}, {self.receivers}"
            f" receiver env(s), {self.pollers} poller(s) x batch {self.batch_size}, lease"
            f" {self.lease} s, worker timeout {self.worker_timeout} s, queue {self.visibility} s"
            f" x {self.max_receive}, destination {self.destination or 'none'},"
            f" ACK_POLICY={self.ack_policy}, ARCHIVE_MODE={self.archive_mode}"
        )


@lru_cache(maxsize=64)
def settings(
    queue_url: str,
    lease: int,
    worker_timeout: int,
    ack_policy: str,
    max_attempts: int,
    archive_mode: str,
) -> Settings:
    """The product's settings for a run (cached: pydantic-settings reads the environment on
    every construction, a tenth of a small run's time)."""
    return Settings(
        archive_bucket=BUCKET,
        work_queue_url=queue_url,
        idempotency_table=TABLE,
        claim_check_bytes=2_000,
        processing_lease_seconds=lease,
        worker_timeout_seconds=worker_timeout,
        ack_policy=ack_policy,
        forward_destinations=True,
        forward_concurrency=1,
        quarantine_enabled=False,
        aws_max_attempts=max_attempts,
        archive_mode=archive_mode,
    )


class SimProcessorError(Exception):
    """The simulated processor failing, as the scenario planned."""


@dataclass
class Env:
    """One Lambda execution environment (receiver or worker): its clock skew, its objects."""

    name: str
    skew: float
    receiver: Receiver | None = None
    worker: Worker | None = None


@dataclass
class TraceLine:
    at: float
    actor: str
    call: str
    detail: str

    def __str__(self) -> str:
        return f"{self.at - EPOCH:12.3f}s  {self.actor:<14} {self.call:<26} {self.detail}"


@dataclass
class World:
    tape: Tape
    config: Config
    trace_lines: list[TraceLine] = field(default_factory=list)
    keep_trace: bool = True

    def __post_init__(self) -> None:
        self.ledger = Ledger()
        self.rt = Runtime(self.tape, self.trace)
        self.rt.now = EPOCH
        self.rt.on_crash = self._on_crash
        self.choices = self.tape.stream("scenario")
        self.scenario = Scenario.draw(self.choices, self.config, self.tape)
        sc = self.scenario
        self.net = Network(self.rt, sc.profile, self.trace)
        self.net.observe = self._observe
        self.s3 = S3Store()
        self.s3.create_bucket(BUCKET)
        self.dynamo = DynamoStore(self._swept, lambda: self.rt.now)
        self.dynamo.create_table(TABLE)
        self.dynamo.on_write = self._record_written
        sqs_choices = self.tape.stream("sqs")
        self.sqs = SqsStore(
            lambda: self.rt.now,
            (lambda n: sqs_choices.below(n)) if sc.reorder else (lambda n: 0),
            lambda: sc.sqs_duplicates > 0 and sqs_choices.chance(sc.sqs_duplicates),
        )
        self.dlq = self.sqs.create_queue("webhook-work-dlq")
        self.queue = self.sqs.create_queue("webhook-work", sc.visibility, sc.max_receive, self.dlq)
        self.sqs.on_send = self._message_sent
        self.sqs.on_visible = self._queue_visible
        self.sqs.on_dead_letter = self._dead_lettered
        self.waiting_pollers: list[Actor] = []
        self.clients = AwsClients(
            s3=FakeClient("s3", self.s3, self.net),  # type: ignore[arg-type]
            sqs=FakeClient("sqs", self.sqs, self.net),  # type: ignore[arg-type]
            dynamodb=FakeClient("dynamodb", self.dynamo, self.net),  # type: ignore[arg-type]
        )
        self.settings = settings(
            self.queue.url,
            sc.lease,
            sc.worker_timeout,
            sc.ack_policy,
            sc.profile.max_attempts,
            sc.archive_mode,
        )
        self.sources = {name: self._source(name) for name in SOURCES}
        self.actors: list[Actor] = []
        self.receiver_envs = [self._receiver_env(f"receiver-{i}") for i in range(sc.receivers)]
        self.worker_envs = [self._worker_env(f"worker-{i}") for i in range(sc.pollers)]
        self.tokens = 0
        self.invocations = 0
        self.destination_down_until = EPOCH + self.choices.uniform(60.0, 1800.0)
        self.ttl_choices = self.tape.stream("dynamodb")

    # ------------------------------------------------------------------ tracing

    def trace(self, actor: str, call: str, detail: str = "") -> None:
        if self.keep_trace:
            self.trace_lines.append(TraceLine(self.rt.now, actor, call, detail))

    def trace_hash(self) -> str:
        digest = hashlib.sha256()
        for line in self.trace_lines:
            digest.update(f"{line.at:.6f}|{line.actor}|{line.call}|{line.detail}\n".encode())
        return digest.hexdigest()

    # ------------------------------------------------------------------ building the product

    def _source(self, name: str) -> Any:
        raw: dict[str, Any] = {"scheme": name, "secrets": [SECRET]}
        if name == "stripe" and self.scenario.destination:
            raw["destinations"] = [
                {
                    "name": "billing",
                    "url": "https://billing.example.com/hooks",
                    "secret": DEST_SECRET,
                    "timeout_seconds": 10,
                    "retry": {
                        "initial_seconds": 5,
                        "multiplier": 2,
                        "max_interval_seconds": 300,
                        "horizon_seconds": 3600,
                    },
                    "circuit": {"failure_threshold": 5, "open_seconds": 60},
                }
            ]
        return configured_source(name, raw)

    def _skew(self) -> float:
        return self.choices.uniform(-0.2, 0.2) if self.choices.chance(0.3) else 0.0

    def _receiver_env(self, name: str) -> Env:
        env = Env(name, self._skew())
        env.receiver = Receiver(
            settings=self.settings,
            sources=self.sources,
            dedup=dedup_table(self.settings, self.clients),
            queue=WorkQueue(self.clients.sqs, self.queue.url),
            archive=Archive(self.clients.s3, BUCKET),
            clock=lambda: self.rt.now + env.skew,
            sleep=self._sleep,
        )
        return env

    def _worker_env(self, name: str) -> Env:
        env = Env(name, self._skew())
        clock: Callable[[], float] = lambda: self.rt.now + env.skew  # noqa: E731
        queue = WorkQueue(self.clients.sqs, self.queue.url)
        check_queue_timing(self.settings, queue)  # as wiring.default_worker does
        worker = Worker(
            dedup_table(self.settings, self.clients),
            Archive(self.clients.s3, BUCKET),
            clock=clock,
            sleep=self._sleep,
            queue=queue,
            archive_mode=self.settings.archive_mode,
        )
        by_source = {n: s.destinations for n, s in self.sources.items() if s.destinations}
        if by_source:
            forwarder = Forwarder(
                table=ForwardTable(
                    self.clients.dynamodb,
                    TABLE,
                    ttl_seconds=self.settings.dedup_ttl_seconds + FORWARD_RECORD_EXTRA_SECONDS,
                ),
                sqs=self.clients.sqs,
                queue_url=self.queue.url,
                dlq_url="",
                destinations=by_source,
                load_body=worker.load_body,
                clock=clock,
                sleep=self._sleep,
                send=self._destination,
                rand=random.Random(self.choices.draw()),
                concurrency=1,
            )
            worker = Worker(
                worker.dedup,
                worker.archive,
                clock=clock,
                sleep=self._sleep,
                queue=queue,
                forwarder=forwarder,
                archive_mode=self.settings.archive_mode,
            )
        env.worker = worker
        return env

    def _sleep(self, seconds: float) -> None:
        self.rt.wait(seconds, boundary="sleep")

    # ------------------------------------------------------------------ AWS observations

    def _observe(self, actor: Actor, service: str, operation: str, request: dict[str, Any]) -> None:
        if (
            service == "dynamodb"
            and operation == "update_item"
            and record_error_text(request).startswith("DeliveryBusy")
        ):
            key = request["Key"]["pk"]["S"]
            item = self.dynamo.tables[TABLE].get(key)
            self.ledger.busy(key.split("#", 1)[1], actor, item)

    def _record_written(self, table: str, key: str, old: Any, new: Any) -> None:
        if "#" in key and not key.startswith(("dest#", "destination#", "rate#", "tally#")):
            self.ledger.record_written(key.split("#", 1)[1], old, new, self.rt.current)

    def _swept(self, key: str, item: Any) -> bool:
        return self.ttl_choices.chance(0.5)

    def _message_sent(self, queue: Queue, message: Any) -> None:
        if queue is self.queue and not message.body.startswith(WAKE_UP_PREFIX):
            delivery, _ = envelope_id(message.body)
            if delivery is not None:
                self.ledger.message_sent(delivery)

    def _dead_lettered(self, queue: Queue, message: Any) -> None:
        delivery, wake_up = envelope_id(message.body)
        what = "wake-up of" if wake_up else "delivery"
        self.trace("sqs", "redrive to DLQ", f"message {message.id[-4:]}: {what} {delivery}")
        facts = self.ledger.deliveries.get(delivery or "")
        if facts is not None:
            if wake_up:
                facts.wake_ups_dead_lettered += 1
            else:
                facts.dead_lettered += 1

    def _queue_visible(self, queue: Queue) -> None:
        if queue is self.queue:
            for poller in self.waiting_pollers:
                self.rt.wake(poller, "message")

    def _on_crash(self, actor: Actor, why: str) -> None:
        acked = actor.data.get("acked")
        if acked is not None and self.scenario.ack_policy == "instant":
            # ACK_POLICY=instant: a receiver that dies after its 202 and before the message
            # exists loses the delivery; that is the policy's documented trade-off.
            facts = self.ledger.deliveries[acked]
            if facts.sent_messages == 0:
                facts.lost_after_ack = True
        waiter = actor.data.get("waiter")
        if waiter is not None:
            # The caller sees the crash: API Gateway answers 502, the event source an error.
            self.rt.wake(waiter, ("crash", actor), delay=0.001)

    # ------------------------------------------------------------------ patches

    @contextmanager
    def patched(self) -> Iterator[None]:
        """The process-wide randomness and outputs the product does not take by injection."""
        world = self
        records_module = importlib.import_module("handler.process.destinations.records")
        batches_module = importlib.import_module("handler.store.batches")

        class Tokens:
            @staticmethod
            def uuid4() -> Any:
                world.tokens += 1
                token = f"{world.tokens:032x}"
                if world.rt.current is not None:
                    world.ledger.tokens[token] = world.rt.current
                return SimpleNamespace(hex=token)

        class Jitter:
            @staticmethod
            def random() -> float:
                actor = world.rt.current
                stream = actor.stream if actor is not None else world.choices
                return float(stream.uniform(0.0, 1.0))

        def emit(counts: dict[str, float], **_: Any) -> None:
            for name in counts:
                world.ledger.metrics[name] = world.ledger.metrics.get(name, 0) + 1
            if "OutcomeNotRecorded" in counts:
                world.outcome_not_recorded()
            if "AcknowledgedDeliveryLost" in counts and world.rt.current is not None:
                acked = world.rt.current.data.get("acked")  # instant: hand-off failed after retries
                if acked is not None:
                    world.ledger.deliveries[acked].lost_after_ack = True

        swaps: list[tuple[Any, str, Any]] = [
            (dedup_module, "uuid", Tokens),  # owner tokens: from the run, and whose they are
            (records_module, "uuid", Tokens),
            (batches_module, "uuid", Tokens),  # volume mode's object names
            (retries, "random", Jitter),  # backoff jitter: from the actor's stream
            (metrics, "emit", emit),  # EMF lines: counted, not printed
            (batch_module, "ThreadPoolExecutor", InlineExecutor),  # FORWARD_CONCURRENCY=1
        ]
        saved = [(target, name, getattr(target, name)) for target, name, _ in swaps]
        processors = dict(registry.PROCESSORS)
        level = logger.log_level
        logger.setLevel("CRITICAL")  # the product's JSON logs: not part of the trace
        for target, name, value in swaps:
            setattr(target, name, value)
        for source in SOURCES:
            registry.PROCESSORS[(source, registry.ANY_EVENT)] = self._processor
        try:
            yield
        finally:
            for target, name, value in saved:
                setattr(target, name, value)
            logger.setLevel(level)
            registry.PROCESSORS.clear()
            registry.PROCESSORS.update(processors)

    # ------------------------------------------------------------------ the processor

    def outcome_not_recorded(self) -> None:
        """The worker gave up recording an outcome (a documented trade-off: the record stays
        `processing`); the delivery of the current actor's last completed run."""
        actor = self.rt.current
        for facts in self.ledger.deliveries.values():
            if any(r.actor is actor and r.state == "completed" for r in facts.runs):
                facts.outcome_not_recorded = True

    def _processor(self, event: Any) -> dict[str, Any]:
        actor = self.rt.current
        assert actor is not None
        facts = self.ledger.deliveries[event.id]
        run = self.ledger.run_started(event.id, actor)
        self.trace(actor.name, "processor", f"{event.id} starts")
        self.rt.wait(facts.plan.latency, boundary="processor")
        failed_before = sum(1 for r in facts.runs if r.state == "failed")
        if facts.plan.poison or failed_before < facts.plan.flaky:
            run.state = "failed"
            self.trace(actor.name, "processor", f"{event.id} fails (planned)")
            raise SimProcessorError("the simulated processor failed, as planned")
        run.state = "completed"
        self.trace(actor.name, "processor", f"{event.id} effect")
        return {"effect": event.id}

    # ------------------------------------------------------------------ destinations

    def _destination(self, destination: Any, delivery: Delivery, now: float) -> Response:
        actor = self.rt.current
        assert actor is not None
        kind = self.scenario.destination
        tape = actor.stream
        self.rt.wait(tape.uniform(0.005, 0.05), boundary="forward before effect")
        if kind == "gone":
            status = 410
        elif kind == "recovering" and self.rt.now < self.destination_down_until:
            status = 503
        elif kind == "flaky" and tape.chance(0.3):
            status = 500
        else:
            status = 200
        hang = kind == "hanging" and tape.chance(0.3)
        lost = hang or (kind == "lossy" and tape.chance(0.3))
        record = self.dynamo.tables[TABLE].get(
            f"dest#{delivery.source}#{delivery.id}#{destination.name}"
        )
        receipt = Receipt(actor, status, self.rt.now)
        self.ledger.receipt(delivery.id, destination.name, receipt, record)
        self.trace(
            actor.name, "destination", f"{delivery.id} -> {status}{' (lost)' if lost else ''}"
        )
        if lost:
            self.rt.wait(destination.timeout_seconds, boundary="forward after effect")
            receipt.seen = False
            return Response(0, destination.timeout_seconds * 1000, error="timeout")
        self.rt.wait(tape.uniform(0.005, 0.05), boundary="forward after effect")
        receipt.seen = True
        return Response(status, 20.0)

    # ------------------------------------------------------------------ senders

    def _delivery(self, tape: Stream, index: int) -> tuple[str, bytes, str]:
        source = SOURCES[tape.below(len(SOURCES))]
        size = 40 + (tape.below(3000) if tape.chance(0.5) else tape.below(200))
        pad = "x" * size
        if source == "github":
            sender_id = f"{index:08x}-0000-4000-8000-{tape.draw():012x}"
            body = json.dumps({"ref": "refs/heads/main", "n": index, "pad": pad})
        elif source == "stripe":
            sender_id = f"evt_sim{index}x{tape.draw():x}"
            body = json.dumps(
                {
                    "id": sender_id,
                    "object": "event",
                    "type": "charge.succeeded",
                    "data": {"object": {"id": f"ch_{index}"}},
                    "pad": pad,
                }
            )
        else:
            sender_id = f"Ev{index:06d}{tape.draw():x}"
            body = json.dumps(
                {
                    "type": "event_callback",
                    "event_id": sender_id,
                    "team_id": "T1",
                    "event": {"type": "app_mention", "text": pad},
                }
            )
        return source, body.encode(), sender_id

    def _signed(self, source: str, body: bytes, sender_id: str, now: float) -> SignedRequest:
        event_type = "push" if source == "github" else "charge.succeeded"
        headers = self.sources[source].sign(
            body,
            url=f"{BASE_URL}/webhooks/{source}",
            now=now,
            event_type=event_type,
            delivery_id=sender_id,
        )
        return SignedRequest(
            "POST",
            f"{BASE_URL}/webhooks/{source}",
            {k.lower(): v for k, v in headers.items()},
            body,
        )

    def _sender(self, index: int) -> None:
        actor = self.rt.current
        assert actor is not None
        tape = actor.stream
        if not tape.draw():
            return  # a zeroed sender sends nothing: how the shrinker drops a delivery
        source, body, sender_id = self._delivery(tape, index)
        policy = POLICIES[source]
        delivery_id = sender_id
        facts = self.ledger.deliveries.setdefault(
            delivery_id, DeliveryFacts(delivery_id, source, body)
        )
        facts.plan = Plan(
            poison=tape.chance(0.05),
            flaky=tape.below(3) if tape.chance(0.2) else 0,
            latency=tape.uniform(0.001, 0.2) if not tape.chance(0.02) else 45.0,
        )
        duplicate = tape.chance(0.1)  # the sender delivers it again later (at-least-once)
        self.rt.wait(tape.uniform(0.0, self.config.arrival_window))
        attempts = [0.0, *policy.retry_delays]
        for number, delay in enumerate(attempts):
            if number:
                self.rt.wait(delay)
            status = self._post(source, body, sender_id, policy.timeout, f"{actor.name}#{number}")
            if 200 <= status < 300 or status in {401, 404, 413, 415, 422}:
                break
        if duplicate:
            self.rt.wait(tape.uniform(1.0, 600.0))
            self._post(source, body, sender_id, policy.timeout, f"{actor.name}#dup")

    def _post(self, source: str, body: bytes, sender_id: str, timeout: float, name: str) -> int:
        sender = self.rt.current
        assert sender is not None
        choices = sender.stream
        env = self.receiver_envs[choices.below(len(self.receiver_envs))]
        request = self._signed(source, body, sender_id, self.rt.now)
        self.invocations += 1
        invocation = self.rt.spawn(
            f"{env.name}/{self.invocations}",
            "receiver",
            lambda: self._receive(env, source, request),
            self.rt.now + choices.uniform(0.005, 0.05),
            skew=env.skew,
            crash_rate=self.scenario.receiver_crash,
            stream=self.tape.stream(name),
        )
        invocation.deadline = self.rt.now + RECEIVER_TIMEOUT
        invocation.data["waiter"] = sender
        self.actors.append(invocation)
        answer = self.rt.park(timeout)
        invocation.data["waiter"] = None
        if answer is None:
            self.trace(sender.name, "POST", f"{name}: timed out after {timeout:.0f} s")
            return 0
        if isinstance(answer, tuple):
            self.trace(sender.name, "POST", f"{name}: 502 (receiver crashed)")
            return 502
        self.trace(sender.name, "POST", f"{name}: {answer}")
        return int(answer)

    def _receive(self, env: Env, source: str, request: SignedRequest) -> None:
        actor = self.rt.current
        assert actor is not None and env.receiver is not None
        receiver = env.receiver
        result: Accepted | Handshake | None = None
        try:
            result = receiver.receive(source, request)
            if isinstance(result, Handshake):
                status = result.reply.status
            else:
                status = 200 if result.duplicate else 202
        except HandoffFailed as error:
            status = error.status
        except ReceiverError as error:
            status = error.status
        except SimCrash:
            raise
        except Exception as error:  # what the route answers 500: a bug, not a fault
            self.ledger.fail("receiver error", f"{type(error).__name__}: {error}")
            return
        if isinstance(result, Accepted):
            durable = self.settings.ack_policy == "durable"
            self.ledger.acked(result.envelope.id, status, self.rt.now, durable)
            actor.data["acked"] = result.envelope.id
        self.trace(actor.name, "answer", str(status))
        waiter = actor.data.get("waiter")
        if waiter is not None:
            self.rt.wake(waiter, status, delay=actor.stream.uniform(0.005, 0.05))
        actor.data["waiter"] = None
        # The route's background tasks, after the response (handler/receive/api.py).
        if isinstance(result, Accepted):
            if result.duplicate:
                receiver.after_duplicate(result)
            elif not result.handed_off:
                receiver.after_ack(result)

    # ------------------------------------------------------------------ pollers and workers

    def _poller(self, env: Env) -> None:
        actor = self.rt.current
        assert actor is not None
        sqs = self.clients.sqs
        while True:
            try:
                messages = sqs.receive_message(
                    QueueUrl=self.queue.url,
                    MaxNumberOfMessages=self.scenario.batch_size,
                    WaitTimeSeconds=20,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except AWS_ERRORS:
                self.rt.wait(1.0)
                continue
            if not messages:
                upcoming = self.sqs.next_visible(self.queue)
                timeout = None if upcoming is None else max(0.001, upcoming - self.rt.now)
                self.waiting_pollers.append(actor)
                try:
                    self.rt.park(timeout)
                finally:
                    self.waiting_pollers.remove(actor)
                continue
            self._invoke(env, actor, messages)

    def _invoke(self, env: Env, poller: Actor, messages: list[Any]) -> None:
        self.invocations += 1
        event = sqs_event(messages, self.queue.arn)
        box: dict[str, Any] = {}
        # Its choices are named after what it handles, not after how many ran before it.
        first = messages[0]
        delivery, wake_up = envelope_id(first["Body"])
        stream = "{}:{}:{}".format(
            "wake" if wake_up else "work", delivery, first["Attributes"]["ApproximateReceiveCount"]
        )
        invocation = self.rt.spawn(
            f"{env.name}/{self.invocations}",
            "worker",
            lambda: self._work(env, event, box),
            self.rt.now,
            skew=env.skew,
            crash_rate=self.scenario.worker_crash,
            stream=self.tape.stream(stream),
        )
        invocation.data["waiter"] = poller
        self.actors.append(invocation)
        ids = ",".join(m["MessageId"][-4:] for m in messages)
        self.trace(poller.name, "invoke", f"{invocation.name} with [{ids}]")
        answer = self.rt.park(self.scenario.worker_timeout)
        if answer is None:
            self.rt.kill(invocation, "Lambda timeout")
            return
        if isinstance(answer, tuple):
            return  # crashed: the whole batch comes back after the visibility timeout
        failed = {item["itemIdentifier"] for item in box["result"]["batchItemFailures"]}
        if not invocation.data.get("raised"):
            # It failed these records and saw no AWS error: each must carry its reason.
            for message in messages:
                if message["MessageId"] in failed:
                    delivery, wake_up = envelope_id(message["Body"])
                    facts = self.ledger.deliveries.get(delivery or "")
                    if facts is not None and not wake_up:
                        facts.reason_expected = True
        done = [m for m in messages if m["MessageId"] not in failed]
        if not done:
            return
        # On failure they come back after the visibility timeout; the worker dedups them.
        with suppress(*AWS_ERRORS):
            self.clients.sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )

    def _work(self, env: Env, event: dict[str, Any], box: dict[str, Any]) -> None:
        actor = self.rt.current
        assert actor is not None and env.worker is not None
        try:
            box["result"] = handle_batch(env.worker, event)
        except SimCrash:
            raise
        except Exception as error:
            self.ledger.fail("worker error", f"handle_batch raised {type(error).__name__}: {error}")
        waiter = actor.data.get("waiter")
        actor.data["waiter"] = None
        if waiter is not None:
            self.rt.wake(waiter, "done")

    # ------------------------------------------------------------------ the run

    def run(self) -> None:
        with self.patched():
            for index in range(self.scenario.deliveries):
                self.actors.append(
                    self.rt.spawn(
                        f"sender-{index}",
                        "sender",
                        functools.partial(self._sender, index),
                        self.rt.now,
                        stream=self.tape.stream(f"sender-{index}"),
                    )
                )
            pollers = [
                self.rt.spawn(
                    f"poller-{i}",
                    "poller",
                    functools.partial(self._poller, env),
                    self.rt.now,
                    stream=self.tape.stream(f"poller-{i}"),
                )
                for i, env in enumerate(self.worker_envs)
            ]
            try:
                self.rt.run(self.config.max_steps)
            finally:
                self.rt.stop_all([*pollers, *self.actors])
            if self.ledger.violation is not None:
                raise self.ledger.violation
            self.check_quiescence()

    def check_quiescence(self) -> None:
        ledger = self.ledger
        live = [m for m in self.queue.messages]
        if live:
            ledger.fail("queues drain", f"{len(live)} message(s) left in the work queue")
        table = self.dynamo.tables[TABLE]
        archive = self.s3.buckets[BUCKET]
        for delivery_id, facts in ledger.deliveries.items():
            if not facts.acked:
                continue
            record = table.get(f"{facts.source}#{delivery_id}")
            status = (record or {}).get("status", {}).get("S")
            completed = [r for r in facts.runs if r.state == "completed"]
            if facts.dead_lettered and not completed:
                if facts.reason_expected and (record is None or "last_error" not in record):
                    ledger.fail("DLQ with a reason", f"{delivery_id} is in the DLQ with no reason")
                # Each message of it may find each crashed holder's lease once (the worker
                # defers it to the lease's end); more busy receives than that used up receives
                # the lease rule promises.
                allowed = _crashed_holders(facts) * max(1, facts.sent_messages)
                if not facts.plan.always_fails and facts.busy_dead_holder > allowed:
                    ledger.fail(
                        "DLQ only when unavoidable",
                        f"{delivery_id} was dead-lettered after {facts.busy_dead_holder} busy"
                        f" receive(s) behind {_crashed_holders(facts)} crashed holder(s),"
                        f" {facts.sent_messages} message(s)",
                    )
                if not facts.plan.always_fails and not self._faulted_enough(facts):
                    ledger.fail(
                        "DLQ only when unavoidable",
                        f"{delivery_id} was dead-lettered though its processor never failed",
                    )
                continue
            if not completed and facts.lost_after_ack:
                continue  # ACK_POLICY=instant, the receiver died or gave up before the message
            if not completed:
                ledger.fail(
                    "acked => processed", f"{delivery_id} was acknowledged, never processed"
                )
            # Processed, but its outcome never recorded (a crash after the effect) and then
            # dead-lettered: the record says whatever the last attempt left, for an operator.
            if status != "processed" and not (
                facts.dead_lettered or (status == "processing" and facts.outcome_not_recorded)
            ):
                ledger.fail(
                    "nothing left processing",
                    f"{delivery_id} was processed but its record says {status!r}",
                )
            day_body = _archived_body(archive, facts, record)
            if day_body != facts.body:
                ledger.fail(
                    "archived byte-exact",
                    f"{delivery_id}: archive holds {len(day_body or b'')} bytes, expected"
                    f" {len(facts.body)}",
                )
            self._check_forwarded(facts)

    def _faulted_enough(self, facts: Any) -> bool:
        """A dead-lettered delivery whose processor never failed: only if the run's faults or
        crashes could have failed every receive (anything but a calm run)."""
        return self.scenario.profile_name != "calm" or any(r.state == "failed" for r in facts.runs)

    def _check_forwarded(self, facts: Any) -> None:
        if facts.source != "stripe" or not self.scenario.destination:
            return
        record = self.dynamo.tables[TABLE].get(f"dest#stripe#{facts.id}#billing")
        status = (record or {}).get("status", {}).get("S")
        receipts = facts.receipts.get("billing", [])
        if status == "delivered":
            if not any(r.status < 300 and r.seen for r in receipts):
                self.ledger.fail("destination at least once", f"{facts.id} delivered without a 2xx")
            return
        if status == "dead" and self.scenario.destination in {"gone"}:
            return
        if facts.wake_ups_dead_lettered and self.scenario.profile_name != "calm":
            return  # its wake-up used up its receives on faults: in the DLQ, for an operator
        if status == "dead" and self.scenario.profile_name in {"rough", "storm"}:
            return  # AWS failures may keep its records from recording progress
        self.ledger.fail(
            "destination at least once",
            f"{facts.id} -> billing ended {status!r} with a destination that recovers"
            f" ({self.scenario.destination}); {len(receipts)} request(s)",
        )


def _crashed_holders(facts: Any) -> int:
    return sum(1 for actor in facts.processing_writers if actor.dead)


def _archived_body(archive: dict[str, Any], facts: Any, record: Any) -> bytes | None:
    """The body as archived: one `.delivery` object (the layout the worker writes once), its
    frame in a batch object (ARCHIVE_MODE=batch: the place is on the dedup record), or the
    older `.body` + `.json` pair."""
    reference = (record or {}).get("archive_ref", {}).get("S")
    place = parse_reference(reference) if reference else None
    if place is not None:
        key, offset, length = place
        stored = archive.get(key)
        if stored is None:
            return None
        return decode_delivery(bytes(stored.body)[offset : offset + length])[1]
    for key, stored in archive.items():
        if key.endswith(f"/{facts.id}.delivery") and key.startswith(f"archive/{facts.source}/"):
            return decode_delivery(bytes(stored.body))[1]
    for key, stored in archive.items():
        if key.endswith(f"/{facts.id}.body") and key.startswith(f"archive/{facts.source}/"):
            meta = key[: -len(".body")] + ".json"
            if meta not in archive:
                return None
            return bytes(stored.body)
    return None


class InlineExecutor:
    """The batch's forwarding pool with FORWARD_CONCURRENCY=1, run inline: the same order as
    one pool thread, without a thread the scheduler does not own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except SimCrash:
            raise
        except Exception as error:
            future.set_exception(error)
        return future
