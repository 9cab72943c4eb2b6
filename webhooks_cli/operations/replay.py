"""Replay: an archived delivery re-enqueued for the worker, once unless forced."""

from __future__ import annotations

import time
from datetime import datetime

from handler.receive.signatures import SignedRequest, VerificationError, Verified
from handler.store.dedup import dedup_key, not_replayable
from handler.store.queue import Envelope

from .context import Outcome
from .deliveries import ArchivedDelivery, Deliveries
from .errors import UsageError


class Replays(Deliveries):
    def reverify(self, source_name: str, request: SignedRequest, received_at: datetime) -> Verified:
        """The scheme's own check, with the secrets configured now, at the time it arrived."""
        source = self.source(source_name)
        return source.scheme.verify(
            request, source.secrets, source.options, received_at.timestamp()
        )

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
