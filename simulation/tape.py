"""Every decision of a run, drawn from named streams of numbers: the seed fills them, shrinking
edits them.

A run asks for each choice it makes (how many deliveries, which latency, whether this call fails,
whether this actor crashes here...) from the stream of whoever makes it: `scenario`, one per
sender, one per receiver or worker invocation (named after what it handles, so that removing one
delivery does not rename the others), `sqs`, `dynamodb`. From a seed, a stream is the seed's
random stream for that name; for a shrunk replay it is a list of numbers, and past its end every
draw is 0. Every choice is written so that 0 is the simplest answer (no fault, no crash, the
least latency, no delivery at all for a sender), so zeroing parts of a failing run's streams is
how the shrinker simplifies a schedule (Hypothesis does the same with its choice sequences).
"""

from __future__ import annotations

import random

SCALE = 1 << 32


class Stream:
    __slots__ = ("_random", "index", "values")

    def __init__(self, rng: random.Random | None, values: list[int]) -> None:
        self.values = values
        self._random = rng
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
        value = self.draw()
        return value % n if n > 1 else 0

    def chance(self, probability: float) -> bool:
        """True with `probability`; a 0 is always False."""
        value = self.draw()
        return probability > 0 and value >= (1.0 - probability) * SCALE

    def uniform(self, low: float, high: float) -> float:
        """In [low, high): 0 is `low`."""
        return low + (high - low) * (self.draw() / SCALE)


class Tape:
    """The streams of one run: from `seed`, or from `values` (a shrunk run; zeros past them)."""

    def __init__(self, seed: int | None = None, values: dict[str, list[int]] | None = None):
        self.seed = seed
        self.given = values
        self.streams: dict[str, Stream] = {}

    def stream(self, name: str) -> Stream:
        found = self.streams.get(name)
        if found is None:
            if self.given is not None:
                found = Stream(None, list(self.given.get(name, ())))
            else:
                found = Stream(random.Random(f"{self.seed}/{name}"), [])
            self.streams[name] = found
        return found

    def used(self) -> dict[str, list[int]]:
        """What the run drew, stream by stream (trailing zeros dropped)."""
        out = {}
        for name, stream in self.streams.items():
            values = stream.values[: stream.index]
            while values and values[-1] == 0:
                values.pop()
            if values:
                out[name] = values
        return out


def encode(values: dict[str, list[int]]) -> str:
    """Streams as text for a replay command: `name:index=value,...;name:...`, non-zero only."""
    parts = []
    for name in sorted(values):
        entries = ",".join(f"{i}={v}" for i, v in enumerate(values[name]) if v)
        parts.append(f"{name}:{entries}")
    return ";".join(parts)


def decode(text: str) -> dict[str, list[int]]:
    streams: dict[str, list[int]] = {}
    for part in filter(None, text.split(";")):
        name, _, entries = part.rpartition(":")
        pairs = [tuple(map(int, e.split("=", 1))) for e in filter(None, entries.split(","))]
        values = [0] * (1 + max((i for i, _ in pairs), default=-1))
        for index, value in pairs:
            values[index] = value
        streams[name] = values
    return streams
