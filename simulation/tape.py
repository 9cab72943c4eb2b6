"""Every decision of a run, drawn from one tape of numbers: the seed fills it, shrinking edits it.

A run asks the tape for each choice it makes (how many deliveries, which latency, whether this
call fails, which actor crashes...). From a seed, the tape is the seed's random stream; for a
shrunk replay it is a list of numbers, and past its end every draw is 0. Every choice is written
so that 0 is the simplest answer (no fault, no crash, the least latency, the fewest actors), so
zeroing parts of a failing tape is how the shrinker simplifies a schedule (Hypothesis does the
same with its choice sequences).
"""

from __future__ import annotations

import random

SCALE = 1 << 32


class Tape:
    __slots__ = ("_random", "index", "values")

    def __init__(self, seed: int | None = None, values: list[int] | None = None) -> None:
        self.values: list[int] = list(values or [])
        self._random = random.Random(seed) if seed is not None else None
        self.index = 0

    def draw(self) -> int:
        """The next raw number in [0, 2**32)."""
        index = self.index
        self.index = index + 1
        if index < len(self.values):
            return self.values[index]
        if self._random is None:
            return 0
        value = self._random.getrandbits(32)
        self.values.append(value)
        return value

    def below(self, n: int) -> int:
        """A choice in [0, n): 0 is the simplest."""
        return self.draw() % n if n > 1 else (self.draw() and 0)

    def chance(self, probability: float) -> bool:
        """True with `probability`; a 0 on the tape is always False."""
        if probability <= 0:
            self.draw()
            return False
        return self.draw() >= (1.0 - probability) * SCALE

    def uniform(self, low: float, high: float) -> float:
        """In [low, high): 0 on the tape is `low`."""
        return low + (high - low) * (self.draw() / SCALE)

    def used(self) -> list[int]:
        return self.values[: self.index]


def encode(values: list[int]) -> str:
    """A tape as text for a replay command: its non-zero entries `index=value`, comma-separated,
    and its length (`n=`)."""
    entries = [f"{i}={v}" for i, v in enumerate(values) if v]
    return ",".join([f"n={len(values)}", *entries])


def decode(text: str) -> list[int]:
    length = 0
    pairs: list[tuple[int, int]] = []
    for part in filter(None, text.split(",")):
        name, value = part.split("=", 1)
        if name == "n":
            length = int(value)
        else:
            pairs.append((int(name), int(value)))
    values = [0] * max(length, 1 + max((i for i, _ in pairs), default=-1))
    for index, value in pairs:
        values[index] = value
    return values
