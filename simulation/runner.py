"""Run one seed (or one tape), and shrink a failing tape to a minimal schedule."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from .ledger import Violation
from .runtime import Deadlock
from .tape import Tape
from .world import Config, TraceLine, World


@dataclass
class Outcome:
    seed: int | None
    violation: Violation | None
    trace_hash: str
    deliveries: int
    acks: int
    virtual_seconds: float
    aws_calls: int
    faults: int
    scenario: str
    tape: list[int] = field(default_factory=list)
    trace: list[TraceLine] = field(default_factory=list)

    @property
    def invariant(self) -> str | None:
        return None if self.violation is None else self.violation.invariant


Mutation = Callable[[], AbstractContextManager[object]]


def run(
    seed: int | None,
    config: Config | None = None,
    *,
    values: list[int] | None = None,
    mutation: Mutation | None = None,
    keep_trace: bool = True,
) -> Outcome:
    """One run from a seed, or from tape `values` (zeros past their end)."""
    config = config or Config()
    tape = Tape(seed, values) if values is None else Tape(None, values)
    world = World(tape, config, keep_trace=keep_trace)
    violation: Violation | None = None
    with mutation() if mutation is not None else nullcontext():
        try:
            world.run()
        except Violation as found:
            violation = found
        except Deadlock as stuck:
            violation = Violation("quiescence", str(stuck))
        except RecursionError:
            raise
    from .world import EPOCH

    return Outcome(
        seed=seed,
        violation=violation,
        trace_hash=world.trace_hash(),
        deliveries=len(world.ledger.deliveries),
        acks=world.ledger.acks,
        virtual_seconds=world.rt.now - EPOCH,
        aws_calls=world.net.calls,
        faults=world.net.faults,
        scenario=world.scenario.describe(),
        tape=tape.used(),
        trace=world.trace_lines,
    )


def shrink(
    failing: Outcome,
    config: Config | None = None,
    *,
    mutation: Mutation | None = None,
    budget_seconds: float = 60.0,
    max_runs: int = 2000,
) -> Outcome:
    """The simplest tape that still breaks the same invariant: zero blocks of choices (0 is
    always the simplest answer), largest blocks first, then lower single values; greedy, within
    a budget. Shorter traces are preferred among failing tapes."""
    assert failing.violation is not None
    config = config or Config()
    invariant = failing.violation.invariant
    best = failing
    deadline = time.monotonic() + budget_seconds
    runs = 0

    def attempt(values: list[int]) -> bool:
        nonlocal best, runs
        runs += 1
        outcome = run(None, config, values=values, mutation=mutation)
        if outcome.invariant == invariant and len(outcome.trace) <= len(best.trace):
            best = outcome
            return True
        return False

    def out_of_budget() -> bool:
        return runs >= max_runs or time.monotonic() > deadline

    improved = True
    while improved and not out_of_budget():
        improved = False
        values = list(best.tape)
        # Truncate: everything after a point becomes "simplest".
        cut = len(values) // 2
        while cut >= 1 and not out_of_budget():
            if attempt(values[: len(values) - cut]):
                values = list(best.tape)
                improved = True
            else:
                cut //= 2
        size = max(1, len(values) // 4)
        while size >= 1 and not out_of_budget():
            start = 0
            while start < len(best.tape) and not out_of_budget():
                values = list(best.tape)
                block = values[start : start + size]
                if any(block):
                    values[start : start + size] = [0] * len(block)
                    if attempt(values):
                        improved = True
                        continue
                start += size
            size //= 2
        # Smaller numbers: fewer deliveries, actors, shorter waits.
        for index in range(len(best.tape)):
            if out_of_budget():
                break
            value = best.tape[index]
            if value > 1:
                values = list(best.tape)
                values[index] = value // 2
                if attempt(values):
                    improved = True
    return best
