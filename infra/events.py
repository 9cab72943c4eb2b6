"""Sample Lambda events for `sam local invoke` and the tests, signed now with the demo secrets.

    python -m infra.events [--out events/]      # `make events`

Writes one JSON file per event: API Gateway HTTP API (payload format 2.0) requests for every demo
source of infra/demo-sources.toml (valid, tampered, stale where the scheme has a timestamp), a
source that does not exist, the Slack url_verification, Discord PING and Meta subscribe (a GET)
handshakes, GET /health,
and SQS batches for the worker (one valid, one with a poison record). Signed events go stale (a
timestamp scheme refuses them after its tolerance, 300 s by default): regenerate them, never edit
them by hand. `generate(now)` is the importable API: the same `now` gives the same events.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handler.receive.sources import Source, load_sources
from handler.settings import Settings
from handler.store.queue import Envelope
from infra import DEMO_SOURCES
from infra.apigw import ACCOUNT_ID, BASE_URL, REGION, http_api_event, stable_id
from webhook_sim.senders import SignedDelivery, sign, simulate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "events"

WEBHOOK_ROUTE = "POST /webhooks/{source}"
HANDSHAKE_ROUTE = "GET /webhooks/{source}"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:webhook-work"
# Schemes whose signature covers a timestamp, so an old delivery is refused (401).
TIMESTAMPED = {"stripe", "slack", "standard", "discord"}
FORM_TYPE = "application/x-www-form-urlencoded"
STALE_SECONDS = 3600
USER_AGENTS = {
    "github": "GitHub-Hookshot/7d4fb1c",
    "stripe": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    "slack": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "shopify": "Shopify-Captain-Hook",
    "standard": "Svix-Webhooks/1.40.0",
    "twilio": "TwilioProxy/1.1",
    "gitlab": "GitLab/17.0.0",
    "discord": "Discord-Interactions/1.0 (+https://discord.com)",
    "meta": "facebookexternalua",
}


def demo_sources(path: Path = DEMO_SOURCES) -> dict[str, Source]:
    """The sources of a TOML file; only literal secrets can sign (references resolve to "")."""
    return load_sources(Settings(webhook_sources_file=str(path)), lambda kind, name: "")


# --------------------------------------------------------------------------- bodies and signing


def _json(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def tamper(body: bytes) -> bytes:
    """The body with one character changed after signing, as an attacker or a broken proxy would."""
    for old, new in ((b"4200", b"9999"), (b"main", b"evil"), (b"Hello", b"Jello")):
        if old in body:
            return body.replace(old, new, 1)
    return body + b" "


def webhook_event(
    source_name: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float,
    query: str = "",
    user_agent: str = "curl/8.5.0",
) -> dict[str, Any]:
    return http_api_event(
        "POST",
        f"/webhooks/{source_name}",
        now=now,
        headers=headers,
        body=body,
        query=query,
        route_key=WEBHOOK_ROUTE,
        path_parameters={"source": source_name},
        user_agent=user_agent,
    )


def delivery_event(
    delivery: SignedDelivery, *, now: float | None = None, user_agent: str = "curl/8.5.0"
) -> dict[str, Any]:
    """The API Gateway event that carries a simulated delivery (signed for BASE_URL)."""
    now = time.time() if now is None else now
    return webhook_event(
        delivery.source,
        delivery.body,
        delivery.headers,
        now=now,
        query=_query(delivery),
        user_agent=user_agent,
    )


def signed_event(
    source: Source, body: bytes, *, event_type: str, sender_id: str, now: float | None = None
) -> dict[str, Any]:
    """An API Gateway event carrying `body` as `source`'s sender signs it."""
    signed = sign(
        source, body, base_url=BASE_URL, event_type=event_type, sender_id=sender_id, now=now
    )
    return delivery_event(signed, now=now)


def _delivery(source: Source, now: float, signed_at: float, name: str) -> SignedDelivery:
    """A correctly signed sample delivery of the source's sender, signed at `signed_at`."""
    sender_id = stable_id(now, source.name, name)
    if source.scheme.name == "stripe":
        sender_id = f"evt_{sender_id.replace('-', '')[:24]}"
    return simulate(source, base_url=BASE_URL, sender_id=sender_id, now=signed_at)


def _query(delivery: SignedDelivery) -> str:
    return delivery.url.partition("?")[2]


