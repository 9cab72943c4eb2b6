"""Every catalogue sender through the real route and worker (the pytest kit over
infra/senders-sample.toml): accepted once, a retry is a duplicate, processed once, replayed from
the archive with its signature re-verified; handshakes answered on the route and never enqueued;
a delivery refused for a rotated secret is quarantined and released once the secret is fixed."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handler.receive import senders
from infra import SENDERS_SAMPLE
from webhook_sim.kit import WebhookKit
from webhook_sim.samples import encodings
from webhook_sim.senders import configured_source, simulate

with SENDERS_SAMPLE.open("rb") as handle:
    SAMPLE: dict[str, dict[str, Any]] = tomllib.load(handle)["sources"]

CATALOGUE = sorted(name for name, config in SAMPLE.items() if config["scheme"] in senders.names())
CASES = [(name, encoding) for name in CATALOGUE for encoding in encodings(SAMPLE[name]["scheme"])]
# Their credential is a header the archive never keeps (Authorization): replayed --no-verify.
UNARCHIVED_CREDENTIAL = {"okta", "livekit"}
# The demo key pair's second public key (webhook_sim/examples/sendgrid.py signs with either).
ROTATED_SENDGRID_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWVfPpGidHgiQHadSBZu7JpcTkkMjFv1HvrCT1SLsURh+QGX8EkL8927b"
    "qsFd3bIoJOPROoW7JBcF+GheWf0jyw=="
)


@pytest.fixture
def webhook_sources() -> Path:
    return SENDERS_SAMPLE


@pytest.mark.parametrize(("name", "encoding"), CASES)
def test_each_sender_is_accepted_once_processed_once_and_replayed_verified(
    webhooks: WebhookKit, name: str, encoding: Any
) -> None:
    sent = webhooks.send(name, encoding=encoding)
    assert sent.status_code == 202, sent.body
    assert sent.body["id"] == sent.delivery_id
    assert webhooks.redeliver(sent).status_code == 200  # the sender's retry: a duplicate
    results = webhooks.drain()
    assert list(results) == [sent.delivery_id]
    assert (results[sent.delivery_id].status, results[sent.delivery_id].attempts) == (
        "processed",
        1,
    )
    # Replay re-verifies with the archived URL and headers: what the sender signed is archived.
    expected = "rejected" if name in UNARCHIVED_CREDENTIAL else "replayed"
    assert webhooks.replay(sent.delivery_id, name) == expected


def handshake_answers(webhooks: WebhookKit) -> Iterator[tuple[str, Any, Any]]:
    http = webhooks.http
    challenge = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
    meta = http.get(f"/webhooks/meta?{challenge}demo-meta-verify-token")
    yield "meta", (meta.status_code, meta.text), (200, "1158201444")
    wrong = http.get(f"/webhooks/meta?{challenge}guess")
    yield "meta-wrong-token", (wrong.status_code, wrong.json()["error"]), (403, "bad_verify_token")
    dropbox = http.get("/webhooks/dropbox?challenge=Zo%C3%AB-42")
    yield (
        "dropbox",
        (dropbox.text, dropbox.headers["content-type"], dropbox.headers["x-content-type-options"]),
        ("Zoë-42", "text/plain; charset=utf-8", "nosniff"),
    )
    okta_secret = SAMPLE["okta"]["secrets"][0]
    okta = http.get(
        "/webhooks/okta",
        headers={"x-okta-verification-challenge": "4z-4RM3K", "authorization": okta_secret},
    )
    yield "okta", (okta.status_code, okta.json()), (200, {"verification": "4z-4RM3K"})
    trello = http.head("/webhooks/trello")
    yield "trello", trello.status_code, 200
    asana = http.post("/webhooks/asana", headers={"x-hook-secret": "b537207f20cbfa02"})
    yield "asana", (asana.status_code, asana.headers["x-hook-secret"]), (200, "b537207f20cbfa02")
    zoom = webhooks.send("zoom", "endpoint.url_validation")
    yield "zoom", (zoom.status_code, sorted(zoom.body)), (200, ["encryptedToken", "plainToken"])
    twitch = webhooks.send("twitch", "webhook_callback_verification")
    yield "twitch", (twitch.status_code, twitch.body), (200, "pogchamp-kappa-360noscope-vohiyo")
    none = http.get("/webhooks/square")
    yield "square-get", (none.status_code, none.json()["error"]), (405, "method_not_allowed")
    unknown = http.get("/webhooks/nowhere?challenge=x")
    yield "unknown-get", (unknown.status_code, unknown.json()["error"]), (404, "unknown_source")


def test_handshakes_are_answered_on_the_route_and_never_enqueued(webhooks: WebhookKit) -> None:
    for name, answered, expected in handshake_answers(webhooks):
        assert answered == expected, name
    assert webhooks.drain() == {}


@pytest.mark.parametrize("name", ["square", "twitch", "paddle", "sendgrid", "mailgun"])
def test_a_delivery_signed_with_a_new_secret_is_quarantined_then_released(
    webhooks: WebhookKit, name: str
) -> None:
    current = webhooks.sources[name]
    # The sender already signs with a secret the receiver does not know yet.
    new_secret = ROTATED_SENDGRID_KEY if name == "sendgrid" else f"rotated-{name}-secret"
    rotated = configured_source(name, {**SAMPLE[name], "secrets": [new_secret]})
    delivery = simulate(rotated, base_url="http://testserver")
    refused = webhooks.post(delivery)
    assert (refused.status_code, refused.body["error"]) == (401, "bad_signature")
    [item] = list(webhooks.operations.quarantine.items(name))
    still = webhooks.operations.release(item)
    assert still.result == "rejected"
    # The operator adds the new secret (rotation: both verify), then releases.
    both = {**SAMPLE[name], "secrets": [*current.secrets, new_secret]}
    webhooks.sources[name] = configured_source(name, both)
    released = webhooks.operations.release(item)
    assert released.result == "released", released.detail
    results = webhooks.drain()
    assert [result.status for result in results.values()] == ["processed"]
