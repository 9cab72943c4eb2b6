"""What the `webhooks` commands do, without any terminal: find, send, replay, redrive, release.

The CLI reads the same settings as the receiver (ARCHIVE_BUCKET, WORK_QUEUE_URL,
IDEMPOTENCY_TABLE, AWS_ENDPOINT_URL, WEBHOOK_SOURCES_FILE...), so it talks to the resources the
receiver and the worker use, on AWS or on the local stack.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from handler import wiring
from handler.aws import AwsClients
from handler.errors import ReceiverError
from handler.receive.ingest import Handshake, Receiver
from handler.receive.quarantine import Quarantine, QuarantinedDelivery
from handler.receive.signatures import SignedRequest, VerificationError, Verified
from handler.receive.sources import Source
from handler.settings import Settings
from handler.store.archive import ARCHIVE_PREFIX, Archive, dated_keys, envelope_fields, meta_key
from handler.store.dedup import DedupTable, dedup_key, not_replayable
from handler.store.queue import Envelope
from infra import DEMO_SOURCES
from webhook_sim.samples import Encoding
from webhook_sim.senders import SignedDelivery, can_sign, simulate

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef, SendMessageBatchRequestEntryTypeDef


class CliError(Exception):
    """An error the user can act on: printed as one line, never with a traceback."""

    exit_code = 1


class NotFound(CliError):
    pass


class UsageError(CliError):
    exit_code = 2


def cli_settings() -> Settings:
    """The receiver's settings from the environment; sources default to the demo file, as
    `make run` does. A new object per command: tests change the environment between them."""
    settings = Settings()
    if not settings.webhook_sources_file and not settings.webhook_sources and DEMO_SOURCES.exists():
        settings = settings.model_copy(update={"webhook_sources_file": str(DEMO_SOURCES)})
    return settings


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """`90s`, `30m`, `2h`, `3d` ago, or an ISO date/time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    value = text.strip()
    if value[:-1].isdigit() and value[-1:] in units:
        return now - timedelta(seconds=int(value[:-1]) * units[value[-1]])
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"cannot read the time {text!r}: use 90s, 30m, 2h, 3d or ISO") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class ArchivedDelivery:
    meta: dict[str, Any]  # the archive's .json: every Envelope field but the body
    meta_key: str
    record: dict[str, Any] | None = None  # the dedup item, when read

    @property
    def id(self) -> str:
        return str(self.meta["id"])

    @property
    def source(self) -> str:
        return str(self.meta["source"])

    @property
    def received_at(self) -> datetime:
        return datetime.fromisoformat(str(self.meta["received_at"]))

    @property
    def body_key(self) -> str:
        return self.meta_key.removesuffix(".json") + ".body"

    @property
    def status(self) -> str:
        return str(self.record["status"]) if self.record else "unknown"

    def signed_request(self, body: bytes) -> SignedRequest:
        return SignedRequest("POST", str(self.meta["url"]), dict(self.meta["headers"]), body)

    def envelope(self, body: bytes, claim_check_bytes: int) -> Envelope:
        """Inline when small, else pointing at the archived body (the worker reads it there)."""
        fields = envelope_fields(self.meta)
        if len(body) > claim_check_bytes:
            return Envelope.model_validate({**fields, "body_key": self.body_key})
        return Envelope.model_validate({**fields, "body_b64": base64.b64encode(body).decode()})


@dataclass
class Outcome:
    """One delivery's fate in a replay, redrive or release."""

    id: str
    source: str
    result: str  # replayed, would_replay, skipped, rejected, failed, released, duplicate...
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "source": self.source, "result": self.result, "detail": self.detail}


# An archive's .json is written once and never changed, so a long-lived caller (the console,
# which re-lists every few seconds) can keep what it read; bounded so it cannot grow forever.
META_CACHE_LIMIT = 50_000
# Parallel S3 reads when listing: one GET per delivery is the cost of a list; botocore's
# connection pool holds 10.
LIST_READERS = 8
# What a list of deliveries shows of each dedup record.
LISTED_ATTRIBUTES = (
    "pk",
    "status",
    "attempts",
    "replays",
    "last_error",
    "last_error_at",
    "failures",
    "claimed_at",
    "processed_at",
    "replayed_at",
    "lease_until",
    "expires_at",
)


