"""Processors read events as their senders meant them: every scheme, each encoding its sender
documents, through the receiver and the worker (not only the parser)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from handler.process.processors import Event, UnreadablePayload
from handler.process.processors.payloads import read_payload
from webhook_sim.kit import WebhookKit
from webhook_sim.published import FORM, JSON, Sample, github_pull_request, samples
from webhook_sim.pytest_plugin import Processors

ARN = "arn:aws:sqs:us-east-1:123456789012:webhook-work"
SAMPLES = samples()


@pytest.fixture
def payloads(processors: Processors) -> Iterator[dict[str, tuple[str, Any]]]:
    """A processor for every other event of each source, recording what payload() returned."""
    seen: dict[str, tuple[str, Any]] = {}

    def read(event: Event) -> dict[str, Any]:
        seen[event.id] = (event.event_type, event.payload())
        return {"read": True}

    sources = sorted({sample.source for sample in SAMPLES})
    for source in sources:
        processors(source, "*")(read)
    yield seen


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.name for sample in SAMPLES])
def test_every_sender_encoding_reaches_the_processor_as_sent(
    sample: Sample, webhooks: WebhookKit, payloads: dict[str, tuple[str, Any]]
) -> None:
    sent = webhooks.send(
        sample.source,
        sample.event_type or "push",
        body=sample.body,
        content_type=sample.content_type,
    )
    assert sent.status_code in (200, 202), sent.body
    assert webhooks.drain()[sent.delivery_id].status == "processed"
    _, payload = payloads[sent.delivery_id]
    assert payload == sample.expected


def test_samples_cover_every_scheme_and_encoding() -> None:
    covered = {(sample.source, sample.content_type) for sample in SAMPLES}
    for source in ("github", "stripe", "slack", "shopify", "standard", "twilio", "gitlab"):
        assert (source, JSON) in covered
    for source in ("discord", "internal"):
        assert (source, JSON) in covered
    for source in ("github", "slack", "twilio"):  # the senders that also post forms
        assert (source, FORM) in covered
    assert max(len(sample.body) for sample in SAMPLES) > 20_000  # a full-size GitHub event


@pytest.mark.parametrize("content_type", [JSON, FORM])
def test_the_github_example_reads_both_content_types_github_offers(
    content_type: str, webhooks: WebhookKit
) -> None:
    document = github_pull_request(number=7 if content_type == JSON else 8)
    text = json.dumps(document)
    body = text.encode() if content_type == JSON else urlencode({"payload": text}).encode()
    sent = webhooks.send("github", "pull_request", body=body, content_type=content_type)
    result = webhooks.drain()[sent.delivery_id]
    name = f"octo-org-hello-wörld-{document['number']}"
    assert (result.status, result.outcome) == (
        "processed",
        {"processor": "github.pull_request", "pull": name, "changed": True},
    )
    [stored] = webhooks.effects("github/pulls").values()
    assert stored["head"] == document["pull_request"]["head"]["sha"]
    assert stored["repository"] == "octo-org/hello-wörld"


def test_an_unreadable_payload_fails_the_record_with_its_reason(
    webhooks: WebhookKit, caplog: pytest.LogCaptureFixture
) -> None:
    body = urlencode({"payload": "{not json, secret-ish body text"}).encode()
    sent = webhooks.send("github", "pull_request", body=body, content_type=FORM)
    result = webhooks.drain()[sent.delivery_id]
    assert result.status != "processed"
    lines = [r for r in caplog.records if r.getMessage() == "record failed"]
    assert lines and all(line.__dict__["error_type"] == "UnreadablePayload" for line in lines)
    assert "the form's payload field is not JSON" in lines[0].__dict__["error"]
    assert lines[0].exc_info is None and "secret-ish" not in caplog.text
    assert result.last_error is not None and result.last_error.startswith("UnreadablePayload: ")


# The parser's own edges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"a": "\xc3\xa9"}', "application/json; charset=utf-8", {"a": "é"}),
        (b'{"a": "\xe9"}', "application/json; charset=ISO-8859-1", {"a": "é"}),
        ('{"a": "é"}'.encode("utf-16"), "application/json", {"a": "é"}),
        (b'{"a": 1}', "application/vnd.api+json", {"a": 1}),
        (b'  {"a": 1}', None, {"a": 1}),  # no content type: the body tells
        (b"a=1&b=%C3%A9", None, {"a": "1", "b": "é"}),
        (b"a=1&a=2&b=", FORM, {"a": ["1", "2"], "b": ""}),  # repeated fields keep every value
        (b"payload=%5B1%2C2%5D", FORM + "; charset=UTF-8", [1, 2]),
        (b"payload=x&other=1", FORM, {"payload": "x", "other": "1"}),  # not the payload form
        (b"", FORM, {}),
    ],
)
def test_read_payload(body: bytes, content_type: str | None, expected: Any) -> None:
    assert read_payload(body, content_type) == expected


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (b"", JSON, "empty body"),
        (b"{nope", JSON, "not JSON: "),
        (b'{"a": "\xff"}', "application/json; charset=utf-8", "not valid utf-8"),
        (b"a=%FF", FORM, "not valid utf-8"),
        (b"payload=1&payload=2", FORM, "more than once"),
        (b"<xml/>", "application/xml", "neither JSON nor a form"),
        (b"{}", "application/json; charset=klingon", "unknown charset"),
    ],
)
def test_unreadable_payloads_say_why(body: bytes, content_type: str, says: str) -> None:
    with pytest.raises(UnreadablePayload, match=says) as raised:
        read_payload(body, content_type)
    assert isinstance(raised.value, ValueError)  # `except ValueError` in processors still works
