"""`make reliability ARGS="--minutes 30"`: a longer run gives the matrix and load phases the time
their volume targets need on 2 cores; the other phases and the quick run are unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.reliability import __main__ as reliability
from infra.reliability.__main__ import FULL, HARD_LIMIT, LONG_DRAIN_SECONDS, QUICK, for_minutes
from infra.reliability.report import TARGETS


def test_thirty_minutes_go_to_the_matrix_and_load_phases_by_their_targets() -> None:
    plan, hard_limit = for_minutes(FULL, 30)
    longer_drains = 2 * (LONG_DRAIN_SECONDS - FULL.drain_timeout)
    others = HARD_LIMIT["full"] - FULL.matrix_budget - FULL.load_budget + longer_drains
    assert plan.matrix_budget + plan.load_budget == pytest.approx(30 * 60 - others, abs=0.2)
    assert plan.load_budget == pytest.approx(2 * plan.matrix_budget, abs=0.2)  # 20,000 : 10,000
    # Several times the 11-minute run's phases, and counts the budgets can never run out of.
    assert plan.matrix_budget > 2.5 * FULL.matrix_budget
    assert plan.load_budget > 6 * FULL.load_budget
    assert plan.per_cell * 21 >= TARGETS["faults"] and plan.load >= TARGETS["load"]
    # Everything else as in the plan: duplicates, fuzz, memory, drains.
    assert plan.drain_timeout == LONG_DRAIN_SECONDS  # a longer phase leaves a longer backlog
    unchanged = {"matrix_budget", "load_budget", "per_cell", "load", "minutes", "drain_timeout"}
    for name, value in vars(FULL).items():
        if name not in unchanged:
            assert getattr(plan, name) == value, name
    assert 30 * 60 < hard_limit <= 30 * 60 * 1.1 + 60
    assert plan.name == "full"  # judged against the volume targets


def test_longer_runs_scale_and_too_short_ones_are_refused() -> None:
    fifteen, _ = for_minutes(FULL, 15)
    thirty, _ = for_minutes(FULL, 30)
    assert FULL.matrix_budget < thirty.matrix_budget and fifteen.load_budget < thirty.load_budget
    quick, limit = for_minutes(QUICK, 7)
    assert quick.load_budget > QUICK.load_budget and quick.load > QUICK.load
    assert limit >= 7 * 60
    with pytest.raises(ValueError, match="needs at least"):
        for_minutes(FULL, 5)


def test_the_command_line_takes_minutes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ran: list[Any] = []
    alarms: list[int] = []
    monkeypatch.setattr(
        reliability, "run", lambda plan, workdir, seed: ran.append(plan) or {"verdicts": {}}
    )
    monkeypatch.setattr(reliability, "render", lambda report: "")
    monkeypatch.setattr(reliability.signal, "alarm", alarms.append)
    monkeypatch.setattr(reliability.signal, "signal", lambda *args: None)
    report = tmp_path / "r.json"
    assert reliability.main(["--minutes", "30", "--out", str(report)]) == 0
    assert ran == [for_minutes(FULL, 30)[0]] and alarms[0] == for_minutes(FULL, 30)[1]
    assert reliability.main(["--quick", "--out", str(report)]) == 0
    assert ran[-1] == QUICK and alarms[-2] == HARD_LIMIT["quick"]  # the quick run is unchanged
    with pytest.raises(SystemExit) as refused:
        reliability.main(["--minutes", "3"])
    assert refused.value.code == 2