def source_events(source: Source, now: float) -> dict[str, dict[str, Any]]:
    """valid, tampered and (for timestamp schemes) stale deliveries to one source."""
    scheme = source.scheme.name
    agent = USER_AGENTS.get(scheme, "curl/8.5.0")
    events: dict[str, dict[str, Any]] = {}

    valid = _delivery(source, now, now, "valid")
    events[f"{source.name}-valid"] = delivery_event(valid, now=now, user_agent=agent)

    tampered = _delivery(source, now, now, "tampered")
    body, headers = tampered.body, tampered.headers
    if scheme == "gitlab":  # the token is not a signature of the body: a wrong token instead
        headers = {**headers, "x-gitlab-token": "not-the-token"}
    else:
        body = tamper(body)
    events[f"{source.name}-tampered"] = delivery_event(
        replace(tampered, body=body, headers=headers), now=now, user_agent=agent
    )

    if scheme in TIMESTAMPED or getattr(source.options, "timestamp_header", None):
        stale = _delivery(source, now, now - STALE_SECONDS, "stale")
        events[f"{source.name}-stale"] = delivery_event(stale, now=now, user_agent=agent)
    return events


def handshake_events(sources: Mapping[str, Source], now: float) -> dict[str, dict[str, Any]]:
    """Deliveries answered in the sender's own terms: handshakes, and queued deliveries acked
    the way their sender requires."""
    events: dict[str, dict[str, Any]] = {}

    def add(source: Source, name: str, body: bytes, event_type: str, content_type: str) -> None:
        event_name = f"{source.name}-{name}"
        signed = sign(
            source,
            body,
            base_url=BASE_URL,
            now=now,
            event_type=event_type,
            sender_id=stable_id(now, event_name),
            content_type=content_type,
        )
        events[event_name] = delivery_event(
            signed, now=now, user_agent=USER_AGENTS[source.scheme.name]
        )

    slack = next((s for s in sources.values() if s.scheme.name == "slack"), None)
    if slack is not None:
        challenge = {
            "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
            "challenge": f"challenge-{stable_id(now, 'slack-challenge')}",
            "type": "url_verification",
        }
        add(slack, "url-verification", _json(challenge), "url_verification", "application/json")
        # A slash command: queued, and acked with the empty 200 Slack expects.
        form = (
            "command=%2Fdeploy&text=prod&team_id=T0DEMO&user_id=U0USER"
            "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0DEMO%2F1%2Fdemo"
            f"&trigger_id={stable_id(now, 'slack-slash-command')}"
        )
        add(slack, "slash-command", form.encode(), "slash_command", FORM_TYPE)
    discord = next((s for s in sources.values() if s.scheme.name == "discord"), None)
    if discord is not None:
        ping = {"id": stable_id(now, "discord-ping"), "application_id": "1234567890", "type": 1}
        add(discord, "ping", _json(ping), "ping", "application/json")
        # A slash command interaction: queued, and acked with a deferred response.
        interaction = {
            "id": stable_id(now, "discord-interaction"),
            "application_id": "1234567890",
            "type": 2,
            "token": "demo-interaction-token",
            "data": {"name": "deploy", "type": 1},
            "version": 1,
        }
        add(discord, "interaction", _json(interaction), "interaction", "application/json")
    meta = next((s for s in sources.values() if s.scheme.name == "meta"), None)
    verify_token = getattr(meta.options, "verify_token", None) if meta is not None else None
    if meta is not None and verify_token is not None:
        # Meta subscribes a callback URL with a GET: answered with hub.challenge as text.
        number = str(int(stable_id(now, "meta-subscribe").replace("-", "")[:12], 16))
        subscribe = (
            f"hub.mode=subscribe&hub.challenge={number}"
            f"&hub.verify_token={verify_token.get_secret_value()}"
        )
        events[f"{meta.name}-subscribe"] = http_api_event(
            "GET",
            f"/webhooks/{meta.name}",
            now=now,
            query=subscribe,
            route_key=HANDSHAKE_ROUTE,
            path_parameters={"source": meta.name},
            user_agent=USER_AGENTS["meta"],
        )
    return events


def unknown_source_event(sources: Mapping[str, Source], now: float) -> dict[str, Any]:
    """A correctly signed GitHub delivery posted to a source name nobody configured: 404."""
    github = next((s for s in sources.values() if s.scheme.name == "github"), None)
    if github is None:
        body, headers = _json({"zen": "nobody listens here"}), {"content-type": "application/json"}
    else:
        delivery = _delivery(github, now, now, "unknown-source")
        body, headers = delivery.body, delivery.headers
    return webhook_event("no-such-source", body, headers, now=now)