@dataclass
class Operations:
    settings: Settings = field(default_factory=cli_settings)
    _metas: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def clients(self) -> AwsClients:
        return AwsClients.create(self.settings)

    @cached_property
    def sources(self) -> dict[str, Source]:
        return wiring.sources(self.settings)

    @cached_property
    def archive(self) -> Archive:
        return wiring.archive(self.settings, self.clients)

    @cached_property
    def dedup(self) -> DedupTable:
        return wiring.dedup_table(self.settings, self.clients)

    @cached_property
    def quarantine(self) -> Quarantine:
        return Quarantine.from_archive(self.archive)

    @cached_property
    def queue_url(self) -> str:
        return wiring.work_queue(self.settings, self.clients).url

    @cached_property
    def receiver(self) -> Receiver:
        return wiring.receiver(self.settings, self.clients, self.sources)

    def source(self, name: str) -> Source:
        source = self.sources.get(name)
        if source is None:
            known = ", ".join(sorted(self.sources)) or "none"
            raise UsageError(f"no source named {name!r} is configured (configured: {known})")
        return source

    # Finding deliveries ---------------------------------------------------------------------

    def read_meta(self, key: str) -> dict[str, Any]:
        document = self._metas.get(key)
        if document is None:
            document = json.loads(self.archive.get(key))
            if len(self._metas) >= META_CACHE_LIMIT:
                self._metas.clear()
            self._metas[key] = document
        return document

    def locate(self, delivery_id: str, source: str | None = None) -> ArchivedDelivery:
        """The archived delivery: the dedup record says when it came (so which day's key);
        without one, the archive of the source (or every source) is listed."""
        candidates = [source] if source else sorted(self.sources)
        for name in candidates:
            record = self.dedup.get(dedup_key(name, delivery_id))
            if record is None:
                continue
            stamps = [int(record[k]) for k in ("claimed_at", "processed_at") if k in record]
            for stamp in stamps:
                day = datetime.fromtimestamp(stamp, UTC)
                for shift in (0, -1, 1):
                    key = meta_key(name, delivery_id, day + timedelta(days=shift))
                    if self.archive.exists(key):
                        return ArchivedDelivery(self.read_meta(key), key, record)
        s3, bucket = self.clients.s3, self.settings.archive_bucket
        for key in dated_keys(s3, bucket, ARCHIVE_PREFIX, source, None, None):
            if key.endswith(f"/{delivery_id}.json"):
                delivery = ArchivedDelivery(self.read_meta(key), key)
                delivery.record = self.dedup.get(dedup_key(delivery.source, delivery.id))
                return delivery
        where = f" for source {source!r}" if source else ""
        raise NotFound(f"no archived delivery with id {delivery_id!r}{where}")

    def deliveries(
        self,
        source: str | None,
        since: datetime,
        until: datetime | None = None,
    ) -> list[ArchivedDelivery]:
        """Archived deliveries received in [since, until], newest first, with dedup records.

        The key names the source and id, so the dedup records are fetched while the listing
        goes on, 100 per request, at the same time as the .json files are read."""
        s3, bucket = self.clients.s3, self.settings.archive_bucket
        keys: list[str] = []
        batches = []
        with ThreadPoolExecutor(LIST_READERS) as pool:
            for key in dated_keys(s3, bucket, ARCHIVE_PREFIX, source, since, until):
                if key.endswith(".json"):
                    keys.append(key)
                    if len(keys) % 100 == 0:
                        batches.append(pool.submit(self.records, _dedup_keys(keys[-100:])))
            if len(keys) % 100:
                batches.append(pool.submit(self.records, _dedup_keys(keys[-(len(keys) % 100) :])))
            metas = list(pool.map(self.read_meta, keys))
            records = {k: v for batch in batches for k, v in batch.result().items()}
        found = []
        for key, meta in zip(keys, metas, strict=True):
            delivery = ArchivedDelivery(meta, key)
            if delivery.received_at >= since and (until is None or delivery.received_at <= until):
                delivery.record = records.get(dedup_key(delivery.source, delivery.id))
                found.append(delivery)
        return sorted(found, key=lambda d: d.received_at, reverse=True)

    def records(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """Dedup items by key, 100 per BatchGetItem (its limit), without the processor's
        outcome (the largest attribute; `locate` reads whole records)."""
        found: dict[str, dict[str, Any]] = {}
        table = self.settings.idempotency_table
        names = {f"#a{index}": name for index, name in enumerate(LISTED_ATTRIBUTES)}
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                table: {
                    "Keys": [
                        {"pk": {"S": key}} for key in dict.fromkeys(keys[start : start + 100])
                    ],
                    "ConsistentRead": True,
                    "ProjectionExpression": ", ".join(names),
                    "ExpressionAttributeNames": names,
                }
            }
            while request:
                response = self.clients.dynamodb.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(table, []):
                    plain = {name: next(iter(value.values())) for name, value in item.items()}
                    found[str(plain["pk"])] = plain
                request = response.get("UnprocessedKeys") or {}
        return found

    def body(self, delivery: ArchivedDelivery) -> bytes:
        body = self.archive.get(delivery.body_key)
        if hashlib.sha256(body).hexdigest() != delivery.meta.get("body_sha256"):
            raise CliError(f"delivery {delivery.id}: the archived body does not match its sha256")
        return body

    # Verification ---------------------------------------------------------------------------

    def reverify(self, source_name: str, request: SignedRequest, received_at: datetime) -> Verified:
        """The scheme's own check, with the secrets configured now, at the time it arrived."""
        source = self.source(source_name)
        return source.scheme.verify(
            request, source.secrets, source.options, received_at.timestamp()
        )

    # Replay ---------------------------------------------------------------------------------

    def replay(
        self,
        delivery: ArchivedDelivery,
        *,
        force: bool = False,
        dry_run: bool = False,
        verify: bool = True,
    ) -> Outcome:
        """Re-enqueue one archived delivery, once: a processed one (or one whose record expired,
        so nobody knows) only with `force`, which first resets its record to "enqueued"."""

        def outcome(result: str, detail: str = "") -> Outcome:
            return Outcome(delivery.id, delivery.source, result, detail)

        body = self.body(delivery)
        if verify:
            try:
                self.reverify(delivery.source, delivery.signed_request(body), delivery.received_at)
            except VerificationError as error:
                return outcome("rejected", f"signature: {error.reason} ({error.detail})")
            except UsageError as error:
                return outcome("rejected", str(error))
        key = dedup_key(delivery.source, delivery.id)
        record = self.dedup.get(key)
        status = record.get("status") if record else None
        now = int(time.time())
        refusal = not_replayable(record, now, force=force)
        if refusal:
            return outcome("skipped", refusal)
        if dry_run:
            return outcome("would_replay", f"status {status or 'none'}")
        if force and record is not None:
            self.dedup.reset_for_replay(key, now)
        self.send_replay(delivery.envelope(body, self.settings.claim_check_bytes))
        return outcome("replayed", f"was {status or 'none'}")

    def send_replay(self, envelope: Envelope) -> str:
        return self.receiver.queue.send(envelope, replayed_by="webhooks-cli")

    # Redrive --------------------------------------------------------------------------------

    def dlq_url(self) -> str:
        attributes = self.clients.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"]
        )["Attributes"]
        if "RedrivePolicy" not in attributes:
            raise CliError("the work queue has no redrive policy, so no DLQ")
        arn = str(json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"])
        return str(self.clients.sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"])

    def depth(self, queue_url: str) -> int:
        attributes = self.clients.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def peek(self, queue_url: str, limit: int, wait_seconds: int = 1) -> list[MessageTypeDef]:
        """Up to `limit` messages of a queue, only looked at: hidden while we read on (so each is
        seen once), then made visible again straight after, whatever happened meanwhile."""
        sqs = self.clients.sqs
        seen: dict[str, MessageTypeDef] = {}
        try:
            while len(seen) < limit:
                messages = sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=min(10, limit - len(seen)),
                    WaitTimeSeconds=wait_seconds,
                    VisibilityTimeout=30,
                    AttributeNames=["All"],
                ).get("Messages", [])
                fresh = [m for m in messages if m["MessageId"] not in seen]
                if not fresh:
                    break
                seen.update((m["MessageId"], m) for m in fresh)
        finally:
            handles = [m["ReceiptHandle"] for m in seen.values()]
            for start in range(0, len(handles), 10):
                sqs.change_message_visibility_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                        for i, handle in enumerate(handles[start : start + 10])
                    ],
                )
        return list(seen.values())

    def dead_letters(self, dlq_url: str, limit: int = 100) -> list[DeadLetter]:
        """Up to `limit` DLQ messages, each with the reason its delivery failed (only looked at)."""
        seen = {m["MessageId"]: m for m in self.peek(dlq_url, limit)}
        letters = [DeadLetter.read(message_id, m["Body"]) for message_id, m in seen.items()]
        keyed = [letter for letter in letters if letter.key]
        records = self.records([str(letter.key) for letter in keyed])
        for letter in keyed:
            letter.record = records.get(str(letter.key))
        return letters

    def redrive(
        self, dlq_url: str, limit: int | None = None, on_moved: Callable[[int], None] | None = None
    ) -> tuple[int, int]:
        """Move DLQ messages (body and attributes) to the work queue; returns (moved, failed).

        A message is deleted from the DLQ only once the work queue has accepted its copy."""
        sqs = self.clients.sqs
        moved = failed = 0
        while limit is None or moved < limit:
            wanted = 10 if limit is None else min(10, limit - moved)
            messages = sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=1,
                VisibilityTimeout=60,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            done, refused = self._move(dlq_url, messages)
            moved, failed = moved + done, failed + refused
            if on_moved is not None:
                on_moved(done)
            if refused:
                break  # the work queue refuses: stop rather than spin; they stay in the DLQ
        return moved, failed

    def redrive_message(self, dlq_url: str, message_id: str) -> Outcome:
        """Move one DLQ message, by its SQS message id, to the work queue. The others received
        while looking for it are made visible again at once."""
        sqs = self.clients.sqs
        held: dict[str, str] = {}  # message id -> receipt handle, of the ones we passed over
        try:
            while True:
                messages = sqs.receive_message(
                    QueueUrl=dlq_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    VisibilityTimeout=60,
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                wanted = [m for m in messages if m["MessageId"] == message_id]
                held.update(
                    {m["MessageId"]: m["ReceiptHandle"] for m in messages if m not in wanted}
                )
                if wanted:
                    moved, _ = self._move(dlq_url, wanted[:1])
                    result = "redriven" if moved else "failed"
                    detail = "moved to the work queue" if moved else "the work queue refused it"
                    return Outcome(message_id, "", result, detail)
                if not messages:
                    return Outcome(message_id, "", "not_found", "no such message in the DLQ")
        finally:
            handles = list(held.values())
            for start in range(0, len(handles), 10):
                sqs.change_message_visibility_batch(
                    QueueUrl=dlq_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                        for i, handle in enumerate(handles[start : start + 10])
                    ],
                )

    def _move(self, dlq_url: str, messages: list[MessageTypeDef]) -> tuple[int, int]:
        """Copy received DLQ messages to the work queue, then delete the copied ones from the
        DLQ (never before): returns (moved, failed)."""
        sqs = self.clients.sqs
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {
                "Id": str(index),
                "MessageBody": message["Body"],
                "MessageAttributes": _sendable(message.get("MessageAttributes", {})),
            }
            for index, message in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        done = {entry["Id"] for entry in sent.get("Successful", [])}
        if done:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                    if str(i) in done
                ],
            )
        return len(done), len(sent.get("Failed", []))

    # Quarantine -----------------------------------------------------------------------------

    def release(self, item: QuarantinedDelivery, *, dry_run: bool = False) -> Outcome:
        """Re-verify a quarantined delivery with today's secrets at its arrival time; if it
        passes, hand it off exactly like a new delivery (claim, message, archive)."""

        def outcome(result: str, detail: str = "", delivery_id: str | None = None) -> Outcome:
            return Outcome(delivery_id or item.id, item.source, result, detail)

        if item.released is not None:
            return outcome("skipped", f"released already as {item.released.get('delivery_id')}")
        body = self.quarantine.body(item)
        if hashlib.sha256(body).hexdigest() != item.body_sha256:
            return outcome("failed", "the quarantined body does not match its sha256")
        request = item.signed_request(body)
        arrived = item.received_at.timestamp()
        try:
            self.source(item.source)  # a usage error if the source is gone from the config
            if dry_run:
                checked = self.receiver.check(item.source, request, arrived)
                if isinstance(checked, Handshake):
                    return outcome("skipped", HANDSHAKE)
                return outcome("would_release", f"as {checked[0].id}")
            accepted = self.receiver.accept(item.source, request, arrived)
        except (VerificationError, UsageError) as error:
            reason = error.reason if isinstance(error, VerificationError) else str(error)
            return outcome("rejected", f"still rejected: {reason}")
        except ReceiverError as error:
            return outcome("failed", error.detail)
        if isinstance(accepted, Handshake):
            return outcome("skipped", HANDSHAKE)
        envelope = accepted.envelope
        self.quarantine.mark_released(item, envelope.id)
        if accepted.duplicate:
            return outcome("duplicate", f"{envelope.id} was accepted before (a sender retry)")
        self.receiver.after_ack(accepted)  # the archive, as after the route's ack
        return outcome("released", f"as {envelope.id}")


