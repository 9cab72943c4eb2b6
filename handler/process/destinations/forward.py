"""One HTTP attempt at a destination: the raw body, re-signed with Standard Webhooks.

The standard library's http.client, not requests/urllib3's pool: it never follows a redirect
(a 3xx is just an answer, and a failed attempt), it lets us connect to the address the SSRF
check approved while sending the host's name (and its TLS SNI), and it adds nothing to the
worker's imports when no source has destinations (this module is imported only then).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from handler.receive.signatures.base import SchemeOptions, SigningInput
from handler.receive.signatures.standard import sign

from .config import Destination
from .ssrf import Target, UnsafeUrl, parse_target, resolve_checked

SNIPPET_BYTES = 2048  # the most of a response body ever read; kept for operators, never logged
USER_AGENT = "webhook-receiver-forwarder/1"


@dataclass(frozen=True)
class Delivery:
    """What a destination is sent: one verified delivery, as the sender sent it."""

    id: str
    source: str
    event_type: str
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Response:
    """What one attempt came to: an HTTP status, or none (status 0) and an error kind."""

    status: int
    latency_ms: float
    snippet: str = ""
    error: str | None = None  # "timeout", "connect", "refused_url: ..." when there was no answer
    retry_after: float | None = None  # seconds, from a 429's (or 503's) Retry-After


def signed_headers(destination: Destination, delivery: Delivery, now: float) -> dict[str, str]:
    """Our headers: the destination's own, Standard Webhooks' three, the source and event type."""
    signing = SigningInput(
        body=delivery.body,
        secret=destination.secret,
        url=destination.url,
        now=now,
        event_type=delivery.event_type,
        delivery_id=delivery.id,
        content_type=delivery.content_type,
    )
    return {
        **destination.headers,
        **sign(signing, SchemeOptions()),
        "webhook-source": delivery.source,
        "webhook-event-type": delivery.event_type,
        "user-agent": USER_AGENT,
    }


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an approved address while the request names the host."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=_TLS)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host's name, not the address we dialled.
        self.sock = _TLS.wrap_socket(raw, server_hostname=self.host)


_TLS = ssl.create_default_context()


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None


def attempt(destination: Destination, delivery: Delivery, now: float) -> Response:
    """POST the delivery once. Never raises for the destination's sake: errors are a Response."""
    started = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    try:
        target = parse_target(destination.url)
        address = resolve_checked(target, allow_private_network=destination.allow_private_network)
    except UnsafeUrl as error:
        return Response(0, elapsed(), error=f"refused_url: {error}")
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection: Any = kind(target, address, destination.timeout_seconds)
    try:
        connection.request(
            "POST",
            target.path,
            body=delivery.body,
            headers=signed_headers(destination, delivery, now),
        )
        answer = connection.getresponse()
        snippet = answer.read(SNIPPET_BYTES).decode("utf-8", "replace")
        return Response(
            answer.status,
            elapsed(),
            snippet=snippet,
            retry_after=retry_after_seconds(answer.getheader("retry-after"), now),
        )
    except TimeoutError:
        return Response(0, elapsed(), error="timeout")
    except ssl.SSLError as error:
        return Response(0, elapsed(), error=f"tls: {error.__class__.__name__}")
    except (OSError, http.client.HTTPException) as error:
        return Response(0, elapsed(), error=f"connection: {error.__class__.__name__}")
    finally:
        connection.close()
