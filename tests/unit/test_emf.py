"""Our EMF lines are exactly the lines Powertools' EphemeralMetrics prints (the oracle), so
CloudWatch reads the same metrics, units and dimensions as before they were written directly."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from handler import metrics
from handler.logs import SERVICE

CASES = [
    ({"Accepted": 1}, {"AckLatency": 1.25}, {"source": "github"}),
    ({"Rejected": 1}, None, {"source": "stripe", "reason": "bad_signature"}),
    ({"Processed": 1, "Replayed": 1.0}, {"ProcessingTime": 12.5}, {"source": "slack"}),
    ({"AfterResponseDeadline": 1}, None, {}),
    ({"Restore": 1}, None, {"function_name": "receiver"}),
]


def powertools_line(
    counts: dict[str, float], milliseconds: dict[str, float] | None, dimensions: dict[str, str]
) -> dict[str, object]:
    emf = EphemeralMetrics(namespace=metrics.NAMESPACE, service=SERVICE)
    for name, value in dimensions.items():
        emf.add_dimension(name=name, value=value)
    for name, value in counts.items():
        emf.add_metric(name=name, unit=MetricUnit.Count, value=value)
    for name, value in (milliseconds or {}).items():
        emf.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)
    line: dict[str, object] = emf.serialize_metric_set()
    return line


@pytest.mark.parametrize(("counts", "milliseconds", "dimensions"), CASES)
def test_our_line_is_powertools_line(
    capsys: pytest.CaptureFixture[str],
    counts: dict[str, float],
    milliseconds: dict[str, float] | None,
    dimensions: dict[str, str],
) -> None:
    metrics.emit(counts, milliseconds=milliseconds, **dimensions)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith('{"_aws":')
    ours = json.loads(out)
    theirs = powertools_line(counts, milliseconds, dimensions)
    for line in (ours, theirs):
        line["_aws"].pop("Timestamp")  # type: ignore[attr-defined]
    assert json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)
    # Key order too: the same text a log reader sees.
    assert list(ours) == list(theirs)


def test_a_metric_that_cannot_be_written_is_logged_not_raised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics.emit({"Accepted": "many"}, source="github")  # type: ignore[dict-item]
    assert '"_aws"' not in capsys.readouterr().out  # no half line, and no exception
