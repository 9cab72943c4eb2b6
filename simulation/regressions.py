"""Record a found bug's regression: the first seed whose run breaks an invariant with the bug put
back (its mutation) and holds without it, and that run's shrunk schedule.

    python -m simulation.regressions hold-not-given-back --start 2359

writes tests/simulator/regressions/<name>.json, which tests/simulator/test_simulation.py replays
(both the seed and the schedule, with and without the bug). A change to the simulator that
changes what a seed does (another choice drawn, another actor) means recording them again.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .mutations import MUTATIONS
from .runner import run, shrink
from .tape import encode

FOLDER = Path(__file__).resolve().parent.parent / "tests" / "simulator" / "regressions"


def record(name: str, start: int, budget: float, count: int = 20_000) -> dict[str, object]:
    bug = MUTATIONS[name].apply
    for seed in range(start, start + count):
        found = run(seed, mutation=bug, keep_trace=True)
        if found.violation is None or run(seed).violation is not None:
            continue
        shrunk = shrink(found, mutation=bug, budget_seconds=budget)
        if run(None, values=shrunk.tape).violation is not None:
            shrunk = found  # the shrunk schedule also broke something else: keep the seed's
        return {
            "mutation": name,
            "bug": MUTATIONS[name].bug,
            "seed": seed,
            "invariant": found.invariant,
            "trace_lines": [len(found.trace), len(shrunk.trace)],
            "tape": encode(shrunk.tape),
        }
    raise SystemExit(f"{name}: not found in seeds {start}-{start + count}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simulation.regressions")
    parser.add_argument("name", choices=sorted(MUTATIONS))
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    result = record(args.name, args.start, args.budget)
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = FOLDER / f"{args.name}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{path}: seed {result['seed']}, {result['invariant']}, {result['trace_lines']}")


if __name__ == "__main__":
    main()
