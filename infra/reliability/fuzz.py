"""Bad input: an HTTP fuzz of the webhook endpoint over raw sockets (methods, paths, headers,
bodies, encodings, sizes, broken framing, forgeries of genuine deliveries) and an in-process
fuzz of every scheme's verify. Never a 5xx, never a forged delivery accepted."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from handler.receive.signatures import SignedRequest, VerificationError
from handler.receive.sources import Source
from webhook_sim.examples import examples_of

from .senders import SENDER_SOURCES, Delivery, Signer, make_delivery
from .stack import HOST

# The built-in schemes that sign no timestamp; a catalogue sender says so itself (TIMESTAMPED).
UNTIMED_SCHEMES = frozenset({"github", "shopify", "rotating", "internal", "twilio", "gitlab"})


def signs_timestamp(source: str) -> bool:
    """Whether a stale timestamp, re-signed with the real secret, must be refused."""
    examples = examples_of(source)
    if examples is not None:
        return bool(getattr(examples, "TIMESTAMPED", False))
    return source not in UNTIMED_SCHEMES


METHODS = ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "POST")
CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "text/plain; charset=latin-1",
    "multipart/form-data; boundary=x",
    "application/cloudevents+json",
    "",
    ";;;",
    "application/json; charset=\x7f",
)
SIGNATURE_HEADERS = (
    "x-hub-signature-256",
    "stripe-signature",
    "x-slack-signature",
    "x-slack-request-timestamp",
    "x-shopify-hmac-sha256",
    "webhook-signature",
    "webhook-id",
    "webhook-timestamp",
    "svix-signature",
    "svix-id",
    "svix-timestamp",
    "x-twilio-signature",
    "x-twilio-webhooks-signature-settings",
    "x-gitlab-token",
    "x-signature-ed25519",
    "x-signature-timestamp",
    "x-signature",
    "x-delivery-id",
    "x-github-delivery",
    "idempotency-key",
    "x-zm-signature",
    "x-zm-request-timestamp",
    "twitch-eventsub-message-signature",
    "twitch-eventsub-message-timestamp",
    "twitch-eventsub-message-id",
    "x-hub-signature",
    "sentry-hook-signature",
)

# Headers our signer sends that no signature covers (or that we conservatively treat so).
UNSIGNED_HEADERS = frozenset(
    {
        "content-type",
        "x-github-event",
        "x-github-delivery",
        "x-shopify-topic",
        "x-shopify-webhook-id",
        "x-shopify-triggered-at",
        "i-twilio-idempotency-token",
        "x-gitlab-event",
        "x-gitlab-event-uuid",
        "idempotency-key",
        "x-delivery-id",
        "x-event-type",
        "webhook-id",
        # Catalogue senders: ids, types and message kinds beside the signature.
        "x-zm-trackingid",
        "twitch-eventsub-message-type",
        "twitch-eventsub-subscription-type",
        "twitch-eventsub-subscription-version",
        "twitch-eventsub-message-retry",
        "x-event-key",
        "x-request-uuid",
        "sentry-hook-resource",
        "request-id",
        "x-razorpay-event-id",
        "x-gitea-delivery",
        "x-gitea-event",
        "x-webhook-id",
    }
)


@dataclass
class Case:
    raw: bytes  # the whole request as sent on the wire
    kind: str
    forged: bool = False  # must not be accepted
    genuine: bool = False  # correctly signed: should be accepted (2xx)
    half_close: bool = False  # shut our side after sending (truncated bodies)


@dataclass
class FuzzResult:
    cases: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    forged_accepted: int = 0
    genuine_accepted: int = 0
    genuine_refused: int = 0
    no_answer: int = 0
    examples: list[str] = field(default_factory=list)
    accepted_keys: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "accepted_keys"}
        data["by_kind"] = dict(self.by_kind)
        data["statuses"] = dict(sorted(self.statuses.items()))
        return data


def _random_text(rng: random.Random, size: int) -> str:
    alphabet = "abcXYZ019=,.;:/+-_ \t%\"'<>{}[]\\é€\x00\x7f"
    return "".join(rng.choice(alphabet) for _ in range(size))


def _header_value(rng: random.Random) -> str:
    choice = rng.randrange(10)
    if choice == 0:
        return ""
    if choice == 1:
        return "sha256=" + "".join(rng.choice("0123456789abcdef") for _ in range(64))
    if choice == 2:
        return f"t={rng.choice(['', '-1', '9' * 40, '1e9', str(int(time.time()))])},v1=zz,v0=,"
    if choice == 3:
        return "v1," + base64.b64encode(rng.randbytes(32)).decode() + " v1a,xx v1,!!"
    if choice == 4:
        return str(rng.choice([0, -5, 10**30, int(time.time()), int(time.time()) - 10**6]))
    if choice == 5:
        return rng.randbytes(rng.randrange(1, 40)).decode("latin-1")
    if choice == 6:
        return "x" * rng.choice((1000, 7000))
    if choice == 7:
        return "algorithm=" + rng.choice(["HMAC_SHA256", "md5", "", "HMAC_SHA1,algorithm=x"])
    return _random_text(rng, rng.randrange(1, 80))


def _body(rng: random.Random) -> bytes:
    choice = rng.randrange(9)
    if choice == 0:
        return b""
    if choice == 1:
        return rng.randbytes(rng.randrange(1, 2000))
    if choice == 2:
        return b"[" * 50_000 + b"]" * 50_000  # nesting past the recursion limit
    if choice == 3:
        return json.dumps({"type": "url_verification", "challenge": _random_text(rng, 20)}).encode()
    if choice == 4:
        return b"payload=" + rng.choice([b"%7B", b"null", b"%5B1%5D", b"%ZZ", b'{"type":1}'])
    if choice == 5:
        return '{"id": "é", "type": "\\ud800"}'.encode("utf-16")
    if choice == 6:
        return gzip.compress(b'{"id": "evt_gz", "type": "x"}')
    if choice == 7:
        return b"command=/x&ssl_check=1&" + _random_text(rng, 50).encode()
    return json.dumps({"id": _random_text(rng, 10), "type": [1, {"a": None}]}).encode()


def _request(
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    length: str | None = None,
    version: str = "HTTP/1.1",
    host: str = HOST,
) -> bytes:
    lines = [f"{method} {path} {version}", f"Host: {host}", "Connection: close"]
    if length is None:
        length = str(len(body))
    if length != "omit":
        lines.append(f"Content-Length: {length}")
    lines += [f"{name}: {value}" for name, value in headers]
    return "\r\n".join(lines).encode("latin-1", "replace") + b"\r\n\r\n" + body


class CaseFactory:
    def __init__(self, signer: Signer, rng: random.Random) -> None:
        self.signer = signer
        self.rng = rng
        self.sources = list(SENDER_SOURCES)

    def genuine(self, cell: str = "fuzz") -> tuple[Delivery, str, dict[str, str]]:
        delivery = make_delivery(self.rng.choice(self.sources), cell, self.rng)
        path, headers = self.signer.sign(delivery)
        return delivery, path, headers

    def make(self) -> tuple[Case, Delivery | None]:
        rng = self.rng
        kind = rng.choices(
            ("path", "method", "headers", "body", "framing", "forged", "genuine_odd", "genuine"),
            weights=(12, 8, 30, 20, 8, 18, 2, 2),
        )[0]
        source = rng.choice(self.sources)
        if kind == "path":
            path = rng.choice(
                [
                    "/webhooks/" + _random_text(rng, rng.randrange(0, 30)).replace(" ", "%20"),
                    "/webhooks/github/extra",
                    "/webhooks/" + "a" * 5000,
                    "//webhooks//github",
                    "/webhooks/%2e%2e/health",
                    "/webhooks/github?x=" + "%" * 5,
                    "/" + _random_text(rng, 20),
                    "*",
                    "http://evil.example/webhooks/github",
                ]
            )
            path = "".join(c if 32 < ord(c) < 127 else "%41" for c in path)
            return Case(_request("POST", path, [], _body(rng)), kind), None
        if kind == "method":
            method = rng.choice((*METHODS[:-1], "POST", "G\x01T", "X" * 50))
            return Case(_request(method, f"/webhooks/{source}", [], _body(rng)), kind), None
        if kind in ("headers", "body"):
            headers = [
                (rng.choice(SIGNATURE_HEADERS), _header_value(rng))
                for _ in range(rng.randrange(0, 6))
            ]
            headers.append(("Content-Type", rng.choice(CONTENT_TYPES)))
            if rng.random() < 0.2:
                headers.append(("Content-Encoding", rng.choice(["gzip", "br", "x"])))
            if rng.random() < 0.05:
                headers += [(f"X-Pad-{i}", "y" * 100) for i in range(rng.randrange(10, 90))]
            body = _body(rng) if kind == "body" else rng.randbytes(rng.randrange(0, 300))
            return Case(_request("POST", f"/webhooks/{source}", headers, body), kind), None
        if kind == "framing":
            body = rng.randbytes(rng.randrange(0, 500))
            variant = rng.randrange(6)
            if variant == 0:
                raw = _request("POST", f"/webhooks/{source}", [], body, length="-1")
            elif variant == 1:
                raw = _request("POST", f"/webhooks/{source}", [], body, length="12abc")
            elif variant == 2:
                raw = _request(
                    "POST",
                    f"/webhooks/{source}",
                    [("Transfer-Encoding", "chunked")],
                    f"{len(body):x}\r\n".encode() + body + b"\r\nZZ\r\n",
                    length="omit",
                )
            elif variant == 3:  # shorter than declared, then the client stops sending
                raw = _request("POST", f"/webhooks/{source}", [], body, length=str(len(body) + 9))
                return Case(raw, kind, half_close=True), None
            elif variant == 4:
                raw = _request("POST", f"/webhooks/{source}", [], body, version="HTTP/1.0")
            else:
                raw = b"POST /webhooks/" + source.encode() + b" HTTP/1.1\r\nHost: x\r\n\x00\r\n\r\n"
            return Case(raw, kind), None
        delivery, path, signed = self.genuine()
        headers = list(signed.items())
        body = delivery.body
        if kind == "forged":
            forged = self.forge(delivery, path, signed, body)
            if forged is None:
                return self.make()
            return forged, None
        if kind == "genuine_odd":
            # Same signed delivery, header names in odd case and extra noise: still genuine.
            headers = [(n.upper() if rng.random() < 0.5 else n.title(), v) for n, v in headers]
            headers.append(("X-Noise", "".join(rng.choice("abc-_=/ ") for _ in range(9)) + "n"))
        host = self.signer.base_url.split("//", 1)[1]  # Twilio signs the URL with its port
        return Case(_request("POST", path, headers, body, host=host), kind, genuine=True), delivery

    def forge(
        self, delivery: Delivery, path: str, signed: dict[str, str], body: bytes
    ) -> Case | None:
        rng = self.rng
        headers = dict(signed)
        variant = rng.randrange(4)
        if delivery.source == "gitlab":
            variant = 2  # a GitLab token signs nothing but itself: only a wrong token forges
        if variant == 0 and body:  # flip one bit of the body
            position = rng.randrange(len(body))
            body = (
                body[:position]
                + bytes([body[position] ^ 1 << rng.randrange(8)])
                + body[position + 1 :]
            )
            if delivery.source == "twilio":
                return None  # the URL's bodySHA256 then mismatches: covered by variant 2
        elif variant == 1:  # a stale timestamp, re-signed with the real secret
            if not signs_timestamp(delivery.source):
                return None  # re-signed, it is a genuine delivery
            path, headers = self.signer.sign(delivery, now=time.time() - 3600)
        elif variant == 2:  # signed with a secret we do not hold
            path, headers = self.signer.sign(delivery, secret=self._wrong_secret(delivery.source))
        else:  # the signature of another delivery
            _, _, other_headers = self.genuine()
            for name in headers:
                if name in other_headers and ("signature" in name or "hmac" in name):
                    headers[name] = other_headers[name]
            if headers == signed:
                return None
        host = self.signer.base_url.split("//", 1)[1]
        raw = _request("POST", path, list(headers.items()), body, host=host)
        return Case(raw, "forged", forged=True)

    def _wrong_secret(self, source: str) -> str:
        if source == "standard":
            return "whsec_" + base64.b64encode(self.rng.randbytes(24)).decode()
        return "wrong-" + self.rng.randbytes(8).hex()


def exchange(case: Case, port: int, timeout: float = 5.0) -> tuple[int | None, bytes]:
    """Send one raw request; the answer's status (None when the server answered nothing) and
    the whole answer."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            try:
                sock.sendall(case.raw)
                if case.half_close:
                    sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server may answer (413, 400) and close before reading everything
            data = b""
            with contextlib.suppress(OSError):
                while len(data) < 1_000_000:  # Connection: close: the answer ends at EOF
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
    except OSError:
        return None, b""
    parts = data.split(b" ", 2)
    if len(parts) >= 2 and parts[1][:3].isdigit():
        return int(parts[1][:3]), data
    return None, data


