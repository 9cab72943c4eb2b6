"""verify → delivery id → durable hand-off → ack. No HTTP framework types in here.

ACK_POLICY=durable (the default): the ack promises durability: a 2xx goes out only once the
delivery's SQS message exists (or a previous copy's does). Anything that fails before that raises
HandoffFailed, which the app turns into 503 + Retry-After so the sender tries again. Two round
trips before the ack (claim, message; a large body's claim-check object first), none after it:
the worker archives the delivery from its message (README, "How one delivery flows").

ACK_POLICY=instant: the ack follows verification; claim and message run after the response
(`after_ack`), with retries. Faster, but a process that dies before they finish loses a
delivery the sender believes was received.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

from handler import metrics
from handler.aws import AWS_ERRORS, error_code
from handler.errors import HandoffFailed, UnknownSource
from handler.logs import logger
from handler.retries import DEFAULT_BACKOFF, Backoff, retry
from handler.settings import Settings
from handler.store.archive import Archive, ArchiveConflict, ArchiveFormatError, delivery_key
from handler.store.dedup import Claim, DedupTable, dedup_key, delivery_facts
from handler.store.queue import Envelope, WorkQueue
from handler.store.tally import DUPLICATE, Tally

from .signatures import Reply, SignedRequest
from .sources import Source

T = TypeVar("T")

# What makes a hand-off fail (503 before the ack): AWS, or a claim-check id already archived with
# other bytes.
HANDOFF_ERRORS = (*AWS_ERRORS, ArchiveConflict, ArchiveFormatError)

# Sender ids become S3 keys and DynamoDB keys: anything else is replaced by a hash of the body.
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=+-]{0,127}$")

# Never archived or forwarded: they authenticate someone to us, they are not part of the event.
# GitLab's X-Gitlab-Token is the secret itself, not a signature: it is never stored either, so a
# GitLab delivery cannot be re-verified from the archive (replay it with --no-verify).
# Okta's token rides in Authorization (never stored either); Asana's X-Hook-Secret is its signing
# secret, only ever sent in the handshake.
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-amz-security-token",
        "x-gitlab-token",
        "x-hook-secret",
    }
)


def delivery_id(sender_id: str | None, body_sha256: str) -> str:
    """The sender's own id where it has one, so its retries dedup; else the raw body's hash."""
    if sender_id and SAFE_ID.match(sender_id):
        return sender_id
    return "sha256-" + body_sha256


def archived_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in CREDENTIAL_HEADERS}


def same_archive_key(envelope: Envelope, first_received_at: str | None) -> Envelope:
    """A copy enqueued beside a live claim, dated as the claim's copy: the archive key holds the
    day a delivery arrived, and both messages must meet at one key (If-None-Match keeps one
    object) even when the copies straddle midnight."""
    if first_received_at is None:
        return envelope
    try:
        received_at = datetime.fromisoformat(first_received_at)
    except ValueError:
        return envelope
    if received_at == envelope.received_at:
        return envelope
    body_key = envelope.body_key and delivery_key(envelope.source, envelope.id, received_at)
    return envelope.model_copy(update={"received_at": received_at, "body_key": body_key})


def facts_of(envelope: Envelope) -> dict[str, str | int]:
    return delivery_facts(envelope.event_type, envelope.received_at, envelope.body_size)


@dataclass(frozen=True)
class Accepted:
    envelope: Envelope
    body: bytes
    duplicate: bool = False
    handed_off: bool = True  # False under ACK_POLICY=instant: claim and message come after
    reply: Reply | None = None  # the ack the sender requires in place of ours (Verified.ack)


@dataclass(frozen=True)
class Handshake:
    """A handshake (Slack's challenge, Discord's PING, Meta's GET, Zoom's url_validation...)
    answered directly, never enqueued."""

    reply: Reply


@dataclass
class Receiver:
    settings: Settings
    sources: Mapping[str, Source]
    dedup: DedupTable
    queue: WorkQueue
    archive: Archive
    clock: Callable[[], float] = time.time
    # Work after the ack has no sender waiting to retry it: retry it here, briefly.
    backoff: Backoff = DEFAULT_BACKOFF
    sleep: Callable[[float], None] = time.sleep
    # Duplicates and refusals per minute, for the console (None: not counted).
    tally: Tally | None = None

    def source(self, name: str) -> Source:
        source = self.sources.get(name)
        if source is None:
            raise UnknownSource(f"no webhook source named {name!r} is configured")
        return source

    def receive(self, source_name: str, request: SignedRequest) -> Accepted | Handshake:
        """The HTTP route's entry: durable before the ack, or (ACK_POLICY=instant) verified only,
        the hand-off left to `after_ack`."""
        return self.accept(source_name, request, durable=self.settings.ack_policy != "instant")

    def accept(
        self,
        source_name: str,
        request: SignedRequest,
        received_at: float | None = None,
        *,
        durable: bool = True,
    ) -> Accepted | Handshake:
        """Accept one delivery: verify, derive its id, then (`durable`) claim and message. The
        one way in, for the HTTP route and for a quarantined delivery released later
        (`received_at`: when it arrived, for its signature's timestamp and its archive day)."""
        checked = self.check(source_name, request, received_at)
        if isinstance(checked, Handshake):
            return checked
        envelope, ack = checked
        if durable:
            # A release from quarantine (`received_at` given) is not a fresh arrival: its message
            # says so, and the worker keeps no ack latency for it.
            late = received_at is not None
            accepted = self.hand_off(envelope, request.body, self.clock(), late=late)
        else:
            accepted = Accepted(envelope, request.body, handed_off=False)
        return replace(accepted, reply=ack) if ack else accepted

    def check(
        self, source_name: str, request: SignedRequest, received_at: float | None = None
    ) -> tuple[Envelope, Reply | None] | Handshake:
        """Verify and describe a delivery without storing anything: its envelope and the ack its
        sender requires, or the handshake to answer. Raises the scheme's VerificationError."""
        source = self.source(source_name)
        now = self.clock() if received_at is None else received_at
        answered = self.handshake(source_name, request, now)
        if answered is not None:  # Asana's first POST: a handshake, not a delivery
            return answered
        verified = source.scheme.verify(request, source.secrets, source.options, now)
        if verified.reply is not None:
            return Handshake(verified.reply)
        envelope = self.envelope(source, request, verified.event_type, verified.sender_id, now)
        return envelope, verified.ack

    def handshake(
        self, source_name: str, request: SignedRequest, now: float | None = None
    ) -> Handshake | None:
        """The answer to a handshake that is not a signed delivery (a GET, a HEAD, Asana's
        X-Hook-Secret), checked by the sender's own rule; None when `request` is not one.
        Raises the scheme's VerificationError (HandshakeRefused: a wrong verify token)."""
        source = self.source(source_name)
        if source.scheme.handshake is None:
            return None
        when = self.clock() if now is None else now
        reply = source.scheme.handshake(request, source.secrets, source.options, when)
        return None if reply is None else Handshake(reply)

    def envelope(
        self,
        source: Source,
        request: SignedRequest,
        event_type: str,
        sender_id: str | None,
        now: float,
    ) -> Envelope:
        digest = hashlib.sha256(request.body).hexdigest()  # the id of a sender without ids, too
        identifier = delivery_id(sender_id, digest)
        received_at = datetime.fromtimestamp(now, UTC)
        large = len(request.body) > self.settings.claim_check_bytes
        return Envelope(
            id=identifier,
            source=source.name,
            event_type=event_type,
            received_at=received_at,
            url=request.url,
            headers=archived_headers(request.headers),
            body_sha256=digest,
            body_size=len(request.body),
            body_b64=None if large else base64.b64encode(request.body).decode(),
            body_key=delivery_key(source.name, identifier, received_at) if large else None,
        )

    def hand_off(
        self, envelope: Envelope, body: bytes, now: float, *, late: bool = False
    ) -> Accepted:
        """One conditional claim, then one SQS message; only then is the delivery acknowledged.

        No write follows the message: the claim stays "claimed" until a worker holds it. So a
        copy that finds a live claim cannot tell an owner still handing off (or dead before
        its message) from one that enqueued and acked: it sends its own message and is
        answered as a duplicate, durable through that message whatever became of the owner.
        The worker's hold gives the two messages one effect (README, "How one delivery
        flows")."""
        key = dedup_key(envelope.source, envelope.id)
        log = {"delivery_id": envelope.id, "source": envelope.source}
        try:
            claim, token, first_received_at = self.dedup.claim(key, now, facts_of(envelope))
        except AWS_ERRORS as error:
            logger.error("claim failed", extra={**log, "aws_error": error_code(error)})
            raise self._unavailable() from None
        if claim is Claim.DUPLICATE:
            return Accepted(envelope, body, duplicate=True)
        queued = envelope
        if claim is Claim.IN_FLIGHT:
            queued = same_archive_key(envelope, first_received_at)
        try:
            self._enqueue(queued, body, late=late)
        except HANDOFF_ERRORS as error:
            logger.error("hand-off failed", extra={**log, "aws_error": error_code(error)})
            if claim is Claim.CLAIMED:
                self._release(key, token, log)
            raise self._unavailable() from None
        if claim is Claim.IN_FLIGHT:
            logger.info("copy of a delivery in flight: enqueued again", extra=log)
            return Accepted(envelope, body, duplicate=True)
        return Accepted(envelope, body)

    def after_ack(self, accepted: Accepted) -> None:
        """After the response, under ACK_POLICY=instant only: the hand-off. (Under durable
        nothing is left to do: the worker archives the delivery from its message.)"""
        if not accepted.handed_off:
            self.hand_off_after_ack(accepted)

    def hand_off_after_ack(self, accepted: Accepted) -> None:
        """ACK_POLICY=instant: the sender has its 202 already; make the delivery durable now."""
        envelope, body = accepted.envelope, accepted.body
        key = dedup_key(envelope.source, envelope.id)
        log = {"delivery_id": envelope.id, "source": envelope.source}
        claim: Claim | None = None
        token = ""
        first_received_at: str | None = None
        try:
            claim, token, first_received_at = self._retry(
                lambda: self.dedup.claim(key, self.clock(), facts_of(envelope))
            )
        except AWS_ERRORS as error:
            # The message alone makes the delivery durable; the worker's hold dedups the effect.
            logger.warning(
                "claim failed after the ack; enqueueing anyway",
                extra={**log, "aws_error": error_code(error)},
            )
        if claim is Claim.DUPLICATE:
            logger.info("duplicate delivery", extra=log)
            self.after_duplicate(accepted)
            return
        # Claim.IN_FLIGHT: another copy is being handed off, but this one was acked too and that
        # owner may die before enqueueing. Enqueue anyway: the worker's hold gives one effect.
        queued = envelope
        if claim is Claim.IN_FLIGHT:
            queued = same_archive_key(envelope, first_received_at)
        try:
            self._retry(lambda: self._enqueue(queued, body))
        except HANDOFF_ERRORS as error:
            logger.error(
                "acknowledged delivery lost: hand-off failed after retries",
                extra={**log, "aws_error": error_code(error)},
            )
            metrics.emit({"AcknowledgedDeliveryLost": 1}, source=envelope.source)
            if claim is Claim.CLAIMED:
                self._release(key, token, log)
            return
        if claim is Claim.IN_FLIGHT:  # a copy, as under durable: counted as one
            self.after_duplicate(accepted)

    def after_duplicate(self, accepted: Accepted) -> None:
        """After a duplicate's ack: counted on its record and per minute; best effort."""
        envelope = accepted.envelope
        try:
            self.dedup.note_duplicate(dedup_key(envelope.source, envelope.id), self.clock())
        except AWS_ERRORS as error:
            log = {"delivery_id": envelope.id, "aws_error": error_code(error)}
            logger.warning("duplicate not noted", extra=log)
        self.count(envelope.source, DUPLICATE, envelope.received_at.timestamp())

    def count(self, source: str, counter: str, at: float) -> None:
        """After the response: one more duplicate or refusal (`tally.rejected(reason)`) at `at`,
        for the console's charts. Nothing of the request is kept; never raises."""
        if self.tally is not None:
            self.tally.add(source, counter, at)
            self.tally.flush()

    def _enqueue(self, envelope: Envelope, body: bytes, *, late: bool = False) -> None:
        if envelope.body_key is not None:
            self._claim_check(envelope, body)
        self.queue.send(envelope, released_late=late)

    def _claim_check(self, envelope: Envelope, body: bytes) -> None:
        """A body too large for a message goes to its final archive object first (so the
        worker writes nothing more). Found there already (a hand-off retried after a failed
        message, or a re-claim after the lease): the same bytes do, other bytes under the same
        id and day cannot be archived without overwriting, so the hand-off fails (503)."""
        assert envelope.body_key is not None
        if self.archive.write(envelope, body):
            return
        archived = self.archive.read_meta(envelope.body_key)
        if archived.get("body_sha256") != envelope.body_sha256:
            logger.error(
                "another body is archived under this delivery id",
                extra={"delivery_id": envelope.id, "source": envelope.source},
            )
            raise ArchiveConflict(envelope.body_key)

    def _retry(self, call: Callable[[], T]) -> T:
        return retry(call, backoff=self.backoff, retry_on=AWS_ERRORS, sleep=self.sleep)

    def _release(self, key: str, token: str, log: dict[str, str]) -> None:
        try:
            self.dedup.release(key, token)
        except AWS_ERRORS as error:
            # The lease runs out on its own; until then a retry gets 409 and tries again.
            logger.warning("claim release failed", extra={**log, "aws_error": error_code(error)})

    def _unavailable(self) -> HandoffFailed:
        return HandoffFailed(
            "the delivery could not be stored durably; retry later",
            retry_after=self.settings.retry_after_seconds,
        )
