"""The recipe machinery itself (handler/receive/signatures/recipe.py): how a header carries one
or several signatures, timestamps in each unit, field locations, templates; and the proof that
the shape is general: recipes for GitHub, Stripe, Slack and Standard Webhooks, a few lines of data
each, accept what those senders' own SDKs sign."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import stripe
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook

from handler.receive.signatures import SignatureError, SignedRequest, SigningInput
from handler.receive.signatures.base import public_url
from handler.receive.signatures.recipe import (
    Carrier,
    Document,
    Recipe,
    RecipeOptions,
    Timestamp,
    recipe_scheme,
    timestamp_seconds,
)


@pytest.mark.parametrize(
    ("carrier", "header", "expected"),
    [
        (Carrier("h", prefix="sha256="), "sha256=ab12", (None, ["ab12"])),
        (Carrier("h", prefix="sha256="), "sha1=ab12", (None, [])),
        (
            Carrier("h", separator=",", key="v1", timestamp_key="t"),
            "t=17,v1=aa,v0=zz,v1=bb",
            ("17", ["aa", "bb"]),
        ),
        (
            Carrier("h", separator=";", key="h1", timestamp_key="ts"),
            "ts=1671552777;h1=cc;h1=dd",
            ("1671552777", ["cc", "dd"]),
        ),
        (
            Carrier("h", separator=" ", assign=",", key="v1"),
            "v1,AAA= v1a,BBB= v1,CCC=",
            (None, ["AAA=", "CCC="]),
        ),
        (Carrier("h", separator=",", key="v1", timestamp_key="t"), "garbage", (None, [])),
    ],
)
def test_a_carrier_reads_every_signature_and_the_timestamp(
    carrier: Carrier, header: str, expected: tuple[str | None, list[str]]
) -> None:
    assert carrier.parse(header) == expected


def test_a_carrier_formats_what_it_parses() -> None:
    for carrier in (
        Carrier("h", prefix="v0="),
        Carrier("h", separator=",", key="v1", timestamp_key="t"),
        Carrier("h", separator=";", key="h1", timestamp_key="ts"),
        Carrier("h", separator=" ", assign=",", key="v1"),
    ):
        timestamp = "1700000000" if carrier.timestamp_key else None
        assert carrier.parse(carrier.format("c2ln", timestamp)) == (timestamp, ["c2ln"])


@pytest.mark.parametrize(
    ("value", "unit", "seconds"),
    [
        ("1700000000", "s", 1_700_000_000.0),
        ("1700000000123", "ms", 1_700_000_000.123),
        ("2023-11-14T22:13:20.123456789Z", "iso8601", 1_700_000_000.123456),
        ("2023-11-14T23:13:20+01:00", "iso8601", 1_700_000_000.0),
    ],
)
def test_timestamps_in_each_unit(value: str, unit: Any, seconds: float) -> None:
    assert timestamp_seconds(value, unit) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize(("value", "unit"), [("", "s"), ("1.5", "s"), ("yesterday", "iso8601")])
def test_an_unreadable_timestamp_is_a_signature_error(value: str, unit: Any) -> None:
    with pytest.raises(SignatureError) as refused:
        timestamp_seconds(value, unit)
    assert refused.value.reason == "malformed_timestamp"


def test_locations_find_the_first_usable_value() -> None:
    body = json.dumps({"a": {"b": [{"c": "deep"}]}, "flag": True, "n": 7, "empty": ""}).encode()
    request = SignedRequest("POST", "https://x/y", {"x-id": "from-header"}, body)
    document = Document(request)
    assert document.find("body:a.b.0.c") == "deep"
    assert document.find("body:n") == "7"
    assert (
        document.find(("body:flag", "body:empty", "body:missing", "header:x-id")) == "from-header"
    )
    assert document.find(None) is None
    form = SignedRequest(
        "POST",
        "https://x/y",
        {"content-type": "application/x-www-form-urlencoded"},
        b"event=sent&payload=%7B%22type%22%3A%22block_actions%22%7D",
    )
    assert Document(form).find("form:event") == "sent"
    assert Document(form).find("payload:type") == "block_actions"


def test_a_template_that_signs_a_timestamp_must_say_where_it_is() -> None:
    with pytest.raises(ValueError, match="does not locate"):
        Recipe(name="x", signed="{timestamp}.{body}", carrier=Carrier("h"))
    with pytest.raises(ValueError, match="neither a header nor a key"):
        Recipe(name="x", signed="{timestamp}.{body}", carrier=Carrier("h"), timestamp=Timestamp())


def test_public_url_keeps_the_configured_query_else_the_requests() -> None:
    assert public_url("http://10.0.0.1/p?a=1", None) == "http://10.0.0.1/p?a=1"
    assert public_url("http://10.0.0.1/p?a=1", "https://h.example/w") == "https://h.example/w?a=1"
    assert (
        public_url("http://10.0.0.1/p?a=1", "https://h.example/w?k=2") == "https://h.example/w?k=2"
    )


# --- the built-in senders as recipes, proven against their SDKs -------------------------------

GITHUB = Recipe(
    name="github-recipe",
    signed="{body}",
    carrier=Carrier("x-hub-signature-256", prefix="sha256="),
    id="header:x-github-delivery",
    event="header:x-github-event",
)
STRIPE = Recipe(
    name="stripe-recipe",
    signed="{timestamp}.{body}",
    carrier=Carrier("stripe-signature", separator=",", key="v1", timestamp_key="t"),
    timestamp=Timestamp(),
    id="body:id",
    event="body:type",
)
SLACK = Recipe(
    name="slack-recipe",
    signed="v0:{timestamp}:{body}",
    carrier=Carrier("x-slack-signature", prefix="v0="),
    timestamp=Timestamp("x-slack-request-timestamp"),
    id="body:event_id",
    event=("body:event.type", "body:type"),
)
STANDARD = Recipe(
    name="standard-recipe",
    signed="{id}.{timestamp}.{body}",
    carrier=Carrier("webhook-signature", separator=" ", assign=",", key="v1"),
    encoding="base64",
    secret_form="whsec",
    timestamp=Timestamp("webhook-timestamp"),
    id="header:webhook-id",
    event="body:type",
)
BODY = json.dumps(
    {
        "id": "evt_1",
        "type": "invoice.paid",
        "event_id": "Ev1",
        "event": {"type": "message"},
        "text": "Zoë — 你好",
    },
    ensure_ascii=False,
).encode()


def verify(
    recipe: Recipe, headers: dict[str, str], secret: str, now: float, other: str = "another"
) -> Any:
    """Verified with two secrets configured, the right one second (a rotation)."""
    scheme = recipe_scheme(recipe)
    request = SignedRequest("POST", "https://hooks.example.com/w", headers, BODY)
    return scheme.verify(request, [other, secret], RecipeOptions(), now)


def test_a_github_recipe_accepts_githubs_rule() -> None:
    import hashlib
    import hmac

    digest = hmac.new(b"gh-secret", BODY, hashlib.sha256).hexdigest()
    headers = {
        "x-hub-signature-256": "sha256=" + digest,
        "x-github-delivery": "d-1",
        "x-github-event": "push",
    }
    verified = verify(GITHUB, headers, "gh-secret", time.time())
    assert (verified.event_type, verified.sender_id) == ("push", "d-1")


def test_a_stripe_recipe_accepts_what_stripes_sdk_signs() -> None:
    now = int(time.time())
    header = stripe.WebhookSignature.generate_signature_header(
        BODY.decode(), "whsec_stripe", timestamp=now
    )
    verified = verify(STRIPE, {"stripe-signature": header}, "whsec_stripe", now)
    assert (verified.event_type, verified.sender_id) == ("invoice.paid", "evt_1")
    # And Stripe's SDK accepts what the recipe signs.
    message = SigningInput(BODY, "whsec_stripe", "https://x", now, "invoice.paid", "evt_1")
    signed = recipe_scheme(STRIPE).sign
    assert signed is not None
    ours = signed(message, RecipeOptions())["stripe-signature"]
    stripe.WebhookSignature.verify_header(BODY.decode(), ours, "whsec_stripe", tolerance=300)


def test_a_slack_recipe_accepts_what_slack_sdk_signs() -> None:
    now = int(time.time())
    signature = SignatureVerifier("slack-secret").generate_signature(
        timestamp=str(now), body=BODY.decode()
    )
    headers = {"x-slack-signature": signature, "x-slack-request-timestamp": str(now)}
    verified = verify(SLACK, headers, "slack-secret", now)
    assert (verified.event_type, verified.sender_id) == ("message", "Ev1")


def test_a_standard_webhooks_recipe_accepts_what_its_sdk_signs() -> None:
    from datetime import UTC, datetime

    secret = "whsec_" + base64.b64encode(b"standard-recipe-key-0123456789").decode()
    now = datetime.now(UTC)
    signature = Webhook(secret).sign("msg_1", now, BODY.decode())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": "v1,bm90LWl0 " + signature,
    }
    other = "whsec_" + base64.b64encode(b"the-previous-key").decode()
    verified = verify(STANDARD, headers, secret, now.timestamp(), other)
    assert (verified.event_type, verified.sender_id) == ("invoice.paid", "msg_1")
