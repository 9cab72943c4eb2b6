"""Virtual time and actors: one OS thread, each actor a greenlet, one of them running at a time.

An actor (a sender, a receiver invocation, an SQS poller, a worker invocation) runs real product
code until it reaches a boundary the simulator owns: an AWS call, an HTTP exchange, a sleep.
There it parks with a wake-up time and hands control back to the scheduler, which resumes the
actor whose wake-up comes first (ties: the order they were scheduled). The order of everything
is therefore a pure function of the tape: no thread, timer or wall clock decides anything.

A crash is the actor never coming back from a boundary: it is marked dead and `SimCrash` (a
BaseException, which the product's `except Exception` cannot swallow) unwinds it at once; a
dead actor's calls fail without effect, so its `finally` blocks change nothing.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import greenlet  # type: ignore[import-untyped]

from .tape import Tape


class SimCrash(BaseException):
    """The actor's process died (a crash, SIGKILL, a Lambda timeout)."""


class Deadlock(RuntimeError):
    """The run did not reach quiescence within its step budget."""


@dataclass(eq=False)
class Actor:
    name: str
    kind: str  # sender | receiver | poller | worker | sweeper
    skew: float = 0.0  # this process's clock minus true time
    crash_rate: float = 0.0  # per boundary
    dead: bool = False
    done: bool = False
    glet: Any = None
    wake_token: int = 0
    mailbox: Any = None
    stream: Any = None  # this actor's choices (tape.Stream)
    deadline: float | None = None  # a Lambda invocation's timeout: killed when it passes
    parked: bool = False  # waiting with no wake-up (woken by someone else)
    data: dict[str, Any] = field(default_factory=dict)


class Runtime:
    def __init__(self, tape: Tape, trace: Callable[..., None]) -> None:
        self.tape = tape
        self.now = 0.0
        self._heap: list[tuple[float, int, Actor, int]] = []
        self._seq = 0
        self.current: Actor | None = None
        self._main = greenlet.getcurrent()
        self.trace = trace
        self.steps = 0
        self.on_crash: Callable[[Actor, str], None] = lambda actor, why: None

    # ------------------------------------------------------------------ scheduling

    def spawn(self, name: str, kind: str, body: Callable[[], None], at: float, **kw: Any) -> Actor:
        actor = Actor(name, kind, **kw)

        def run() -> None:
            try:
                body()
            except SimCrash:
                pass
            finally:
                actor.done = True

        actor.glet = greenlet.greenlet(run, parent=self._main)
        self._schedule(actor, at)
        return actor

    def _schedule(self, actor: Actor, at: float) -> None:
        actor.wake_token += 1
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, actor, actor.wake_token))

    def clock_of(self, actor: Actor) -> Callable[[], float]:
        return lambda: self.now + actor.skew

    def wait(self, seconds: float, boundary: str | None = None) -> None:
        """Park the current actor for `seconds` of virtual time; it may crash at the boundary."""
        actor = self.current
        assert actor is not None, "wait outside an actor"
        if actor.dead:
            raise SimCrash
        until = self.now + max(0.0, seconds)
        timed_out = actor.deadline is not None and until > actor.deadline
        self._schedule(actor, actor.deadline if timed_out else until)  # type: ignore[arg-type]
        self._main.switch()
        self.current = actor
        if actor.dead:
            raise SimCrash
        if timed_out:
            self.kill(actor, "Lambda timeout")
            raise SimCrash
        if boundary is not None and actor.crash_rate and actor.stream.chance(actor.crash_rate):
            self.kill(actor, f"crash at {boundary}")
            raise SimCrash

    def park(self, timeout: float | None) -> Any:
        """Wait until `wake(actor, value)` or `timeout` (then None)."""
        actor = self.current
        assert actor is not None
        if actor.dead:
            raise SimCrash
        actor.mailbox = None
        actor.parked = True
        if timeout is not None:
            self._schedule(actor, self.now + timeout)
        else:
            actor.wake_token += 1  # no timer: only a wake() resumes it
        self._main.switch()
        self.current = actor
        actor.parked = False
        if actor.dead:
            raise SimCrash
        value, actor.mailbox = actor.mailbox, None
        return value

    def wake(self, actor: Actor, value: Any, delay: float = 0.0) -> None:
        if actor.done or actor.dead or not actor.parked:
            return
        actor.mailbox = value
        actor.parked = False
        self._schedule(actor, self.now + delay)

    def kill(self, actor: Actor, why: str, quiet: bool = False) -> None:
        """The actor's process dies now: nothing it does from here takes effect."""
        if actor.dead or actor.done:
            return
        actor.dead = True
        if not quiet:
            self.trace(actor.name, "CRASH", why)
            self.on_crash(actor, why)
        if actor is self.current:
            return  # the caller raises SimCrash in it
        g = actor.glet
        if not g and not g.dead:  # never started
            actor.done = True
            return
        if g:
            # Unwind it now (its finally blocks run, without effect), then come back here.
            g.parent = greenlet.getcurrent()
            previous = self.current
            g.throw(SimCrash)
            self.current = previous

    def run(self, max_steps: int) -> None:
        heap = self._heap
        while heap:
            at, _, actor, token = heapq.heappop(heap)
            if token != actor.wake_token or actor.done or actor.dead:
                continue
            self.now = max(self.now, at)
            self.steps += 1
            if self.steps > max_steps:
                raise Deadlock(f"no quiescence after {max_steps} steps (virtual {self.now:.0f} s)")
            self.current = actor
            actor.glet.switch()
            self.current = None

    def stop_all(self, actors: list[Actor]) -> None:
        """End the run: actors still parked (pollers waiting for messages) are unwound."""
        for actor in actors:
            if not actor.done:
                self.kill(actor, "end of run", quiet=True)
