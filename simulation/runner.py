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
    tape: dict[str, list[int]] = field(default_factory=dict)
    trace: list[TraceLine] = field(default_factory=list)

    @property
    def invariant(self) -> str | None:
        return None if self.violation is None else self.violation.invariant


Mutation = Callable[[], AbstractContextManager[object]]


def run(
    seed: int | None,
    config: Config | None = None,
    *,
    values: dict[str, list[int]] | None = None,
    mutation: Mutation | None = None,
    keep_trace: bool = True,
) -> Outcome:
    """One run from a seed, or from streams of `values` (zeros past their end)."""
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
    max_runs: int = 3000,
) -> Outcome:
    """The simplest streams that still break the same invariant, within a budget. Greedy, as
    Hypothesis shrinks: drop whole streams (a sender's: its delivery; an invocation's: its
    faults and crashes), then cut each stream short, zero blocks of it, halve its numbers
    (0 is always the simplest answer). A candidate is kept if it breaks the same invariant with
    a trace no longer than the best so far."""
    assert failing.violation is not None
    config = config or Config()
    invariant = failing.violation.invariant
    best = failing
    deadline = time.monotonic() + budget_seconds
    runs = 0

    def out_of_budget() -> bool:
        return runs >= max_runs or time.monotonic() > deadline

    def attempt(streams: dict[str, list[int]]) -> bool:
        nonlocal best, runs
        runs += 1
        outcome = run(None, config, values=streams, mutation=mutation)
        if outcome.invariant == invariant and len(outcome.trace) <= len(best.trace):
            best = outcome
            return True
        return False

    def edited(name: str, values: list[int]) -> dict[str, list[int]]:
        streams = {k: list(v) for k, v in best.tape.items()}
        streams[name] = values
        return streams

    improved = True
    while improved and not out_of_budget():
        improved = False
        for name in sorted(best.tape, key=lambda n: (n == "scenario", n)):
            if out_of_budget():
                break
            if name in best.tape and any(best.tape[name]) and attempt(edited(name, [])):
                improved = True
        for name in sorted(best.tape):
            values = best.tape.get(name, [])
            size = max(1, len(values) // 2)
            while size >= 1 and not out_of_budget():
                start = 0
                while start < len(best.tape.get(name, [])) and not out_of_budget():
                    values = list(best.tape[name])
                    block = values[start : start + size]
                    if any(block):
                        values[start : start + size] = [0] * len(block)
                        if attempt(edited(name, values)):
                            improved = True
                            continue
                    start += size
                size //= 2
        for name in sorted(best.tape):
            for index in range(len(best.tape.get(name, []))):
                if out_of_budget():
                    break
                values = list(best.tape[name])
                if index < len(values) and values[index] > 1:
                    values[index] //= 2
                    if attempt(edited(name, values)):
                        improved = True
    return best
