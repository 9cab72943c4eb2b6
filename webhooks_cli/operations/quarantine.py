"""Release: a quarantined delivery re-verified with today's secrets and, if it passes, handed
off like a new one."""

from __future__ import annotations

import hashlib

from handler.errors import ReceiverError
from handler.receive.ingest import Handshake
from handler.receive.quarantine import QuarantinedDelivery
from handler.receive.signatures import VerificationError

from .context import Context, Outcome
from .errors import UsageError

HANDSHAKE = "a handshake: nothing to process"


class Releases(Context):
    def release(self, item: QuarantinedDelivery, *, dry_run: bool = False) -> Outcome:
        """Re-verify a quarantined delivery with today's secrets at its arrival time; if it
        passes, hand it off exactly like a new delivery (claim, message; the worker archives it)."""

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
        return outcome("released", f"as {envelope.id}")