def http_fuzz(
    signer: Signer,
    port: int,
    *,
    cases: int,
    budget: float,
    concurrency: int,
    seed: int,
    scan: Callable[[bytes], None] | None = None,
) -> FuzzResult:
    result = FuzzResult()
    lock = threading.Lock()
    deadline = time.monotonic() + budget
    counter = iter(range(cases))

    def worker(index: int) -> None:
        factory = CaseFactory(signer, random.Random(seed * 1000 + index))
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    return
            case, delivery = factory.make()
            status, answer = exchange(case, port)
            if scan is not None:
                scan(answer)
            with lock:
                result.cases += 1
                result.by_kind[case.kind] += 1
                result.statuses[str(status)] += 1
                accepted = status is not None and 200 <= status < 300
                if status is None:
                    result.no_answer += 1
                elif status >= 500:
                    result.server_errors += 1
                    if len(result.examples) < 20:
                        result.examples.append(f"{status} {case.kind}: {case.raw[:300]!r}")
                if case.forged and accepted:
                    result.forged_accepted += 1
                    if len(result.examples) < 20:
                        result.examples.append(f"forged accepted: {case.raw[:300]!r}")
                if case.genuine and delivery is not None:
                    if accepted:
                        result.genuine_accepted += 1
                        result.accepted_keys.add(delivery.key)
                    else:
                        result.genuine_refused += 1
                        if len(result.examples) < 20:
                            result.examples.append(f"genuine refused {status}: {case.raw[:300]!r}")

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    return result