HANDSHAKE = "a handshake: nothing to process"


@dataclass
class DeadLetter:
    """A message in the DLQ and why its delivery failed."""

    message_id: str
    id: str | None = None
    source: str | None = None
    event_type: str | None = None
    unreadable: str | None = None  # the message is not an envelope: why
    record: dict[str, Any] | None = None

    @classmethod
    def read(cls, message_id: str, body: str) -> DeadLetter:
        try:
            envelope = Envelope.model_validate_json(body)
        except ValueError:
            return cls(message_id, unreadable="not an envelope (the worker cannot read it)")
        return cls(message_id, envelope.id, envelope.source, envelope.event_type)

    @property
    def key(self) -> str | None:
        return dedup_key(self.source, self.id) if self.source and self.id else None

    @property
    def status(self) -> str:
        return str(self.record["status"]) if self.record else "unknown"

    @property
    def failures(self) -> int | None:
        value = (self.record or {}).get("failures")
        return int(value) if value is not None else None

    @property
    def reason(self) -> str:
        if self.unreadable:
            return self.unreadable
        if self.record is None:
            return "no dedup record (expired, or never acknowledged)"
        error = self.record.get("last_error")
        return str(error) if error else "no failure recorded"

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "id": self.id,
            "source": self.source,
            "event_type": self.event_type,
            "status": self.status,
            "failures": self.failures,
            "last_error": self.reason,
        }