# --------------------------------------------------------------------------- SQS events


def sqs_record(body: str, now: float, name: str, attributes: Mapping[str, str]) -> dict[str, Any]:
    """One record of an SQS event as Lambda's event source mapping delivers it."""
    sent = str(int(now * 1000))
    trace = stable_id(now, "trace", name).replace("-", "")[:24]
    return {
        "messageId": stable_id(now, "sqs", name),
        "receiptHandle": base64.b64encode(
            f"receipt/{stable_id(now, 'receipt', name)}".encode()
        ).decode(),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "AWSTraceHeader": f"Root=1-{int(now):08x}-{trace}",
            "SentTimestamp": sent,
            "SenderId": "AROADEMO0000000000000:receiver",
            "ApproximateFirstReceiveTimestamp": sent,
        },
        "messageAttributes": {
            key: {
                "stringValue": value,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
            for key, value in attributes.items()
        },
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }


def envelope_for(source: Source, now: float, name: str) -> Envelope:
    """The work message the receiver would have queued for a valid delivery to `source`."""
    delivery = _delivery(source, now, now, name)
    body = delivery.body
    return Envelope(
        id=delivery.delivery_id,
        source=source.name,
        event_type=delivery.event_type,
        received_at=datetime.fromtimestamp(now, UTC),
        url=delivery.url,
        headers=dict(delivery.headers),
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_size=len(body),
        body_b64=base64.b64encode(body).decode(),
    )


def sqs_events(sources: Mapping[str, Source], now: float) -> dict[str, dict[str, Any]]:
    picked = [s for s in sources.values() if s.scheme.name in ("github", "stripe")] or list(
        sources.values()
    )[:2]
    records = []
    for source in picked:
        envelope = envelope_for(source, now, "sqs")
        records.append(
            sqs_record(
                envelope.model_dump_json(exclude_none=True),
                now,
                source.name,
                {"source": envelope.source, "event_type": envelope.event_type},
            )
        )
    # A message no worker can ever read: it must be the one (and only one) reported as failed.
    poison = sqs_record('{"version": 1, "id": "poison"}', now, "poison", {"source": "unknown"})
    return {
        "sqs-batch": {"Records": records},
        "sqs-batch-poison": {"Records": [*records[:1], poison, *records[1:]]},
    }


# --------------------------------------------------------------------------- all of them


def generate(now: float, sources: Mapping[str, Source] | None = None) -> dict[str, dict[str, Any]]:
    """Every event by file stem, signed at `now` with the (demo) sources' first secret."""
    sources = demo_sources() if sources is None else sources
    events: dict[str, dict[str, Any]] = {
        "health": http_api_event("GET", "/health", now=now, user_agent="ELB-HealthChecker/2.0")
    }
    for source in sources.values():
        events.update(source_events(source, now))
    events.update(handshake_events(sources, now))
    events["unknown-source"] = unknown_source_event(sources, now)
    events.update(sqs_events(sources, now))
    return dict(sorted(events.items()))


def expected_status(name: str) -> int | None:
    """The status the receiver answers to an event of `generate` (None: an SQS event)."""
    if name.startswith("sqs-"):
        return None
    if name == "health" or name.endswith(
        ("-url-verification", "-ping", "-slash-command", "-interaction", "-subscribe")
    ):
        return 200
    if name == "twilio-valid":  # a form post: acked with the TwiML Twilio expects
        return 200
    if name == "unknown-source":
        return 404
    if name.endswith(("-tampered", "-stale")):
        return 401
    return 202


def function_for(event: Mapping[str, Any]) -> str:
    """The template's function that takes this event: SQS batches go to the worker."""
    records = event.get("Records")
    if isinstance(records, list) and records and records[0].get("eventSource") == "aws:sqs":
        return "WorkerFunction"
    return "ReceiverFunction"


def write(events: Mapping[str, dict[str, Any]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, event in events.items():
        path = out / f"{name}.json"
        path.write_text(json.dumps(event, indent=2) + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory (events/)")
    parser.add_argument("--sources", type=Path, default=DEMO_SOURCES, help="sources TOML file")
    parser.add_argument("--now", type=float, default=None, help="unix time to sign at (now)")
    args = parser.parse_args(argv)
    now = time.time() if args.now is None else args.now
    written = write(generate(now, demo_sources(args.sources)), args.out)
    stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
    print(f"wrote {len(written)} events to {args.out} (signed at {stamp}; stale after ~5 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
