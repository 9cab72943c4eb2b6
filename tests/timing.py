"""Where the suite's time goes, printed at the end of every run (tests/conftest.py's hooks).

The slowest tests (setup + call + teardown, so a costly fixture shows on the test that paid for
it) and the total per folder; with pytest-xdist, also how busy each worker was (the run's wall
time is about the busiest worker's total).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

SLOWEST = 15


def folder_of(nodeid: str) -> str:
    """tests/e2e/test_http.py::test_x -> tests/e2e; tests/test_retries.py::x -> tests"""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else "/".join(parts[:-1]) or "."


@dataclass
class Timing:
    started: float = field(default_factory=time.monotonic)
    per_test: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    per_worker: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid.split("@", 1)[0]  # xdist's loadgroup adds "@<group>"
        self.per_test[nodeid] += report.duration
        worker = getattr(report, "node", None)
        if worker is not None:
            self.per_worker[str(getattr(worker, "gateway", worker).id)] += report.duration

    def summary(self) -> list[str]:
        if not self.per_test:
            return []
        wall = time.monotonic() - self.started
        lines = [f"slowest {SLOWEST} tests (setup + call + teardown):"]
        ranked = sorted(self.per_test.items(), key=lambda item: -item[1])
        lines += [f"  {seconds:7.1f}s  {nodeid}" for nodeid, seconds in ranked[:SLOWEST]]
        folders: dict[str, list[float]] = defaultdict(list)
        for nodeid, seconds in self.per_test.items():
            folders[folder_of(nodeid)].append(seconds)
        lines.append("time per folder (sum of its tests; tests):")
        for folder, times in sorted(folders.items(), key=lambda item: -sum(item[1])):
            lines.append(f"  {sum(times):7.1f}s  {folder} ({len(times)})")
        total = sum(self.per_test.values())
        lines.append(f"  {total:7.1f}s  all tests, in {wall:.1f}s of wall time")
        if self.per_worker:
            busy = ", ".join(f"{w} {s:.1f}s" for w, s in sorted(self.per_worker.items()))
            lines.append(f"per worker: {busy}")
        return lines