def _dedup_keys(archive_keys: list[str]) -> list[str]:
    """`archive/<source>/<yyyy>/<mm>/<dd>/<id>.json` -> `<source>#<id>` (storage.archive_prefix)."""
    return [
        dedup_key(key.split("/")[1], key.rsplit("/", 1)[-1].removesuffix(".json"))
        for key in archive_keys
    ]


def _sendable(attributes: dict[str, Any]) -> dict[str, Any]:
    """Received attributes carry empty list fields SendMessage refuses: keep the values only."""
    kept = {}
    for name, value in attributes.items():
        kept[name] = {
            k: v for k, v in value.items() if k in {"DataType", "StringValue", "BinaryValue"}
        }
    return kept


def read_ids(lines: Iterable[str]) -> Iterator[tuple[str | None, str]]:
    """(source or None, id) from lines of `id` or `source/id`; blanks and # comments skipped."""
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        source, slash, identifier = text.rpartition("/")
        yield (source if slash else None), identifier


# Sending ----------------------------------------------------------------------------------------


def sign_delivery(
    source: Source,
    base_url: str,
    *,
    event_type: str | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
    encoding: Encoding | None = None,
    delivery_id: str | None = None,
) -> SignedDelivery:
    """Sign like the real sender (the sender simulator), with the source's current secret."""
    if not can_sign(source):
        raise UsageError(
            f"source {source.name!r}: the {source.scheme.name} scheme is signed with the sender's"
            " private key, which we never hold; send from the sender itself"
        )
    try:
        return simulate(
            source,
            base_url=base_url,
            event_type=event_type,
            body=body,
            content_type=content_type,
            encoding=encoding,
            sender_id=delivery_id,
        )
    except ValueError as error:  # an encoding this sender never uses
        raise UsageError(str(error)) from None


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the JSON answer, or its text (TwiML); None when empty (Slack forms)
    delivery_id: str | None  # the receiver's X-Delivery-Id header, on every ack


def post(signed: SignedDelivery, timeout: float = 15.0) -> Answer:
    """POST it and read the answer. Only an unreachable URL raises."""
    request = urllib.request.Request(
        signed.url, data=signed.body, headers=signed.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), error.headers
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CliError(f"cannot reach {signed.url}: {reason}") from None
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return Answer(status, body, headers.get("x-delivery-id"))
