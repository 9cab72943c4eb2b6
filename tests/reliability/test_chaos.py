"""The fault matrix's chaos thread: a kill cell kills even when its traffic is over at once."""

from __future__ import annotations

import random
from typing import Any

from infra.reliability.faults import Cell, Chaos


class RecordingStack:
    workers = 2

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def faults(self, rules: list[dict[str, Any]]) -> None:
        self.calls.append(("faults", rules))

    def restart_receiver(self) -> None:
        self.calls.append(("restart_receiver", None))

    def restart_worker(self, index: int) -> None:
        self.calls.append(("restart_worker", index))


def run_chaos(cell: Cell) -> tuple[Chaos, RecordingStack]:
    stack = RecordingStack()
    chaos = Chaos(stack, cell, random.Random(1))  # type: ignore[arg-type]
    chaos.done.set()  # the cell's traffic ended before the first scheduled kill
    chaos.start()
    chaos.join(5)
    assert not chaos.is_alive() and chaos.error is None
    return chaos, stack


def test_a_kill_cell_kills_receiver_and_worker_at_least_once() -> None:
    chaos, stack = run_chaos(Cell("mixed", [], kill_receiver=True, kill_worker=True))
    assert chaos.kills == {"receiver": 1, "worker": 1}
    names = [name for name, _ in stack.calls]
    assert "restart_receiver" in names and "restart_worker" in names
    assert stack.calls[-1] == ("faults", [])  # faults cleared after the kills


def test_a_cell_without_kills_kills_nothing() -> None:
    chaos, stack = run_chaos(Cell("s3:500", [{"service": "s3"}]))
    assert chaos.kills == {"receiver": 0, "worker": 0}
    assert [name for name, _ in stack.calls] == ["faults", "faults"]