@dataclass
class ParserFuzz:
    cases: int = 0
    unexpected_errors: int = 0
    forged_accepted: int = 0
    examples: list[str] = field(default_factory=list)


def parser_fuzz(
    sources: dict[str, Source], signer: Signer, *, cases: int, budget: float, seed: int
) -> ParserFuzz:
    """Every scheme's verify called in-process on fuzzed requests: it may refuse with a
    VerificationError and nothing else, and it never verifies a request that was not signed
    with a configured secret."""
    rng = random.Random(seed)
    factory = CaseFactory(signer, rng)
    result = ParserFuzz()
    deadline = time.monotonic() + budget
    now = time.time()
    names = list(SENDER_SOURCES)
    while result.cases < cases and time.monotonic() < deadline:
        name = rng.choice(names)
        source = sources[name]
        if rng.random() < 0.3:  # mutate a genuine delivery's headers: a forgery
            delivery, path, signed = factory.genuine()
            source = sources[delivery.source]
            headers = dict(signed)
            victim = rng.choice(list(headers))
            value = _header_value(rng)
            forged = victim not in UNSIGNED_HEADERS and value != headers[victim]
            headers[victim] = value
            body = delivery.body
            url = signer.base_url + path
        else:
            headers = {
                rng.choice(SIGNATURE_HEADERS): _header_value(rng) for _ in range(rng.randrange(6))
            }
            headers["content-type"] = rng.choice(CONTENT_TYPES)
            body = _body(rng)
            forged = True
            url = rng.choice(
                [signer.base_url + f"/webhooks/{name}", "http://h:99999/x?bodySHA256="]
            )
        request = SignedRequest("POST", url, {k.lower(): v for k, v in headers.items()}, body)
        result.cases += 1
        try:
            source.scheme.verify(request, source.secrets, source.options, now)
        except VerificationError:
            continue
        except Exception as error:
            result.unexpected_errors += 1
            if len(result.examples) < 20:
                result.examples.append(f"{name}: {type(error).__name__}: {error}"[:300])
            continue
        if forged:
            result.forged_accepted += 1
            if len(result.examples) < 20:
                result.examples.append(f"{name}: forged request verified: {headers!r}"[:300])
    return result
