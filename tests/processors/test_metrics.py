"""Metrics as EMF lines on stdout, and the per-delivery log keys (Powertools)."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest

from handler import metrics
from handler.logs import logger


def emf_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_ack_is_one_emf_line_with_latency(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.delivery_acked("github", duplicate=False, started=time.perf_counter() - 0.005)
    (line,) = emf_lines(capsys.readouterr().out)
    assert line["Accepted"] == [1.0] and line["source"] == "github"
    assert isinstance(line["AckLatency"], list) and line["AckLatency"][0] >= 5
    definition = line["_aws"]["CloudWatchMetrics"][0]  # type: ignore[index]
    assert definition["Namespace"] == "WebhookReceiver"


def test_rejections_and_worker_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.delivery_rejected("stripe", "stale_timestamp")
    with metrics.processing("stripe", replayed=True):
        pass
    with pytest.raises(RuntimeError), metrics.processing("stripe"):
        raise RuntimeError("processor failed")
    rejected, processed, failed = emf_lines(capsys.readouterr().out)
    assert rejected["reason"] == "stale_timestamp" and rejected["Rejected"] == [1.0]
    assert processed["Processed"] == [1.0] and processed["Replayed"] == [1.0]
    assert failed["ProcessingFailed"] == [1.0] and "Replayed" not in failed


def test_replay_attribute_is_recognised() -> None:
    assert metrics.is_replay({"replayed_by": {"stringValue": "webhooks-cli"}})
    assert not metrics.is_replay({}) and not metrics.is_replay(None)


def test_every_line_in_the_block_carries_the_delivery() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        with metrics.delivery_log_keys(source="github"):
            metrics.add_delivery_log_keys(delivery_id="d-1")
            logger.info("inside")
        logger.info("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (inside["source"], inside["delivery_id"]) == ("github", "d-1")
    assert "delivery_id" not in outside and "source" not in outside
