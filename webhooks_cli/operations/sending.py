"""Sending: a delivery signed like the real sender would, POSTed to the receiver."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from handler.receive.sources import Source
from webhook_sim.samples import Encoding
from webhook_sim.senders import SignedDelivery, can_sign, simulate

from .errors import CliError, UsageError


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
